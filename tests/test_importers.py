"""Tests for the importer registry, the trending-page and the BibTeX importers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readinglist import importers
from readinglist.importers import bibtex, hfpage
from readinglist.people import Person
from readinglist.records import InputError, ParsedPaper, ParseResult

SAMPLE = Path(__file__).parent / "data" / "hf-trending-mar11.txt"
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def sample_bytes() -> bytes:
    return SAMPLE.read_bytes()


@pytest.fixture(scope="module")
def sample_result(sample_bytes: bytes) -> ParseResult:
    return importers.parse(sample_bytes, SAMPLE.name)


def _sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").split("\n")


def _page(*blocks: str, header: bool = True) -> bytes:
    """A page from blank-line separated blocks, with the usual header."""
    head = ["new", "Get trending papers in your email inbox!", "Subscribe"] if header else []
    return "\n\n".join([*head, *blocks]).encode("utf-8") + b"\n"


ABSTRACT = (
    "We study a problem that matters. " * 12
    + "Our method reaches 83.6% on Top-1 & beats baselines~(A, B)."
)


# --- the sample page -------------------------------------------------------


def test_sample_has_101_papers(sample_result: ParseResult) -> None:
    assert sample_result.format == "hf-page"
    assert len(sample_result.papers) == 101
    assert sample_result.label == "Mar 11"
    assert sample_result.problems == []
    assert {paper.section for paper in sample_result.papers} == {"Mar 11"}


def test_sample_titles_verbatim_with_lines(sample_result: ParseResult) -> None:
    lines = _sample_lines()
    # In the sample the first title is on line 11 and pairs repeat every 4 lines.
    expected = [(number, lines[number - 1]) for number in range(11, 412, 4)]
    assert [(p.line, p.title) for p in sample_result.papers] == expected
    assert sample_result.papers[0].title == (
        "MobileMamba: Lightweight Multi-Receptive Visual Mamba Network"
    )
    assert sample_result.papers[-1].title == (
        "Procedural Knowledge in Pretraining Drives Reasoning in Large Language Models"
    )


def test_sample_abstracts_decoded(sample_result: ParseResult) -> None:
    by_title = {p.title: p for p in sample_result.papers}
    tulu = by_title["TÜLU 3: Pushing Frontiers in Open Language Model Post-Training"]
    assert "TÜLU 3" in tulu.abstract
    assert "\\" not in tulu.abstract
    mamba = by_title["MobileMamba: Lightweight Multi-Receptive Visual Mamba Network"]
    assert "achieves up to 83.6% on Top-1, surpassing existing" in mamba.abstract
    assert mamba.abstract.endswith("achieving an optimal balance between speed and accuracy.")
    assert all(p.abstract for p in sample_result.papers)


def test_sample_no_abstract_loses_text_after_percent(sample_result: ParseResult) -> None:
    lines = _sample_lines()
    checked = 0
    for paper in sample_result.papers:
        assert paper.line is not None
        raw = lines[paper.line + 1]  # the abstract two lines below the title
        assert len(paper.abstract.split()) >= len(raw.split()) - raw.count("{it ")
        for tail in raw.split("%")[1:]:
            snippet = re.split(r"[\\{}$]", tail)[0][:25]
            assert snippet in paper.abstract
            checked += 1
    assert checked > 20


def test_sample_links(sample_result: ParseResult) -> None:
    by_title = {p.title: p for p in sample_result.papers}
    yolo = by_title["YOLOv6: A Single-Stage Object Detection Framework for Industrial Applications"]
    assert yolo.links == ["https://github.com/meituan/YOLOv6"]
    orca = by_title["Orca: Progressive Learning from Complex Explanation Traces of GPT-4"]
    assert orca.links == ["https://aka.ms/orca-lm"]
    all_links = [link for p in sample_result.papers for link in p.links]
    assert "https://github.com/YookiTong/Learn-from-Mistakes-CotErrorSet" in all_links
    assert "https://doi.org/10.5281/zenodo.6832145" in all_links
    assert "github.com/gblackout/Reason-in-the-Wild" in all_links
    # A DOI inside a doi.org URL is not reported twice.
    assert "10.5281/zenodo.6832145" not in all_links
    for link in all_links:
        assert link[-1] not in ".,;:)]}>'\"", link
        assert "{" not in link and "}" not in link


def test_sample_with_crlf_bom_trailing_space_and_extra_blanks(
    sample_bytes: bytes, sample_result: ParseResult
) -> None:
    text = sample_bytes.decode("utf-8")
    lines = [line + (" \t" if i % 3 else "") for i, line in enumerate(text.split("\n"))]
    mangled = "\r\n".join(lines).replace("\r\n\r\n", "\r\n\r\n\r\n")
    result = importers.parse(b"\xef\xbb\xbf" + mangled.encode("utf-8"), "page.txt")
    assert [(p.title, p.abstract) for p in result.papers] == [
        (p.title, p.abstract) for p in sample_result.papers
    ]
    assert result.label == "Mar 11"


def test_sample_detected_whatever_its_name(sample_bytes: bytes) -> None:
    assert importers.detect(sample_bytes, "trending.txt") == "hf-page"
    assert importers.detect(sample_bytes, "trending") == "hf-page"
    assert importers.detect(sample_bytes, "renamed.bib") == "hf-page"


# --- the trending-page format in general -------------------------------------


def test_cp1252_page() -> None:
    title = "Café – naïve “quotes” for Müller"
    data = _page("Mar 11", title, ABSTRACT).decode("utf-8").encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = importers.parse(data, "legacy.txt")
    assert [p.title for p in result.papers] == [title]


def test_several_date_sections() -> None:
    data = _page("Mar 11", "First Paper", ABSTRACT, "Subscribe", "Mar 12", "Second Paper", ABSTRACT)
    result = importers.parse(data, "two-days.txt")
    assert [(p.title, p.section) for p in result.papers] == [
        ("First Paper", "Mar 11"),
        ("Second Paper", "Mar 12"),
    ]
    assert result.label == "Mar 11, Mar 12"


def test_repeated_date_is_listed_once_in_label() -> None:
    data = _page("Mar 11", "A Paper", ABSTRACT, "Mar 11", "B Paper", ABSTRACT)
    assert importers.parse(data, "x.txt").label == "Mar 11"


@pytest.mark.parametrize(
    "date",
    [
        "Mar 11",
        "Mar 11, 2025",
        "March 11",
        "March 11th, 2025",
        "2025-03-11",
        "Tuesday, Mar 11",
        "Tue, Mar 11, 2025",
        "11 March 2025",
        "March 2025",
    ],
)
def test_date_forms(date: str) -> None:
    result = importers.parse(_page(date, "A Paper Title", ABSTRACT), "x.txt")
    assert [p.title for p in result.papers] == ["A Paper Title"]
    assert result.label == date
    assert result.papers[0].section == date


@pytest.mark.parametrize("not_a_date", ["Mar 32", "2025-13-01", "Foo 11"])
def test_date_lookalikes_are_titles(not_a_date: str) -> None:
    result = importers.parse(_page("Mar 11", not_a_date, ABSTRACT), "x.txt")
    assert [p.title for p in result.papers] == [not_a_date]


def test_line_numbers_are_title_lines() -> None:
    data = b"new\n\nMar 11\n\n\n\nFirst Paper\n\n" + ABSTRACT.encode() + b"\n\nSecond\n\n"
    data += ABSTRACT.encode()
    result = importers.parse(data, "x.txt")
    assert [(p.title, p.line) for p in result.papers] == [("First Paper", 7), ("Second", 11)]


def test_title_without_abstract_keeps_alignment() -> None:
    data = _page("Mar 11", "Lonely Title", "Paired Title", ABSTRACT, "Last Title")
    result = importers.parse(data, "x.txt")
    assert [(p.title, bool(p.abstract)) for p in result.papers] == [
        ("Lonely Title", False),
        ("Paired Title", True),
        ("Last Title", False),
    ]


def test_short_abstract_ending_with_period_is_an_abstract() -> None:
    data = _page("Mar 11", "Short One", "We do a thing.", "Next Title", ABSTRACT)
    result = importers.parse(data, "x.txt")
    assert [(p.title, p.abstract) for p in result.papers] == [
        ("Short One", "We do a thing."),
        ("Next Title", ABSTRACT),
    ]


def test_metadata_lines_are_not_papers() -> None:
    data = _page(
        "Mar 11",
        "Real Title",
        "42",
        "· 12 authors",
        "Published on Mar 10",
        ABSTRACT,
        "1.2k",
        "Submitted by akhaliq",
        "Other Title",
        "Upvote 7",
        ABSTRACT,
    )
    result = importers.parse(data, "x.txt")
    assert [p.title for p in result.papers] == ["Real Title", "Other Title"]
    assert all(p.abstract == ABSTRACT for p in result.papers)


def test_unknown_chrome_before_first_date_is_ignored() -> None:
    blurb = "Hugging Face daily papers, curated by the community and AK. " * 6
    data = _page("Join the community", "Hugging Face", blurb, "Mar 11", "Real Title", ABSTRACT)
    result = importers.parse(data, "x.txt")
    assert [p.title for p in result.papers] == ["Real Title"]
    assert result.problems == []


def test_page_without_header_or_date() -> None:
    result = importers.parse(_page("Just A Title", ABSTRACT, header=False), "x.txt")
    assert [p.title for p in result.papers] == ["Just A Title"]
    assert result.label == ""
    assert result.papers[0].section == ""


def test_paragraph_without_title_is_a_problem() -> None:
    data = b"Mar 11\n\n" + ABSTRACT.encode() + b"\n\nA Title\n\n" + ABSTRACT.encode() + b"\n"
    result = importers.parse(data, "x.txt")
    assert [p.title for p in result.papers] == ["A Title"]
    assert len(result.problems) == 1
    assert result.problems[0].line == 3
    assert result.problems[0].describe("x.txt").startswith("x.txt:3: paragraph without a title")


def test_header_only_page_is_an_input_error() -> None:
    data = _page("byAK and the research community", "Mar 11")
    with pytest.raises(InputError, match=r"^empty-day\.txt: no papers found"):
        importers.parse(data, "empty-day.txt")


def test_titles_only_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no papers found"):
        importers.parse(b"Some line\n\nAnother line\n", "notes.txt")


def test_latex_in_titles_is_kept_verbatim() -> None:
    result = importers.parse(_page("Mar 11", r"T\"ULU {it x}", ABSTRACT), "x.txt")
    assert result.papers[0].title == r"T\"ULU {it x}"


# --- links -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code: https://github.com/a/b.", ["https://github.com/a/b"]),
        ("(see https://x.org/page), and", ["https://x.org/page"]),
        ("at {https://x.org/a}; or", ["https://x.org/a"]),
        ('"https://x.org/q?a=1&b=2"', ["https://x.org/q?a=1&b=2"]),
        (
            "wiki https://en.wikipedia.org/wiki/Foo_(bar).",
            ["https://en.wikipedia.org/wiki/Foo_(bar)"],
        ),
        ("visit www.example.com/x!", ["www.example.com/x"]),
        ("code at github.com/u/r: done", ["github.com/u/r"]),
        ("DOI 10.1145/3290605.3300233.", ["10.1145/3290605.3300233"]),
        ("https://doi.org/10.5281/zenodo.1", ["https://doi.org/10.5281/zenodo.1"]),
        ("twice https://a.org/x and https://a.org/x.", ["https://a.org/x"]),
        ("no links, 10.5% and and/or w/o", []),
    ],
)
def test_extract_links(text: str, expected: list[str]) -> None:
    assert hfpage.extract_links(text) == expected


def test_arxiv_id_from_link() -> None:
    abstract = ABSTRACT + " Paper: https://arxiv.org/abs/2403.01234v2."
    result = importers.parse(_page("Mar 11", "Title", abstract), "x.txt")
    assert result.papers[0].arxiv_id == "2403.01234"
    assert result.papers[0].links == ["https://arxiv.org/abs/2403.01234v2"]


def test_several_arxiv_ids_set_none() -> None:
    abstract = ABSTRACT + " Builds on arxiv.org/abs/2101.00001 and arxiv.org/abs/2101.00002."
    result = importers.parse(_page("Mar 11", "Title", abstract), "x.txt")
    assert result.papers[0].arxiv_id == ""


# --- decoding and detection --------------------------------------------------


def test_decode_text_variants() -> None:
    assert importers.decode_text(b"\xef\xbb\xbfhello", "a.txt") == "hello"
    assert importers.decode_text("naïve".encode(), "a.txt") == "naïve"
    assert importers.decode_text("naïve – “x”".encode("cp1252"), "a.txt") == "naïve – “x”"
    assert importers.decode_text(b"\x81\x8d ok", "a.txt") == "\x81\x8d ok"
    assert importers.decode_text(b"\xff\xfe" + "héllo".encode("utf-16-le"), "a.txt") == "héllo"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"text with a \x00 NUL",
        bytes(range(1, 32)) * 4,
    ],
)
def test_binary_rejected(data: bytes) -> None:
    with pytest.raises(InputError, match=r"^img\.png: not a text file"):
        importers.decode_text(data, "img.png")
    with pytest.raises(InputError, match=r"^img\.png: not a text file"):
        importers.parse(data, "img.png")


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", b"\xef\xbb\xbf"])
def test_empty_rejected(data: bytes) -> None:
    with pytest.raises(InputError, match=r"^list\.txt: the file is empty"):
        importers.detect(data, "list.txt")


def test_detect_content_before_extension() -> None:
    bib = b"@article{k1,\n  title = {A Title},\n}\n"
    assert importers.detect(bib, "refs.bib") == "bibtex"
    assert importers.detect(bib, "refs.txt") == "bibtex"
    assert importers.detect(_page("Mar 11", "T", ABSTRACT), "page.bib") == "hf-page"


def test_detect_extension_fallback_and_unknown() -> None:
    prose = b"Just some notes.\nNothing else here.\n"
    assert importers.detect(prose, "notes.TXT") == "hf-page"
    assert importers.detect(prose, "notes.md") == "hf-page"
    assert importers.detect(prose, "refs.bib") == "bibtex"
    with pytest.raises(InputError, match=r"^notes\.dat: unrecognised format"):
        importers.detect(prose, "notes.dat")


def test_formats_for_file_dialogs() -> None:
    labels = [label for label, _ in importers.FORMATS]
    # Every format the registry reads is offered, and the first filter shows them all,
    # so a .bib is never hidden behind a "page" filter.
    assert labels[0].startswith("All supported files")
    assert labels[-1] == "All files"
    supported = set(importers.FORMATS[0][1])
    assert {"*.bib", "*.ris", "*.txt", "*.md", "*.pdf"} <= supported
    for _, globs in importers.FORMATS[1:-1]:
        assert set(globs) <= supported


def test_parse_file(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(SAMPLE.read_bytes())
    assert len(importers.parse_file(path).papers) == 101


def test_parse_file_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases: list[tuple[Path, str]] = [
        (tmp_path / "missing.txt", "no such file"),
        (tmp_path, "is a folder"),
    ]
    for path, reason in cases:
        with pytest.raises(InputError) as info:
            importers.parse_file(path)
        message = str(info.value)
        assert message == f"{path}: {message.split(': ', 1)[1]}"
        assert reason in message and "\n" not in message

    locked = tmp_path / "locked.txt"
    locked.write_text("x")

    def deny(self: Path, *_args: object, **_kwargs: object) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    # Simulated: chmod does not stop root, which CI containers often are.
    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(InputError, match=r"locked\.txt: permission denied$"):
        importers.parse_file(locked)


# --- BibTeX --------------------------------------------------------------------

BIB = r"""% exported by hand
@string{jml = "J. Mach. Learn."}

@article{mueller2020,
  title = {T{\"U}LU 3: Pushing {LLMs} to 50\% and
           beyond},
  author = {M{\"u}ller, Hans and van der Berg, Jan and {Barnes and Noble, Inc.}
            and D.~E. Knuth and others},
  journal = jml,
  year = 2020,
  Keywords = {deep learning; NLP, nlp},
  doi = {https://doi.org/10.1000/a\_b},
  abstract = {We get 83.6% on Top-1 & more. See \url{https://x.org/a_b}.},
}

@misc{broken, title = {unclosed, year = 2020}

@inproceedings{smith21,
  title = "Attention {Is} Not {\em All}",
  author = "Jane Smith",
  booktitle = {Proc. of {NeurIPS}},
  year = {2021},
  url = {https://example.org/p%20q},
}

@misc{notitle, year = {2021}}

@misc{arx,
  title = {An arXiv Preprint},
  eprint = {2403.01234v2},
  archivePrefix = {arXiv},
  primaryClass = {cs.CL},
}

@misc{twice, title = {First}, title = {Second}}

@inproceedings{mueller2020, title = {Same Key}, booktitle = {X}}
"""


@pytest.fixture(scope="module")
def bib_result() -> ParseResult:
    return importers.parse(BIB.encode("utf-8"), "refs.bib")


def _by_key(result: ParseResult) -> dict[str, ParsedPaper]:
    return {p.citekey: p for p in result.papers}


def test_bibtex_entry_fields(bib_result: ParseResult) -> None:
    assert bib_result.format == "bibtex"
    paper = _by_key(bib_result)["mueller2020"]
    assert paper.title == "TÜLU 3: Pushing LLMs to 50% and beyond"
    assert [a.display() for a in paper.authors] == [
        "Hans Müller",
        "Jan van der Berg",
        "Barnes and Noble, Inc.",
        "D. E. Knuth",
    ]
    # Stored as people: "van der" is the prefix, not part of the given name.
    assert paper.authors[1] == Person(given="Jan", family="Berg", prefix="van der")
    assert paper.year == 2020
    assert paper.venue == "J. Mach. Learn."
    assert paper.doi == "10.1000/a_b"
    assert paper.tags == ["deep learning", "NLP"]
    assert paper.entry_type == "article"
    assert paper.line == 4
    # A raw % or & in a BibTeX abstract is text, not a comment.
    assert paper.abstract == "We get 83.6% on Top-1 & more. See https://x.org/a_b."
    assert paper.links == ["https://x.org/a_b"]


def test_bibtex_other_entries(bib_result: ParseResult) -> None:
    papers = _by_key(bib_result)
    smith = papers["smith21"]
    assert smith.title == "Attention Is Not All"
    assert smith.authors == [Person(given="Jane", family="Smith")]
    assert smith.venue == "Proc. of NeurIPS"
    assert smith.year == 2021
    assert smith.url == "https://example.org/p%20q"
    assert smith.entry_type == "inproceedings"
    arx = papers["arx"]
    assert arx.arxiv_id == "2403.01234"
    assert arx.entry_type == "misc"
    # The entry with a repeated field still comes through, with the first value.
    assert papers["twice"].title == "First"
    assert [p.citekey for p in bib_result.papers] == ["mueller2020", "smith21", "arx", "twice"]


def _bib_line(start: str) -> int:
    """1-based line of BIB that starts with ``start``."""
    return next(i for i, line in enumerate(BIB.split("\n"), 1) if line.startswith(start))


def test_bibtex_problems(bib_result: ParseResult) -> None:
    described = [p.describe("refs.bib") for p in bib_result.problems]
    assert len(described) == 4, described
    broken, notitle, twice, duplicate = bib_result.problems
    assert (broken.line, broken.entry) == (_bib_line("@misc{broken"), "broken")
    assert "could not parse entry" in broken.message
    assert (notitle.line, notitle.entry) == (_bib_line("@misc{notitle"), "notitle")
    assert "no title" in notitle.message
    assert (twice.line, twice.entry) == (_bib_line("@misc{twice"), "twice")
    assert "duplicate field title" in twice.message
    assert (duplicate.line, duplicate.entry) == (_bib_line("@inproceedings{mueller"), "mueller2020")
    assert "duplicate citation key (first used on line 4)" in duplicate.message
    assert all("\n" not in d for d in described)


def test_bibtex_arxiv_from_other_fields() -> None:
    bib = (
        "@article{a, title={A}, journal={arXiv preprint arXiv:2101.00001}}\n"
        "@misc{b, title={B}, doi={10.48550/arXiv.2102.00002}}\n"
        "@misc{c, title={C}, howpublished={\\url{https://arxiv.org/abs/2103.00003}}}\n"
    )
    papers = importers.parse(bib.encode(), "x.bib").papers
    assert [p.arxiv_id for p in papers] == ["2101.00001", "2102.00002", "2103.00003"]
    assert papers[2].url == "https://arxiv.org/abs/2103.00003"


def test_bibtex_without_entries() -> None:
    with pytest.raises(InputError, match=r"^refs\.bib: no BibTeX entries found"):
        importers.parse(b"% just a comment\n", "refs.bib")


def test_bibtex_only_broken_entries_gives_problems() -> None:
    result = bibtex.parse("@misc{a, title = {x}\n@misc{b, title={y\n", "x.bib")
    assert result.papers == []
    assert [p.entry for p in result.problems] == ["a", "b"]


# --- size and robustness ---------------------------------------------------------


def test_large_page_keeps_every_pair() -> None:
    # Speed is measured by the benchmark (python -m readinglist.bench), not here.
    blocks = ["Mar 11"]
    for i in range(20_000):
        blocks += [f"Paper number {i}", f"{ABSTRACT} Code: https://github.com/u/r{i}."]
    result = importers.parse(_page(*blocks), "big.txt")
    assert len(result.papers) == 20_000
    assert result.papers[-1].title == "Paper number 19999"
    assert result.papers[-1].links == ["https://github.com/u/r19999"]


def _parse_or_input_error(data: bytes, name: str) -> None:
    try:
        result = importers.parse(data, name)
    except InputError as exc:
        message = str(exc)
        assert message.startswith(name) and "\n" not in message
        return
    assert isinstance(result, ParseResult)
    assert result.format in ("hf-page", "bibtex", "ris", "ids", "pdf")
    for paper in result.papers:
        assert isinstance(paper, ParsedPaper) and paper.title


names = st.sampled_from(["x.txt", "x.bib", "x.md", "x", "x.dat"])


@FUZZ
@given(st.binary(max_size=3000), names)
def test_fuzz_any_bytes(data: bytes, name: str) -> None:
    _parse_or_input_error(data, name)


@FUZZ
@given(st.text(max_size=2000), names)
def test_fuzz_any_text(text: str, name: str) -> None:
    _parse_or_input_error(text.encode("utf-8", "surrogatepass"), name)


bib_alphabet = st.sampled_from([*'@{}()=,"#%\\~ \n\tabcT0123', "article", "title", "and"])


@FUZZ
@given(st.lists(bib_alphabet, max_size=300).map("".join), names)
def test_fuzz_bibtex_like(body: str, name: str) -> None:
    _parse_or_input_error(("@article{k,\n" + body).encode(), name)


@FUZZ
@given(st.binary(max_size=200), st.integers(min_value=0), st.integers(min_value=0, max_value=400))
def test_fuzz_mutated_sample(chunk: bytes, where: int, cut: int) -> None:
    data = SAMPLE.read_bytes()[:8000]
    at = where % len(data)
    _parse_or_input_error(data[:at] + chunk + data[at + cut :], "page.txt")


words = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=12
)
titles = st.lists(words, min_size=3, max_size=12).map(" ".join)
abstract_words = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz%&~()-,:;!?0123456789", min_size=1, max_size=12
)
# A fixed long opening keeps every abstract well past title length while
# hypothesis only has to draw the (tricky) tail: fewer draws, faster test.
_OPENING = "We present a method that improves results on several benchmarks. " * 5
abstracts = st.lists(abstract_words, min_size=1, max_size=25).map(
    lambda ws: _OPENING + " ".join(ws) + "."
)


@FUZZ
@given(
    st.lists(st.tuples(titles, abstracts), min_size=1, max_size=8),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(min_value=1, max_value=3),
    st.sampled_from(["", " ", "\t", " \t "]),
)
def test_fuzz_page_structure(
    pairs: list[tuple[str, str]], newline: str, gap: int, trailing: str
) -> None:
    separator = (trailing + newline) * (gap + 1)
    blocks = ["new", "Subscribe", "Mar 11"] + [part for pair in pairs for part in pair]
    data = (separator.join(blocks) + newline).encode()
    result = importers.parse(data, "page.txt")
    # Plain abstracts (%, &, ~ included) come back verbatim and pairs never shift.
    assert [(p.title, p.abstract) for p in result.papers] == pairs
    assert result.label == "Mar 11"


def test_a_utf8_file_with_a_stray_byte_stays_utf8_and_says_where(sample_bytes: bytes) -> None:
    cut = sample_bytes.index(b"\n", 5000)
    data = sample_bytes[:cut] + b" caf\xe9" + sample_bytes[cut:]
    result = importers.parse(data, "page.txt")
    titles = [p.title for p in result.papers]
    assert any(t.startswith("TÜLU 3") for t in titles)  # not re-read as cp1252 ("TÃœLU")
    (problem,) = result.problems
    assert problem.line == sample_bytes[:cut].count(b"\n") + 1
    assert "not UTF-8" in problem.message and "e9" in problem.message


def test_a_streamed_file_with_stray_bytes_reports_them_once(
    tmp_path: Path, sample_bytes: bytes
) -> None:
    cut = sample_bytes.index(b"\n", 5000)
    path = tmp_path / "page.txt"
    path.write_bytes(sample_bytes[:cut] + b" caf\xe9" + sample_bytes[cut:])
    stream = importers.stream_file(path)
    assert stream is not None
    papers = list(stream.papers)
    assert len(papers) == 101 and any(p.title.startswith("TÜLU 3") for p in papers)
    assert [p.line for p in stream.result.problems] == [sample_bytes[:cut].count(b"\n") + 1]


def test_a_cp1252_file_is_still_read_as_cp1252() -> None:
    text = "Café naïve résumé – “quoted” façade\n" * 20
    assert importers.decode_text(text.encode("cp1252"), "a.txt") == text


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "fifo"])
def test_only_regular_files_are_read(tmp_path: Path, special: str) -> None:
    import os

    path = Path(special)
    if special == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)  # opening it for reading would block forever
    with pytest.raises(InputError, match="not a regular file"):
        importers.stream_file(path)
    with pytest.raises(InputError, match="not a regular file"):
        importers.parse_file(path)


def test_files_beyond_the_size_caps_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_bytes: bytes
) -> None:
    page = tmp_path / "page.txt"
    page.write_bytes(sample_bytes)
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{k, title={T}, year=2020}\n" * 50)
    monkeypatch.setattr(importers, "MAX_WHOLE_FILE_BYTES", 1000)
    assert importers.stream_file(page) is not None  # streamed: only the overall cap applies
    with pytest.raises(InputError, match="too large"):
        importers.stream_file(bib)
    monkeypatch.setattr(importers, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InputError, match=r"refs.bib: too large to import"):
        importers.parse_file(bib)
    with pytest.raises(InputError, match="too large"):
        importers.stream_file(page)


def test_pdf_importer_registered_lazily() -> None:
    from readinglist.importers import pdf

    # The registry names the PDF format without importing pypdf (start time).
    assert importers.PDF_FORMAT == pdf.FORMAT
    assert importers.sniff_binary(pdf.MAGIC + b"1.7\n") == pdf.FORMAT
