"""Exports: scopes and atomic writes."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import pytest

from readinglist.core.exports import ExportScope, write_atomic
from readinglist.core.progress import Cancelled, Progress
from readinglist.core.query import Query
from readinglist.library import Library


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
