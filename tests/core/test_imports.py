"""Imports: folder expansion and the pure import plan."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from readinglist.core.imports import (
    ImportPlanner,
    ImportReport,
    Known,
    Planned,
    PlannedMerge,
    expand_paths,
)
from readinglist.library import Library
from readinglist.records import ParsedPaper


def test_expand_paths_recurses_sorted_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.bib").write_text("x")
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x")
    single = tmp_path / "elsewhere.bib"
    assert expand_paths([tmp_path, single]) == [
        tmp_path / "a.txt",
        tmp_path / "b" / "two.bib",
        single,
    ]


def test_planner_dedupes_against_the_library_and_within_the_file() -> None:
    known = Known(
        by_arxiv={"1706.03762": 1},
        by_doi={"10.1/x": 2},
        by_title={"old title": 3},
        citekeys={"smith2020deep"},
        next_id=10,
    )
    report = ImportReport("f.bib")
    papers = [
        ParsedPaper(title="Attention", arxiv_id="arXiv:1706.03762v5"),  # dup by arXiv id
        ParsedPaper(title="Other", doi="https://doi.org/10.1/X"),  # dup by DOI
        ParsedPaper(title="Old  Title!"),  # dup by folded title
        ParsedPaper(title="Deep", authors=["Ann Smith"], year=2020, citekey="smith2020deep"),
        ParsedPaper(title="deep"),  # repeats the paper just planned
        ParsedPaper(title="!!!"),  # no usable title
    ]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    items = list(ImportPlanner(known, batch_id=5, now=now).plan(papers, report))
    planned = [p for p in items if isinstance(p, Planned)]
    assert [p.row["id"] for p in planned] == [10]
    # The known papers are planned as merges, the repeat into the paper just planned.
    assert [m.target for m in items if isinstance(m, PlannedMerge)] == [1, 2, 3, 10]
    row = planned[0].row
    assert row["batch_id"] == 5 and row["added_at"] == now
    # The key was taken, so a fresh unique one was made.
    assert row["citekey"] != "smith2020deep" and row["citekey"].lower() not in {"smith2020deep"}
    assert [existing for _, existing in report.duplicates] == [1, 2, 3, 10]
    assert [p.message for p in report.problems] == [
        f"citation key 'smith2020deep' is already in the library; imported as '{row['citekey']}'",
        "entry has no usable title",
    ]
    assert known.next_id == 11 and row["citekey_lower"] in known.citekeys


def test_import_paths_reports_each_file_and_empty_folders(
    library: Library, tmp_path: Path, sample_path: Path
) -> None:
    folder = tmp_path / "drop"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "page.txt").write_bytes(sample_path.read_bytes())
    (folder / "junk.bin").write_bytes(b"\x00\x01")
    empty = tmp_path / "empty"
    empty.mkdir()
    reports = library.import_paths([folder, empty])
    assert [r.file_name for r in reports] == ["drop", "page.txt", "empty"]
    # A file of the folder that is not a paper is named, not imported.
    assert "1 file skipped" in reports[0].problems[0].message
    assert "junk.bin" in reports[0].problems[0].message
    assert len(reports[1].added) == 101
    assert "holds no files" in reports[2].error
    # Named on its own, the same file is tried and refused with the reason.
    (junk_report,) = library.import_paths([folder / "junk.bin"])
    assert "not a text file" in junk_report.error


def test_a_bib_file_with_a_stray_byte_is_imported_as_utf8_and_says_where(
    library: Library, tmp_path: Path
) -> None:
    path = tmp_path / "refs.bib"
    path.write_bytes(
        "@article{k1, title={Café naïve TÜLU}, year=2020}\n".encode()
        + b"@article{k2, title={A stray \xe9 byte}, year=2021}\n"
    )
    report = library.import_file(path)
    assert len(report.added) == 2
    (problem,) = report.problems
    assert problem.line == 2 and "not UTF-8" in problem.message
    titles = {p.title for p in library.get(report.added)}
    assert titles == {"Café naïve TÜLU", "A stray é byte"}


def test_a_key_taken_in_the_library_is_changed_and_reported(
    library: Library, tmp_path: Path
) -> None:
    path = tmp_path / "refs.bib"
    path.write_text("@article{smith2020, title={First paper}, year=2020}\n")
    library.import_file(path)
    path.write_text("@article{smith2020, title={Another paper}, year=2020}\n")
    report = library.import_file(path)
    (pid,) = report.added
    new_key = library.paper(pid).citekey
    assert new_key != "smith2020"
    (problem,) = report.problems
    assert problem.line == 1 and problem.entry == new_key
    assert "'smith2020' is already in the library" in problem.message and new_key in problem.message


def test_planner_merges_near_identical_titles_nothing_contradicts() -> None:
    known = Known(
        by_title={"attention is all you need": 1, "attention is not all you need": 2},
        facts={1: (2017, "1706.03762", None), 2: (None, None, None)},
        next_id=3,
    )
    report = ImportReport("f.bib")
    papers = [
        ParsedPaper(title="Atention Is All You Need", year=2017),  # a typo: paper 1, not 2
        ParsedPaper(title="Attention Is All You Neeed", arxiv_id="2001.00001", year=2020),
        ParsedPaper(title="Attention Is Al You Need", year=2018),  # no year matches
        ParsedPaper(title="Atention Is Not All You Need"),  # a typo: paper 2
    ]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    items = list(ImportPlanner(known, batch_id=5, now=now).plan(papers, report))
    assert [i.target if isinstance(i, PlannedMerge) else -i.row["id"] for i in items] == [
        1,
        -3,  # its arXiv id is not paper 1's
        -4,
        2,
    ]
    assert [pid for _, pid in report.duplicates] == [1, 2]
    assert isinstance(items[0], PlannedMerge) and items[0].values["year"] == 2017
