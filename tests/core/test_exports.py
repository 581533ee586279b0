"""Exports: scopes, atomic writes and the export's own bulk read."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

import pytest

from readinglist.core import exports, reads
from readinglist.core.exports import ExportScope, write_atomic
from readinglist.core.progress import Cancelled, Progress
from readinglist.core.query import Query
from readinglist.exporters.bibtex import dumps
from readinglist.library import Library

# Entries with every field the exporter writes, to go with the sample page
# (which has titles, abstracts and arXiv ids, but no venues or DOIs).
_BIB = r"""
@article{vaswani2017,
  author = {Ashish Vaswani and Noam Shazeer and J{\"u}rgen Schmidhuber},
  title = {Attention Is All You Need},
  journal = {NeurIPS},
  year = {2017},
  doi = {10.5555/3295222.3295349},
}
@inproceedings{smith2020,
  author = {Barnes and Noble},
  title = {{GPT-4} on a 50\% Budget},
  booktitle = {Proc. of {ACL}},
  year = {2020},
  url = {https://example.org/a b},
}
@misc{Smith2020,
  title = {A Clash of Keys},
  eprint = {2401.00001},
  archivePrefix = {arXiv},
}
"""


def _small_chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    return reads.chunks(ids, 7)


def test_failed_write_leaves_the_old_file_and_no_part_file(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_text("old contents")

    def half(fp: TextIO) -> int:
        fp.write("@article{half,")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_atomic(target, half)
    assert target.read_text() == "old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib"]
    assert write_atomic(target, lambda fp: fp.write("new")) == 3
    assert target.read_text() == "new"


def _names_while_writing(target: Path) -> list[str]:
    """The names in *target*'s folder seen from inside the write, and the write's outcome."""
    seen: list[str] = []

    def look(fp: TextIO) -> int:
        fp.write("@misc{a, title = {A}}\n")
        fp.flush()
        seen.extend(sorted(p.name for p in target.parent.iterdir()))
        return fp.write("@misc{b, title = {B}}\n")

    write_atomic(target, look)
    assert target.read_text() == "@misc{a, title = {A}}\n@misc{b, title = {B}}\n"
    return seen


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="O_TMPFILE is Linux's")
def test_an_export_in_progress_has_no_name_a_kill_could_leave(tmp_path: Path) -> None:
    # Linux (and so CI) always takes this path: the file has no name until it is whole.
    target = tmp_path / "refs.bib"
    target.write_text("old contents")
    assert _names_while_writing(target) == ["refs.bib"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib"]


def test_without_unnamed_files_a_part_file_is_written_and_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows, macOS and file systems that refuse O_TMPFILE.
    monkeypatch.setattr(exports, "_unnamed_file", lambda folder: None)
    target = tmp_path / "refs.bib"
    assert _names_while_writing(target) == ["refs.bib.part"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib"]


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="O_TMPFILE is Linux's")
def test_without_proc_the_unnamed_file_is_copied_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(exports.os, "link", no_link)
    target = tmp_path / "refs.bib"
    body = "x" * (3 << 20)  # more than one copied chunk
    assert write_atomic(target, lambda fp: fp.write(body)) == len(body)
    assert target.read_text() == body
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib"]


def test_a_part_file_left_by_a_killed_export_goes_with_the_next(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    (tmp_path / "refs.bib.part").write_text("@article{half,")
    write_atomic(target, lambda fp: fp.write("whole"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib"]
    assert target.read_text() == "whole"


def test_cancelled_export_writes_nothing(
    library: Library, sample_path: Path, tmp_path: Path
) -> None:
    library.import_file(sample_path)
    progress = Progress()
    progress.cancel()
    target = tmp_path / "out.bib"
    with pytest.raises(Cancelled):
        library.export_to_file(library.query_ids(Query()), target, progress=progress)
    assert not target.exists() and list(tmp_path.glob("*.part")) == []


def test_scopes(library: Library, sample_path: Path) -> None:
    library.import_file(sample_path)
    everything = library.query_ids(Query())
    library.trash(everything[:1])
    assert library.export_ids(ExportScope.ALL) == everything[1:]
    assert library.export_ids(
        ExportScope.SELECTION, selection=[everything[5], 99999, everything[2]]
    ) == [
        everything[5],
        everything[2],
    ]
    view = Query(text="model", sort="title", descending=False)
    assert library.export_ids(ExportScope.VIEW, view=view) == library.query_ids(view)
    assert library.export_ids(ExportScope.VIEW, view=view)


def test_export_writes_what_the_snapshots_hold(
    library: Library, sample_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export reads the papers itself; its file is that of Reads.get's snapshots."""
    library.import_file(sample_path)
    bib = tmp_path / "extra.bib"
    bib.write_text(_BIB, "utf-8")
    library.import_file(bib)
    ids = library.query_ids(Query())
    library.add_tags(ids[::3], ["zeta", "Alpha", "méthode & co"])
    library.set_note(ids[1], "Read *twice*.\n\n50% & more")
    library.trash(ids[2:4])
    # Unknown ids are skipped; trashed papers and repeated ids are written.
    wanted = [ids[5], 99999, *ids, ids[5]]
    # Chunks of 7: keys stay unique and entries separated across chunks.
    monkeypatch.setattr(exports, "chunks", _small_chunks)
    sent: list[tuple[str, int, int]] = []
    out = io.StringIO()
    count = library.export_bibtex(wanted, out, Progress(lambda *a: sent.append(a)))
    assert out.getvalue() == dumps(library.reads.get(wanted))
    assert count == len(wanted) - 1
    assert "annote = {Read *twice*." in out.getvalue()
    assert "keywords = {Alpha, m{\\'e}thode \\& co, zeta}" in out.getvalue()
    assert sent[-1] == ("export", len(wanted), len(wanted))
    assert len(sent) == -(-len(wanted) // 7)
