"""Tests for the list-of-identifiers importer (arXiv ids, DOIs and links)."""

from __future__ import annotations

from pathlib import Path

import pytest

from readinglist import importers
from readinglist.importers import idlist
from readinglist.library import Library
from readinglist.records import InputError, ParsedPaper

IDS = Path(__file__).parent / "data" / "ids"
SAMPLE = Path(__file__).parent / "data" / "hf-trending-mar11.txt"


def _ids(result_papers: list[ParsedPaper]) -> list[str]:
    return [p.arxiv_id or f"doi:{p.doi}" for p in result_papers]


# --- one shape at a time ------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "arxiv_id", "url"),
    [
        ("2403.01234", "2403.01234", "https://arxiv.org/abs/2403.01234"),
        ("2403.01234v2", "2403.01234", "https://arxiv.org/abs/2403.01234v2"),
        ("0704.0001", "0704.0001", "https://arxiv.org/abs/0704.0001"),
        ("1412.6980v9", "1412.6980", "https://arxiv.org/abs/1412.6980v9"),
        ("hep-th/9901001", "hep-th/9901001", "https://arxiv.org/abs/hep-th/9901001"),
        ("math.GT/0309136v1", "math.GT/0309136", "https://arxiv.org/abs/math.GT/0309136v1"),
        ("arXiv:2403.01234", "2403.01234", "https://arxiv.org/abs/2403.01234"),
        ("arxiv: 2403.01234v3", "2403.01234", "https://arxiv.org/abs/2403.01234v3"),
        ("ARXIV:hep-ph/0101001", "hep-ph/0101001", "https://arxiv.org/abs/hep-ph/0101001"),
        ("https://arxiv.org/abs/2403.01234", "2403.01234", "https://arxiv.org/abs/2403.01234"),
        ("http://arxiv.org/abs/2403.01234v1", "2403.01234", "https://arxiv.org/abs/2403.01234v1"),
        ("arxiv.org/abs/2403.01234", "2403.01234", "https://arxiv.org/abs/2403.01234"),
        (
            "https://arxiv.org/pdf/2403.01234v2.pdf",
            "2403.01234",
            "https://arxiv.org/abs/2403.01234v2",
        ),
        ("https://arxiv.org/pdf/2403.01234", "2403.01234", "https://arxiv.org/abs/2403.01234"),
        ("https://www.arxiv.org/abs/2403.01234", "2403.01234", "https://arxiv.org/abs/2403.01234"),
        (
            "https://export.arxiv.org/abs/hep-th/9901001v2",
            "hep-th/9901001",
            "https://arxiv.org/abs/hep-th/9901001v2",
        ),
        ("https://arxiv.org/html/2403.01234v1", "2403.01234", "https://arxiv.org/abs/2403.01234v1"),
        (
            "https://www.alphaxiv.org/abs/2403.01234",
            "2403.01234",
            "https://arxiv.org/abs/2403.01234",
        ),
        (
            "https://alphaxiv.org/overview/2403.01234v2",
            "2403.01234",
            "https://arxiv.org/abs/2403.01234v2",
        ),
        (
            "https://huggingface.co/papers/2403.01234",
            "2403.01234",
            "https://arxiv.org/abs/2403.01234",
        ),
        ("huggingface.co/papers/2403.01234", "2403.01234", "https://arxiv.org/abs/2403.01234"),
        # arXiv's own DOI names the arXiv paper.
        ("10.48550/arXiv.2403.01234", "2403.01234", "https://arxiv.org/abs/2403.01234"),
        (
            "https://doi.org/10.48550/arXiv.2403.01234",
            "2403.01234",
            "https://arxiv.org/abs/2403.01234",
        ),
    ],
)
def test_arxiv_shapes(line: str, arxiv_id: str, url: str) -> None:
    result = idlist.parse(f"{line}\n", "list.txt")
    assert result.format == "ids"
    assert result.problems == []
    (paper,) = result.papers
    assert paper.arxiv_id == arxiv_id
    assert paper.doi == ""
    assert paper.url == url
    assert paper.title == f"arXiv:{arxiv_id}"
    assert paper.entry_type == "misc"
    assert paper.line == 1


@pytest.mark.parametrize(
    ("line", "doi"),
    [
        ("10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        ("doi:10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        ("DOI: 10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        ("https://doi.org/10.1038/nature14539", "10.1038/nature14539"),
        ("http://dx.doi.org/10.1162/neco.1997.9.8.1735", "10.1162/neco.1997.9.8.1735"),
        ("doi.org/10.1038/nature14539", "10.1038/nature14539"),
        # Brackets the DOI opened are part of it; the closing one of a sentence is not.
        (
            "(see 10.1002/(SICI)1097-4636(199706)35:4<1::AID>)",
            "10.1002/(SICI)1097-4636(199706)35:4",
        ),
        # A publisher's link holds the DOI, then a page name that is not part of it.
        ("https://dl.acm.org/doi/10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        ("https://dl.acm.org/doi/pdf/10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        (
            "https://onlinelibrary.wiley.com/doi/10.1002/anie.201915678/full",
            "10.1002/anie.201915678",
        ),
        ("https://doi.org/10.1038/nature14539?via=ihub", "10.1038/nature14539"),
    ],
)
def test_doi_shapes(line: str, doi: str) -> None:
    result = idlist.parse(line, "list.txt")
    (paper,) = result.papers
    assert paper.doi == doi
    assert paper.arxiv_id == ""
    assert paper.title == f"doi:{doi}"
    assert paper.url == f"https://doi.org/{doi}"
    assert paper.entry_type == "misc"
    assert paper.year is None


@pytest.mark.parametrize(
    "line",
    [
        "- https://arxiv.org/abs/2403.01234",
        "* https://arxiv.org/abs/2403.01234",
        "+ arXiv:2403.01234",
        "1. https://arxiv.org/abs/2403.01234",
        "12) 2403.01234",
        "[A Great Paper](https://arxiv.org/abs/2403.01234)",
        "- [A Great Paper: With a Colon](https://arxiv.org/abs/2403.01234v1).",
        "<https://arxiv.org/abs/2403.01234>",
        "(arXiv:2403.01234)",
        "https://arxiv.org/abs/2403.01234.",
        "See https://arxiv.org/abs/2403.01234, it is good!",
        '"2403.01234";',
        "\t  2403.01234  \t",
    ],
)
def test_bullets_brackets_and_punctuation(line: str) -> None:
    result = idlist.parse(line, "list.md")
    assert _ids(result.papers) == ["2403.01234"]
    assert result.problems == []


def test_several_ids_on_a_line_keep_their_order_and_line() -> None:
    text = (
        "2403.01234, 2403.05678v2 hep-th/9901001\n"
        "doi:10.1145/3292500.3330701,10.1038/nature14539;arXiv:2401.00001\n"
    )
    result = idlist.parse(text, "list.txt")
    assert _ids(result.papers) == [
        "2403.01234",
        "2403.05678",
        "hep-th/9901001",
        "doi:10.1145/3292500.3330701",
        "doi:10.1038/nature14539",
        "2401.00001",
    ]
    assert [p.line for p in result.papers] == [1, 1, 1, 2, 2, 2]
    assert result.problems == []


def test_years_from_arxiv_ids() -> None:
    result = idlist.parse("2403.01234\nhep-th/9901001\n0704.0001\nmath.GT/0309136\n", "x")
    assert [p.year for p in result.papers] == [2024, 1999, 2007, 2003]


def test_duplicates_within_the_file_are_one_paper() -> None:
    text = "\n".join(
        [
            "arXiv:2403.01234v1",
            "https://arxiv.org/abs/2403.01234v2",  # same paper, other version
            "https://huggingface.co/papers/2403.01234",
            "10.48550/arXiv.2403.01234",
            "10.1145/ABC.123",
            "https://doi.org/10.1145/abc.123",  # DOIs are case-insensitive
            "math.gt/0309136",
            "math.GT/0309136v2",
        ]
    )
    result = idlist.parse(text, "list.txt")
    assert [(p.title, p.url, p.line) for p in result.papers] == [
        ("arXiv:2403.01234", "https://arxiv.org/abs/2403.01234v1", 1),
        ("doi:10.1145/ABC.123", "https://doi.org/10.1145/ABC.123", 5),
        ("arXiv:math.GT/0309136", "https://arxiv.org/abs/math.GT/0309136", 7),
    ]


def test_lines_without_ids_are_reported_with_their_numbers() -> None:
    text = (
        "# My list\n"
        "https://arxiv.org/abs/2403.01234\n"
        "\n"
        "   \n"
        "remember to read these\n"
        "https://openreview.net/forum?id=abc https://arxiv.org/abs/2403.05678\n"
        "2413.01234\n"  # month 13: not an arXiv id
        "1501.1234\n"  # four digits after 2014: not an arXiv id either
        "foo/1234567\n"  # no such archive
    )
    result = idlist.parse(text, "list.txt")
    assert _ids(result.papers) == ["2403.01234", "2403.05678"]
    assert [(p.line, p.message) for p in result.problems] == [
        (1, "no arXiv id or DOI on this line; skipped"),
        (5, "no arXiv id or DOI on this line; skipped"),
        (
            6,
            "link 'https://openreview.net/forum?id=abc' is not an arXiv or DOI link; skipped",
        ),
        (7, "no arXiv id or DOI on this line; skipped"),
        (8, "no arXiv id or DOI on this line; skipped"),
        (9, "no arXiv id or DOI on this line; skipped"),
    ]
    assert result.problems[1].describe("list.txt") == (
        "list.txt:5: no arXiv id or DOI on this line; skipped"
    )


def test_crlf_and_cr_line_numbers() -> None:
    result = idlist.parse("junk\r\n2403.01234\rmore junk\r\n10.1038/nature14539", "x")
    assert [p.line for p in result.papers] == [2, 4]
    assert [p.line for p in result.problems] == [1, 3]


def test_numbers_that_are_not_ids() -> None:
    text = "version 1.2.3 costs 2024.50 on 2403.01234.5 at www.x.org/2403.01234\n"
    with pytest.raises(InputError, match=r"^notes\.txt: no arXiv ids or DOIs found$"):
        idlist.parse(text, "notes.txt")


def test_nothing_found_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"^x\.txt: no arXiv ids or DOIs found$"):
        idlist.parse("hello\nworld\n", "x.txt")


def test_the_fixture_list() -> None:
    path = IDS / "reading-list.md"
    result = importers.parse(path.read_bytes(), path.name)
    assert result.format == "ids"
    assert [(p.title, p.url, p.line) for p in result.papers] == [
        ("arXiv:1706.03762", "https://arxiv.org/abs/1706.03762v7", 3),
        ("arXiv:2403.01234", "https://arxiv.org/abs/2403.01234", 4),
        ("arXiv:2405.00001", "https://arxiv.org/abs/2405.00001v2", 4),
        ("arXiv:2310.06825", "https://arxiv.org/abs/2310.06825v1", 5),
        ("arXiv:2402.17764", "https://arxiv.org/abs/2402.17764", 6),
        ("arXiv:2401.04088", "https://arxiv.org/abs/2401.04088", 7),
        ("arXiv:hep-th/9901001", "https://arxiv.org/abs/hep-th/9901001", 8),
        ("arXiv:math.GT/0309136", "https://arxiv.org/abs/math.GT/0309136v1", 9),
        ("doi:10.1145/3292500.3330701", "https://doi.org/10.1145/3292500.3330701", 10),
        ("doi:10.1038/nature14539", "https://doi.org/10.1038/nature14539", 11),
        ("doi:10.1162/neco.1997.9.8.1735", "https://doi.org/10.1162/neco.1997.9.8.1735", 12),
        ("arXiv:2005.14165", "https://arxiv.org/abs/2005.14165", 13),
    ]
    assert [(p.line, p.message) for p in result.problems] == [
        (1, "no arXiv id or DOI on this line; skipped"),
        (15, "no arXiv id or DOI on this line; skipped"),
    ]


def test_a_list_of_200_links() -> None:
    links = [f"https://arxiv.org/abs/2403.{n:05d}v1" for n in range(1, 201)]
    text = "\n".join(links) + "\n"
    assert idlist.looks_like(text)
    result = importers.parse(text.encode(), "links.txt")
    assert result.format == "ids"
    assert len(result.papers) == 200
    assert result.papers[0].arxiv_id == "2403.00001"
    assert result.papers[-1].arxiv_id == "2403.00200"
    assert result.papers[-1].line == 200
    assert result.problems == []


# --- parse_urls: what the window passes for dropped links ---------------------------


def test_parse_urls() -> None:
    result = idlist.parse_urls(
        [
            "https://arxiv.org/abs/2403.01234v2",
            "https://example.com/blog",
            "https://doi.org/10.1038/nature14539",
            "https://huggingface.co/papers/2403.01234",
        ],
        "dropped links",
    )
    assert result.format == "ids"
    assert [(p.title, p.arxiv_id, p.doi, p.url, p.line) for p in result.papers] == [
        ("arXiv:2403.01234", "2403.01234", "", "https://arxiv.org/abs/2403.01234v2", 1),
        (
            "doi:10.1038/nature14539",
            "",
            "10.1038/nature14539",
            "https://doi.org/10.1038/nature14539",
            3,
        ),
    ]
    assert [(p.line, p.message) for p in result.problems] == [
        (2, "no arXiv id or DOI in link 'https://example.com/blog'; skipped"),
    ]


def test_parse_urls_without_any_id() -> None:
    with pytest.raises(InputError, match=r"^dropped links: no arXiv ids or DOIs found$"):
        idlist.parse_urls(["https://example.com/a", "https://example.com/b"], "dropped links")


# --- sniffing -------------------------------------------------------------------------


def test_looks_like() -> None:
    assert idlist.looks_like("2403.01234\n")
    assert idlist.looks_like("# Reading\n\n- https://arxiv.org/abs/2403.01234\n- 10.1038/x1\n")
    # Mostly ids: three of five lines.
    assert idlist.looks_like("a\nb\n2403.01234\n2403.01235\n2403.01236\n")
    # Mostly not: two of five.
    assert not idlist.looks_like("a\nb\nc\n2403.01235\n2403.01236\n")
    assert not idlist.looks_like("")
    assert not idlist.looks_like("\n  \n")
    # A line of prose, even one citing a paper, is not a list entry.
    prose = "We build on arXiv:2403.01234 and show " + "many things " * 40
    assert not idlist.looks_like(f"2403.01235\n{prose}\n2403.01236\n")


def test_the_sample_page_is_not_an_id_list() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert not idlist.looks_like(text)
    # Not even when its abstracts cite arXiv papers.
    cited = text.replace("achieving", "achieving (https://arxiv.org/abs/2403.01234)")
    assert not idlist.looks_like(cited)


# --- through the library --------------------------------------------------------------


def test_import_through_the_library(tmp_path: Path) -> None:
    path = tmp_path / "links.txt"
    path.write_bytes((IDS / "links.txt").read_bytes())
    with Library(tmp_path / "lib") as lib:
        report = lib.import_file(path)
        assert report.error == ""
        assert report.format == "ids"
        stored = lib.get(report.added)
        assert [(p.title, p.arxiv_id, p.doi, p.url, p.entry_type) for p in stored] == [
            ("arXiv:2403.01234", "2403.01234", "", "https://arxiv.org/abs/2403.01234", "misc"),
            ("arXiv:2403.05678", "2403.05678", "", "https://arxiv.org/abs/2403.05678", "misc"),
            (
                "doi:10.1145/3292500.3330701",
                "",
                "10.1145/3292500.3330701",
                "https://doi.org/10.1145/3292500.3330701",
                "misc",
            ),
        ]
        assert [p.describe(path.name) for p in report.problems] == [
            "links.txt:3: link 'https://openreview.net/forum?id=XyZ123' "
            "is not an arXiv or DOI link; skipped",
            "links.txt:4: no arXiv id or DOI on this line; skipped",
        ]
        # The same ids again are duplicates of the papers just added.
        again = lib.import_bytes(b"arXiv:2403.01234v3\n10.1145/3292500.3330701\n", "more.txt")
        assert again.added == []
        assert sorted(i for _, i in again.duplicates) == sorted([report.added[0], report.added[2]])


def test_200_links_through_the_library(tmp_path: Path) -> None:
    # Titles differ only in their digits: each is a paper of its own.
    links = [f"https://arxiv.org/abs/2403.{n:05d}" for n in range(1, 201)]
    with Library(tmp_path / "lib") as lib:
        report = lib.import_bytes("\n".join(links).encode(), "links.md")
        assert report.error == "" and report.problems == []
        assert len(report.added) == 200
        assert report.duplicates == []
        stored = lib.get(report.added)
        assert {p.arxiv_id for p in stored} == {f"2403.{n:05d}" for n in range(1, 201)}
        assert all(p.title == f"arXiv:{p.arxiv_id}" for p in stored)
