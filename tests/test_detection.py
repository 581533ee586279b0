"""Format detection in the importer registry: content first, file name second.

Also fuzzes the id-list and PDF importers and the registry: any input gives a
``ParseResult`` or an ``InputError`` naming the file, in bounded time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pdf_import import Text, make_pdf

from readinglist import importers
from readinglist.importers import idlist, pdf
from readinglist.records import InputError, ParseResult

DATA = Path(__file__).parent / "data"
SAMPLE = (DATA / "hf-trending-mar11.txt").read_bytes()
ID_LIST = (DATA / "ids" / "reading-list.md").read_bytes()
BIBTEX = b"@article{smith2020,\n  title = {A Title},\n  author = {Smith, Ann},\n}\n"
RIS = b"TY  - JOUR\nTI  - A Title From RIS\nAU  - Smith, Ann\nPY  - 2020\nER  - \n"
PDF = make_pdf(
    [[Text("A Paper In PDF", size=18), Text("arXiv:2403.01234v1 [cs.CL] 4 Mar 2024", y=600)]]
)
EXPECTED = (
    "expected BibTeX, RIS, a trending-papers page, a list of arXiv ids/DOIs or links, or a PDF"
)


# --- content first ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "fmt"),
    [
        (BIBTEX, "refs.txt", "bibtex"),
        (BIBTEX, "refs.md", "bibtex"),
        (BIBTEX, "refs", "bibtex"),
        (RIS, "refs.bib", "ris"),
        (RIS, "refs.txt", "ris"),
        (ID_LIST, "list.bib", "ids"),
        (ID_LIST, "list.txt", "ids"),
        (ID_LIST, "list.ris", "ids"),
        (ID_LIST, "list", "ids"),
        (SAMPLE, "page.dat", "hf-page"),
        (SAMPLE, "page.bib", "hf-page"),
        (SAMPLE, "page.txt", "hf-page"),
        (PDF, "paper.txt", "pdf"),
        (PDF, "paper.dat", "pdf"),
        (PDF, "paper", "pdf"),
        # A text named .pdf is read as the text it is.
        (ID_LIST, "list.pdf", "ids"),
    ],
)
def test_content_decides(data: bytes, name: str, fmt: str) -> None:
    assert importers.detect(data, name) == fmt
    assert importers.parse(data, name).format == fmt


def test_what_each_detected_file_holds() -> None:
    assert [p.title for p in importers.parse(BIBTEX, "refs.txt").papers] == ["A Title"]
    assert [p.title for p in importers.parse(RIS, "refs.bib").papers] == ["A Title From RIS"]
    ids = importers.parse(ID_LIST, "list.bib").papers
    assert ids[0].arxiv_id == "1706.03762" and len(ids) == 12
    assert len(importers.parse(SAMPLE, "page.dat").papers) == 101
    (paper,) = importers.parse(PDF, "paper.txt").papers
    assert (paper.title, paper.arxiv_id) == ("A Paper In PDF", "2403.01234")


def test_a_plain_list_of_links_is_an_id_list_not_a_page() -> None:
    # A short line followed by a long line of links has a page's shape.
    many = " ".join(f"https://arxiv.org/abs/2403.{n:05d}" for n in range(1, 21))
    data = f"https://arxiv.org/abs/2401.00001\n{many}\n".encode()
    assert importers.detect(data, "links.txt") == "ids"
    assert len(importers.parse(data, "links.txt").papers) == 21


def test_a_page_whose_abstracts_link_papers_stays_a_page() -> None:
    abstract = "We build on https://arxiv.org/abs/1706.03762 and doi:10.1145/3292500.3330701. " * 6
    blocks = ["Mar 11"]
    for n in range(5):
        blocks += [f"https://arxiv.org/abs/2403.0123{n}", abstract]
    data = "\n\n".join(blocks).encode()
    assert importers.detect(data, "page.txt") == "hf-page"
    assert len(importers.parse(data, "page.txt").papers) == 5


# --- file name second ---------------------------------------------------------------------


def test_extension_fallback() -> None:
    prose = b"Just some notes.\nNothing else here.\n"
    assert importers.detect(prose, "notes.txt") == "hf-page"
    assert importers.detect(prose, "notes.md") == "hf-page"
    assert importers.detect(prose, "refs.bib") == "bibtex"
    assert importers.detect(prose, "refs.bibtex") == "bibtex"
    assert importers.detect(prose, "refs.ris") == "ris"


@pytest.mark.parametrize("name", ["notes.dat", "notes", "paper.pdf", "notes.csv"])
def test_unknown_content_names_the_file_and_the_formats(name: str) -> None:
    with pytest.raises(InputError) as info:
        importers.parse(b"Just some notes.\nNothing else here.\n", name)
    assert str(info.value) == f"{name}: unrecognised format ({EXPECTED})"


def test_parse_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "notes.dat"
    path.write_bytes(b"hello\n")
    with pytest.raises(InputError, match=rf"^{path}: unrecognised format \(expected BibTeX"):
        importers.parse_file(path)
    listed = tmp_path / "list.bib"
    listed.write_bytes(ID_LIST)
    assert importers.parse_file(listed).format == "ids"
    # Only a file that is the paper is attached.
    assert all(p.pdf_path == "" for p in importers.parse_file(listed).papers)


# --- what the dialogs and folder imports are told -----------------------------------------


def test_formats_for_file_dialogs() -> None:
    assert importers.FORMATS[0] == (
        "All supported files",
        ["*.bib", "*.bibtex", "*.ris", "*.txt", "*.md", "*.pdf"],
    )
    assert importers.FORMATS[-1] == ("All files", ["*"])
    labels = [label for label, _ in importers.FORMATS]
    assert labels == [
        "All supported files",
        "BibTeX",
        "RIS",
        "Trending-papers page",
        "List of arXiv ids, DOIs or links",
        "PDF",
        "All files",
    ]
    # Every pattern of a format is in the first filter.
    first = set(importers.FORMATS[0][1])
    assert {g for _, globs in importers.FORMATS[1:-1] for g in globs} == first


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("a.bib", True),
        ("a.bibtex", True),
        ("a.ris", True),
        ("a.RIS", True),
        ("a.txt", True),
        ("a.md", True),
        ("a.pdf", True),
        ("a.PDF", True),
        ("a.png", False),
        ("a.zip", False),
        ("a", False),
    ],
)
def test_importable(name: str, wanted: bool) -> None:
    assert importers.importable(Path("folder") / name) is wanted


# --- fuzzing -------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FLOOR_S = 0.5
PER_100KB_S = 1.0


def _bounded(size: int, name: str, work: Callable[[], ParseResult]) -> ParseResult | None:
    """Run *work*: a ParseResult or a one-line InputError naming *name*, in bounded time."""
    start = time.perf_counter()
    try:
        result: ParseResult | None = work()
    except InputError as exc:
        message = str(exc)
        assert message.startswith(name) and "\n" not in message
        result = None
    took = time.perf_counter() - start
    allowed = max(FLOOR_S, PER_100KB_S * size / 100_000)
    assert took <= allowed, f"{took:.2f} s for {size} bytes (allowed {allowed:.2f} s)"
    if result is not None:
        assert isinstance(result, ParseResult)
        for paper in result.papers:
            assert paper.title
    return result


ID_TOKENS = [
    "2403.01234",
    "0704.0001",
    "1501.00001",
    "v2",
    "hep-th/9901001",
    "math.GT/0309136",
    "arXiv:",
    "https://",
    "http://",
    "arxiv.org/abs/",
    "arxiv.org/pdf/",
    ".pdf",
    "huggingface.co/papers/",
    "doi:",
    "doi.org/",
    "10.1145/",
    "10.48550/arXiv.",
    "abc",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    ",",
    ";",
    ".",
    " ",
    "\n",
    "\r\n",
    "- ",
    "* ",
    "1. ",
    "/",
    "é",
    "\t",
]
id_text = st.lists(st.sampled_from(ID_TOKENS), max_size=300).map("".join)
names = st.sampled_from(["x.txt", "x.bib", "x.md", "x", "x.ris", "x.pdf"])


@FUZZ
@given(id_text)
def test_fuzz_id_list(text: str) -> None:
    result = _bounded(len(text.encode()), "x.txt", lambda: idlist.parse(text, "x.txt"))
    if result is None:
        return
    assert result.papers
    keys = set()
    for paper in result.papers:
        # Exactly one identifier, named by the title.
        assert bool(paper.arxiv_id) != bool(paper.doi)
        if paper.arxiv_id:
            assert paper.title == f"arXiv:{paper.arxiv_id}"
            assert paper.url.startswith(f"https://arxiv.org/abs/{paper.arxiv_id}")
            keys.add(paper.arxiv_id.lower())
        else:
            assert paper.title == f"doi:{paper.doi}"
            assert paper.url == f"https://doi.org/{paper.doi}"
            keys.add(paper.doi.lower())
        assert paper.line is not None and 1 <= paper.line <= text.count("\n") + 1
    assert len(keys) == len(result.papers)


@FUZZ
@given(id_text, names)
def test_fuzz_registry_on_id_like_text(text: str, name: str) -> None:
    data = text.encode()
    _bounded(len(data), name, lambda: importers.parse(data, name))


@FUZZ
@given(st.binary(max_size=3000), names)
def test_fuzz_registry_on_bytes(data: bytes, name: str) -> None:
    _bounded(len(data), name, lambda: importers.parse(data, name))


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzz_pdf_random_bytes_after_the_magic(tail: bytes) -> None:
    data = b"%PDF-" + tail
    _bounded(len(data), "x.pdf", lambda: pdf.parse_bytes(data, "x.pdf"))
    _bounded(len(data), "x.txt", lambda: importers.parse(data, "x.txt"))


@FUZZ
@given(st.binary(max_size=200), st.integers(min_value=0), st.integers(min_value=0, max_value=400))
def test_fuzz_mutated_pdf(chunk: bytes, where: int, cut: int) -> None:
    at = where % len(PDF)
    data = PDF[:at] + chunk + PDF[at + cut :]
    _bounded(len(data), "x.pdf", lambda: importers.parse(data, "x.pdf"))


PDF_TOKENS = [
    b"%PDF-1.4\n",
    b"1 0 obj",
    b"2 0 obj",
    b"endobj",
    b"<<",
    b">>",
    b"[",
    b"]",
    b"/Type /Catalog",
    b"/Pages 2 0 R",
    b"/Kids [3 0 R]",
    b"/Count 1",
    b"/Contents 4 0 R",
    b"/Length 10",
    b"stream\n",
    b"endstream",
    b"BT /F1 12 Tf (Title) Tj ET",
    b"xref\n0 3\n",
    b"0000000000 65535 f \n",
    b"trailer",
    b"/Root 1 0 R",
    b"/Info 2 0 R",
    b"/Encrypt 2 0 R",
    b"/Filter /FlateDecode",
    b"startxref\n",
    b"%%EOF",
    b"(",
    b")",
    b"\\",
    b"9999999999",
    b"-1",
    b" ",
    b"\n",
]


@FUZZ
@given(st.lists(st.sampled_from(PDF_TOKENS), max_size=200).map(b"".join))
def test_fuzz_pdf_from_its_own_syntax(body: bytes) -> None:
    data = b"%PDF-1.4\n" + body
    _bounded(len(data), "x.pdf", lambda: pdf.parse_bytes(data, "x.pdf"))


@pytest.mark.parametrize(
    "text",
    [
        "a." * 50_000,
        "10.1234/" * 12_000,
        "10.1234/a," * 10_000,
        "arxiv:" + " " * 100_000,
        "hep-th/" * 14_000,
        "doi:" * 25_000,
        "https://arxiv.org/abs/" * 4_500,
        "2403.01234v" * 9_000,
        "(" * 100_000,
        "- " * 50_000,
    ],
)
def test_crafted_id_lists_are_linear(text: str) -> None:
    data = text.encode()
    _bounded(len(data), "x.txt", lambda: importers.parse(data, "x.txt"))
    assert isinstance(idlist.looks_like(text), bool)
