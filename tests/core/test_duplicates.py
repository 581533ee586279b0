"""Duplicates: merging at import, finding likely pairs, merging two papers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from readinglist.core.duplicates import (
    DuplicatePair,
    Duplicates,
    TitleIndex,
    fill_empty,
    join_notes,
)
from readinglist.core.imports import ImportReport
from readinglist.core.progress import Cancelled, Progress
from readinglist.core.query import Query
from readinglist.library import Library
from readinglist.records import ParsedPaper, ParseResult

ATTENTION = "Attention Is All You Need"


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[Library]:
    library = Library(tmp_path / "lib")
    yield library
    library.close()


def _records(lib: Library, *papers: ParsedPaper, name: str = "test") -> ImportReport:
    return lib.import_records(ParseResult(format="test", papers=list(papers)), name)


def _service(lib: Library) -> Duplicates:
    return Duplicates(lib.db, lib.reads, lib.uow)


def _search(lib: Library, text: str) -> list[int]:
    return lib.query_ids(Query(text=text))


# --- the fill rule -------------------------------------------------------------


def test_fill_empty_fills_blanks_only_and_never_an_edited_field() -> None:
    current = {
        "abstract": "",
        "authors": "[]",
        "people": "",
        "year": None,
        "venue": "NeurIPS",
        "doi": None,
        "url": "",
        "links": '["https://a"]',
        "entry_type": "misc",
        "extra": '{"pages": "1-9"}',
    }
    incoming = {
        "abstract": "We propose.",
        "authors": '["Ann Smith"]',
        "people": '[["Ann", "Smith"]]',
        "authors_sort": "smith ann",
        "year": 2017,
        "venue": "arXiv",
        "doi": "10.1/x",
        "url": "https://u",
        "links": '["https://a", "https://b"]',
        "entry_type": "inproceedings",
        "extra": '{"pages": "2-3", "publisher": "ACM"}',
    }
    fill = fill_empty(current, incoming, edited={"url"})
    assert fill.values == {
        "abstract": "We propose.",
        "year": 2017,
        "doi": "10.1/x",
        "authors": '["Ann Smith"]',
        "people": '[["Ann", "Smith"]]',
        "authors_sort": "smith ann",
        "entry_type": "inproceedings",
        "links": '["https://a", "https://b"]',
        "extra": '{"pages": "1-9", "publisher": "ACM"}',
    }
    # The venue it had stays; the URL the user edited (blank on purpose) stays blank.
    assert fill.fields == [
        "abstract",
        "year",
        "doi",
        "authors",
        "entry_type",
        "links",
        "publisher",
    ]
    specific = {**current, "entry_type": "article"}
    assert "entry_type" not in fill_empty(specific, incoming).values
    assert fill_empty(incoming, current).values == {}


def test_join_notes() -> None:
    assert join_notes("mine", "") == "mine"
    assert join_notes("", "theirs") == "theirs"
    assert join_notes("mine\n", "theirs", "---") == "mine\n\n---\n\ntheirs"
    assert join_notes("mine\n\ntheirs", "theirs") == "mine\n\ntheirs"


def test_title_index_finds_near_copies_best_first() -> None:
    titles = {1: "attention is all you need", 2: "attention is not all you need", 3: "other"}
    index = TitleIndex()
    index.add_many((key, pid) for pid, key in titles.items())
    hits = index.similar("atention is all you need", 93)
    assert [pid for pid, _score, _key in hits] == [1]
    hits = index.similar("attention is all you need", 90)
    assert [pid for pid, _score, _key in hits] == [1, 2]
    assert hits[0][1] == 100 and 92 < hits[1][1] < 93
    assert index.similar("other", 50) == []  # too short to compare fuzzily


# --- merging at import ---------------------------------------------------------

BIB = r"""@article{greenblatt2024alignment,
  title = {Alignment Faking in Large Language Models},
  author = {Greenblatt, Ryan and Denison, Carson},
  year = {2024},
  eprint = {2412.14093},
  archivePrefix = {arXiv},
  keywords = {safety, llm},
  annote = {Read for the reading group.}
}
"""


def test_page_then_bibtex_of_the_same_paper_is_one_paper(lib: Library, sample_path: Path) -> None:
    page = lib.import_file(sample_path)
    (pid,) = [
        p.id for p in lib.get(page.added) if p.title == "Alignment faking in large language models"
    ]
    before = lib.paper(pid)
    assert before.authors == () and before.year is None
    report = lib.import_bytes(BIB.encode(), "refs.bib")
    assert report.added == [] and report.duplicates == [
        ("Alignment Faking in Large Language Models", pid)
    ]
    assert report.merged == [
        (pid, ["year", "arxiv_id", "authors", "entry_type", "tag:safety", "tag:llm", "note"])
    ]
    assert "0 added, 1 duplicates (1 merged into existing papers, 0 unchanged)" in report.summary()
    assert report.to_json()["merged"] == [{"id": pid, "filled": report.merged[0][1]}]
    after = lib.paper(pid)
    assert lib.count() == 101
    # The page's title and abstract stay; the BibTeX brings what the page lacked.
    assert after.title == before.title and after.abstract == before.abstract
    assert after.authors == ("Ryan Greenblatt", "Carson Denison")
    assert after.year == 2024 and after.arxiv_id == "2412.14093"
    assert set(after.tags) == {"safety", "llm"}
    assert after.note == "Read for the reading group."
    assert after.revision > before.revision and after.batch_id == before.batch_id
    # The index has the merged paper once, with what the merge brought.
    assert _search(lib, "Greenblatt") == [pid]
    assert _search(lib, "tag:safety") == [pid]
    assert lib.check_index().ok
    # The same file again brings nothing new.
    again = lib.import_bytes(BIB.encode(), "refs.bib")
    assert again.merged == [] and again.unchanged == 1
    assert "(0 merged into existing papers, 1 unchanged)" in again.summary()
    assert lib.paper(pid).note == "Read for the reading group."


def test_sample_page_imported_twice_changes_nothing(lib: Library, sample_path: Path) -> None:
    lib.import_file(sample_path)
    revisions = lib.reads.revisions()
    changes = lib.changes()
    second = lib.import_file(sample_path)
    assert second.added == [] and second.merged == [] and len(second.duplicates) == 101
    assert lib.reads.revisions() == revisions and lib.changes() == changes
    assert lib.check_index().ok


def test_arxiv_id_of_any_version_and_doi_in_any_case_merge(lib: Library) -> None:
    first = _records(
        lib,
        ParsedPaper(title=ATTENTION, arxiv_id="1706.03762v1"),
        ParsedPaper(
            title="Deep Residual Learning for Image Recognition", doi="10.1109/CVPR.2016.90"
        ),
    )
    attention, resnet = first.added
    report = _records(
        lib,
        ParsedPaper(title="Transformers (v5)", arxiv_id="arXiv:1706.03762v5", year=2017),
        ParsedPaper(title="ResNet", doi="https://doi.org/10.1109/cvpr.2016.90", venue="CVPR"),
    )
    assert report.added == []
    assert report.merged == [(attention, ["year"]), (resnet, ["venue"])]
    assert lib.paper(attention).title == ATTENTION and lib.paper(attention).year == 2017
    assert lib.paper(resnet).venue == "CVPR"


def test_near_identical_titles_merge_into_the_closest_paper(lib: Library) -> None:
    (orig, other) = _records(
        lib,
        ParsedPaper(title=ATTENTION, year=2017),
        ParsedPaper(title="Attention Is Not All You Need"),
    ).added
    report = _records(
        lib,
        ParsedPaper(title="Attention is all you need", tags=["case"]),
        ParsedPaper(title="Attention Is All You Need!", tags=["punctuation"]),
        ParsedPaper(title="Atténtion Is All You Need", tags=["accent"]),
        ParsedPaper(title="Atention Is All You Need", year=2017, tags=["typo"]),
    )
    assert report.added == []
    assert [pid for _, pid in report.duplicates] == [orig] * 4
    assert set(lib.paper(orig).tags) == {"case", "punctuation", "accent", "typo"}
    assert lib.paper(other).tags == ()
    assert lib.count() == 2


def test_similar_but_different_titles_stay_apart(lib: Library) -> None:
    _records(
        lib,
        ParsedPaper(title=ATTENTION, year=2017, arxiv_id="1706.03762"),
        ParsedPaper(title="Llama 2: Open Foundation and Fine-Tuned Chat Models"),
        ParsedPaper(title="Deep Learning"),
    )
    # Each alone, so none can match another of them.
    for paper in (
        ParsedPaper(title="Attention Is Not All You Need"),
        # One letter off, but another year, or another arXiv id: another paper.
        ParsedPaper(title="Atention Is All You Need", year=2019),
        ParsedPaper(title="Attention Is All You Neeed", arxiv_id="2001.00001"),
        # Another number in the title.
        ParsedPaper(title="Llama 3: Open Foundation and Fine-Tuned Chat Models"),
        # Short titles are compared exactly only.
        ParsedPaper(title="Deep Learnin"),
    ):
        report = _records(lib, paper)
        assert len(report.added) == 1 and report.duplicates == [], paper.title
        lib.purge(report.added)
    assert lib.count() == 3


def test_a_paper_repeated_in_one_file_is_added_once_and_merged(lib: Library) -> None:
    report = _records(
        lib,
        ParsedPaper(title=ATTENTION, tags=["first"]),
        ParsedPaper(title="Atention Is All You Need", authors=["Ashish Vaswani"], note="typo"),
    )
    (pid,) = report.added
    assert report.duplicates == [("Atention Is All You Need", pid)]
    assert report.merged == [(pid, ["authors", "note"])]
    paper = lib.paper(pid)
    assert paper.authors == ("Ashish Vaswani",) and paper.tags == ("first",)
    assert paper.note == "typo" and paper.revision == 1
    assert _search(lib, "Vaswani") == [pid]
    assert lib.check_index().ok


def test_a_field_the_user_edited_is_never_filled(lib: Library) -> None:
    (pid,) = _records(lib, ParsedPaper(title=ATTENTION, abstract="Old.", venue="NeurIPS")).added
    lib.update_paper(pid, abstract="")  # cleared on purpose
    report = _records(
        lib, ParsedPaper(title=ATTENTION, abstract="New.", venue="arXiv", year=2017, note="n")
    )
    assert report.merged == [(pid, ["year", "note"])]
    paper = lib.paper(pid)
    assert paper.abstract == "" and paper.venue == "NeurIPS" and paper.year == 2017
    assert paper.note == "n"


def test_existing_note_gets_a_new_paragraph(lib: Library) -> None:
    (pid,) = _records(lib, ParsedPaper(title=ATTENTION, note="Mine.")).added
    _records(lib, ParsedPaper(title=ATTENTION, note="Theirs."))
    assert lib.paper(pid).note == "Mine.\n\nTheirs."
    assert _search(lib, "theirs") == [pid]


# --- find ----------------------------------------------------------------------


def _library_with_duplicates(lib: Library) -> list[int]:
    """Six papers: the import merges lookalikes, so edits make them alike afterwards."""
    ids = _records(
        lib,
        ParsedPaper(title="First paper about zebras", arxiv_id="2101.00001"),
        ParsedPaper(title="Second paper about lions"),
        ParsedPaper(title="Third paper about tigers", doi="10.1/abc"),
        ParsedPaper(title="Fourth paper about bears"),
        ParsedPaper(title=ATTENTION, year=2017),
        ParsedPaper(title="Completely different work on graphs"),
    ).added
    lib.update_paper(ids[1], arxiv_id="2101.00001v2")
    lib.update_paper(ids[3], doi="10.1/ABC", title="First paper about zebras")
    return ids


def test_find_lists_each_likely_pair_once_with_its_reason(lib: Library) -> None:
    ids = _library_with_duplicates(lib)
    (typo,) = _records(lib, ParsedPaper(title="Some paper", year=2018)).added
    lib.update_paper(typo, title="Atention Is All You Need")
    pairs = _service(lib).find()
    assert pairs == [
        DuplicatePair(ids[0], ids[1], "arXiv id", 100.0),
        DuplicatePair(ids[0], ids[3], "same title", 100.0),
        DuplicatePair(ids[2], ids[3], "DOI", 100.0),
        DuplicatePair(ids[4], typo, "similar title (98%)", pairs[3].score),
    ]
    assert 97 < pairs[3].score < 99
    # Only pairs with the papers asked about; trashed papers are left out.
    assert _service(lib).find([ids[2]]) == [DuplicatePair(ids[2], ids[3], "DOI", 100.0)]
    lib.trash([ids[3]])
    assert [(p.a, p.b) for p in _service(lib).find()] == [(ids[0], ids[1]), (ids[4], typo)]


def test_find_reports_progress_and_can_be_cancelled(lib: Library) -> None:
    _library_with_duplicates(lib)
    seen: list[tuple[str, int, int]] = []
    progress = Progress(lambda stage, done, total: seen.append((stage, done, total)))
    _service(lib).find(progress=progress)
    assert seen[-1] == ("duplicates", 6, 6)
    progress.cancel()
    with pytest.raises(Cancelled):
        _service(lib).find(progress=progress)


# --- merge ---------------------------------------------------------------------


def test_merge_keeps_everything_of_both_and_deletes_the_other(lib: Library) -> None:
    keep, other = _records(
        lib,
        ParsedPaper(
            title=ATTENTION,
            links=["https://a.example"],
            tags=["nlp", "shared"],
            note="Keep's note.",
            extra={"pages": "1-11"},
        ),
        ParsedPaper(
            title="Transformers zebra edition",
            abstract="The dominant sequence models.",
            authors=["Ashish Vaswani"],
            year=2017,
            arxiv_id="1706.03762",
            links=["https://b.example", "https://a.example"],
            tags=["Shared", "classic"],
            note="Other's note.",
            pdf_path="/papers/attention.pdf",
            extra={"pages": "5-6", "publisher": "Curran"},
        ),
    ).added
    lib.update_paper(keep, year=2016)  # the user's year stays
    lib.set_starred([other])
    lib.set_read([keep])
    before = lib.paper(keep)
    assert _service(lib).merge(keep, other) == keep
    paper = lib.paper(keep)
    assert paper.title == ATTENTION and paper.citekey == before.citekey
    assert paper.batch_id == before.batch_id
    assert paper.year == 2016 and paper.abstract == "The dominant sequence models."
    assert paper.authors == ("Ashish Vaswani",) and paper.arxiv_id == "1706.03762"
    assert set(paper.tags) == {"nlp", "shared", "classic"}
    assert paper.note == "Keep's note.\n\n---\n\nOther's note."
    assert paper.starred and paper.read
    assert paper.links == ("https://a.example", "https://b.example")
    assert paper.pdf_path == "/papers/attention.pdf"
    assert dict(paper.extra) == {"pages": "1-11", "publisher": "Curran"}
    assert paper.edited == before.edited
    assert lib.existing_ids([other]) == []
    assert _search(lib, "zebra") == []
    assert _search(lib, "Vaswani") == [keep]
    assert _search(lib, "classic") == [keep]
    assert lib.check_index().ok and lib.doctor().ok
    assert {t.name: t.count for t in lib.tags()} == {"nlp": 1, "shared": 1, "classic": 1}


def test_merge_moves_the_note_when_keep_has_none(lib: Library) -> None:
    keep, other = _records(
        lib, ParsedPaper(title="First paper here"), ParsedPaper(title="Other", note="Only.")
    ).added
    _service(lib).merge(keep, other)
    assert lib.paper(keep).note == "Only."


def test_merge_refuses_itself_and_unknown_ids(lib: Library) -> None:
    (pid,) = _records(lib, ParsedPaper(title=ATTENTION)).added
    service = _service(lib)
    with pytest.raises(ValueError, match="into itself"):
        service.merge(pid, pid)
    with pytest.raises(ValueError, match="no paper with id 999"):
        service.merge(pid, 999)
    with pytest.raises(ValueError, match="no paper with id 999"):
        service.merge(999, pid)
    assert lib.existing_ids([pid]) == [pid]


def test_a_paper_from_an_id_list_takes_the_real_title_of_a_later_record(tmp_path: Path) -> None:
    with Library(tmp_path / "lib") as lib:
        ids_report = lib.import_bytes(
            b"https://arxiv.org/abs/2403.01234v2\ndoi:10.1038/nature14539\n", "links.txt"
        )
        assert len(ids_report.added) == 2
        # The user confirmed the id as the title: theirs from now on.
        lib.update_paper(ids_report.added[1], title="doi:10.1038/nature14539")
        records = [
            ParsedPaper(title="Deep Learning for Reading Lists", arxiv_id="2403.01234"),
            ParsedPaper(title="Deep Learning", doi="10.1038/NATURE14539"),
        ]
        report = lib.import_records(ParseResult(format="t", papers=records), "x")
        assert report.added == [] and len(report.duplicates) == 2
        assert report.merged == [(ids_report.added[0], ["title"])]
        by_id = {p.id: p for p in lib.get(ids_report.added)}
        # The id placeholder gives way to the record's title, and search finds it.
        assert by_id[ids_report.added[0]].title == "Deep Learning for Reading Lists"
        assert lib.query_ids(Query(text="reading lists")) == [ids_report.added[0]]
        assert by_id[ids_report.added[1]].title == "doi:10.1038/nature14539"
        assert by_id[ids_report.added[1]].doi == "10.1038/nature14539"


def test_a_key_made_from_an_id_title_is_made_again_from_the_real_title(tmp_path: Path) -> None:
    with Library(tmp_path / "lib") as lib:
        (first, second) = lib.import_bytes(
            b"arXiv:2403.01234\narXiv:2403.05678\n", "links.txt"
        ).added
        assert lib.paper(first).citekey == "ArXiv2403012342024"
        lib.set_citekey(second, "mine2024")
        records = [
            ParsedPaper(
                title="Deep Learning for Reading Lists",
                authors=["Ann Smith"],
                arxiv_id="2403.01234",
            ),
            ParsedPaper(title="Another Real Title", arxiv_id="2403.05678"),
        ]
        lib.import_records(ParseResult(format="t", papers=records), "x")
        # As if it had arrived whole; a key the user chose stays.
        assert lib.paper(first).citekey == "smithDeepLearningReading2024"
        assert lib.paper(second).citekey == "mine2024"
