"""Tests for the PDF importer: metadata, first-page text, damaged and encrypted files."""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from readinglist import importers
from readinglist.importers import pdf
from readinglist.library import Library
from readinglist.people import Person
from readinglist.records import InputError

# --- a minimal PDF writer ------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """One line of text on a page: Helvetica (WinAnsi: cp1252) at *size* points, at (x, y)."""

    text: str
    size: float = 10
    x: float = 72
    y: float = 700
    # Turned 90° like the arXiv stamp in the left margin.
    rotated: bool = False


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _content(lines: Sequence[Text]) -> bytes:
    ops = []
    for line in lines:
        if line.rotated:
            place = b"0 1 -1 0 %g %g Tm" % (line.x, line.y)
        else:
            place = b"%g %g Td" % (line.x, line.y)
        ops.append(b"BT /F1 %g Tf %s %s Tj ET" % (line.size, place, _pdf_string(line.text)))
    return b"\n".join(ops)


def make_pdf(pages: Sequence[Sequence[Text]], info: dict[str, str] | None = None) -> bytes:
    """A valid PDF (correct xref offsets) with the given pages of text and document info."""
    n_pages = len(pages)
    font = 3
    first_page = 4
    # Objects: 1 catalog, 2 page tree, 3 font, then (page, content) per page, then info.
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(n_pages))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n_pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        content = _content(lines)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (font, first_page + 2 * i + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    if info:
        entries = b" ".join(b"/" + k.encode() + b" " + _pdf_string(v) for k, v in info.items())
        objects.append(b"<< " + entries + b" >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    if info:
        trailer += b" /Info %d 0 R" % len(objects)
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


ABSTRACT_LINES = [
    "We present a method for managing research papers that scales to large libra-",
    "ries. It imports lists of identifiers, PDF files and BibTeX, and it works well.",
]

PAPER_PAGE = [
    Text("arXiv:2403.01234v2 [cs.CL] 4 Mar 2024", size=20, x=30, y=250, rotated=True),
    Text("Deep Learning for Reading Lists:", size=17, y=720),
    Text("A Study in Paper Management", size=17, y=700),
    Text("Ann Smith and Bob Jones", size=12, y=670),
    Text("ann@example.org", size=9, y=655),
    Text("Abstract", size=10, y=630),
    Text(ABSTRACT_LINES[0], size=9, y=618),
    Text(ABSTRACT_LINES[1], size=9, y=606),
    Text("1 Introduction", size=12, y=580),
    Text("Papers are many. See arXiv:1706.03762 and arXiv:2005.14165 for more.", size=9, y=565),
    Text("1", size=9, y=40),
]


@pytest.fixture(scope="module")
def paper_pdf() -> bytes:
    return make_pdf(
        [PAPER_PAGE, [Text("2 Related work", size=12), Text("Lots of it.", y=680)]],
        info={
            "Title": "Microsoft Word - paper_final.docx",
            "Author": "Smith, Ann; Jones, Bob",
            "CreationDate": "D:20230101120000Z",
        },
    )


def test_the_helper_writes_pdfs_pypdf_reads(paper_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(paper_pdf), strict=True)
    assert len(reader.pages) == 2
    assert "Deep Learning for Reading Lists:" in reader.pages[0].extract_text()
    assert reader.metadata is not None and reader.metadata.author == "Smith, Ann; Jones, Bob"


# --- a paper -----------------------------------------------------------------------------


def test_a_paper(paper_pdf: bytes) -> None:
    result = pdf.parse_bytes(paper_pdf, "/papers/paper_final.pdf")
    assert result.format == "pdf"
    assert result.problems == []
    (paper,) = result.papers
    # The metadata title is a word processor's: the largest font of page 1 wins.
    assert paper.title == "Deep Learning for Reading Lists: A Study in Paper Management"
    assert paper.authors == [Person("Ann", "Smith"), Person("Bob", "Jones")]
    # The margin stamp, not the papers cited in the text.
    assert paper.arxiv_id == "2403.01234"
    assert paper.url == "https://arxiv.org/abs/2403.01234v2"
    # The arXiv id's year is better than the file's creation date.
    assert paper.year == 2024
    assert paper.doi == ""
    assert paper.abstract == (
        "We present a method for managing research papers that scales to large "
        "libraries. It imports lists of identifiers, PDF files and BibTeX, and it works well."
    )
    assert paper.entry_type == "misc"
    # The caller (the import) knows the path.
    assert paper.pdf_path == ""


def test_a_real_metadata_title_wins() -> None:
    data = make_pdf(
        [[Text("Preprint. Under review.", size=20), Text("Some Other Heading", size=12, y=650)]],
        info={"Title": "Attention Is All You Need", "Author": "Ashish Vaswani and Noam Shazeer"},
    )
    (paper,) = pdf.parse_bytes(data, "x.pdf").papers
    assert paper.title == "Attention Is All You Need"
    assert paper.authors == [Person("Ashish", "Vaswani"), Person("Noam", "Shazeer")]
    assert paper.arxiv_id == "" and paper.year is None


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "Microsoft Word - draft3.docx",
        "Microsoft PowerPoint - talk",
        "untitled",
        "Untitled document",
        "main.tex",
        "paper_final.pdf",
        "C:\\Users\\ann\\Documents\\thesis.doc",
        "Paper Title (use style: paper title)",
        "arXiv:2403.01234",
        "my-paper",  # the file's own name
        "x",
    ],
)
def test_placeholder_metadata_titles_are_not_titles(junk: str) -> None:
    data = make_pdf([[Text("Learning to Read Papers", size=18)]], info={"Title": junk})
    (paper,) = pdf.parse_bytes(data, "my-paper.pdf").papers
    assert paper.title == "Learning to Read Papers"


def test_one_font_size_gives_the_first_line_of_words() -> None:
    data = make_pdf(
        [
            [
                Text("12", y=760),
                Text("http://journal.example.org", y=745),
                Text("Sparse Attention Revisited", y=720),
                Text("Ann Smith", y=700),
            ]
        ]
    )
    (paper,) = pdf.parse_bytes(data, "scan.pdf").papers
    assert paper.title == "Sparse Attention Revisited"


@pytest.mark.parametrize(
    ("heading", "first"),
    [
        ("Abstract", "We study papers."),
        ("ABSTRACT", "We study papers."),
        ("Abstract. We study papers.", ""),
        ("Abstract\u2014We study papers.", ""),
        ("Abstract: We study papers.", ""),
    ],
)
def test_abstract_forms(heading: str, first: str) -> None:
    lines = [Text("Studies of Papers*", size=16, y=720), Text(heading, size=10, y=690)]
    if first:
        lines.append(Text(first, size=9, y=678))
    lines += [
        Text("They are many and they are long.", size=9, y=666),
        Text("Keywords: papers, lists", size=9, y=654),
    ]
    data = make_pdf([lines])
    (paper,) = pdf.parse_bytes(data, "x.pdf").papers
    assert paper.title == "Studies of Papers"
    assert paper.abstract == "We study papers. They are many and they are long."


def test_a_title_starting_with_abstract_is_a_title() -> None:
    page = [
        Text("Abstract Interpretation of Programs", size=16, y=720),
        Text("Ann Smith", size=11, y=700),
        Text("Some text that is not an abstract.", size=9, y=680),
    ]
    (paper,) = pdf.parse_bytes(make_pdf([page]), "x.pdf").papers
    assert paper.title == "Abstract Interpretation of Programs"
    assert paper.abstract == ""


def test_no_text_and_no_metadata_gives_the_file_name() -> None:
    data = make_pdf([[]])
    result = pdf.parse_bytes(data, "/tmp/some_scanned_paper.pdf")
    assert [p.title for p in result.papers] == ["some scanned paper"]
    assert [p.message for p in result.problems] == [
        "no text on the first page (a scan?); titled after the file name"
    ]


def test_year_from_the_creation_date_when_there_is_no_arxiv_id() -> None:
    data = make_pdf(
        [[Text("A Study of Things", size=16)]], info={"CreationDate": "D:20190412093000+02'00'"}
    )
    (paper,) = pdf.parse_bytes(data, "x.pdf").papers
    assert paper.year == 2019


@pytest.mark.parametrize(
    ("value", "people"),
    [
        ("Smith, Ann; Jones, Bob", [Person("Ann", "Smith"), Person("Bob", "Jones")]),
        ("Ann Smith; Bob Jones", [Person("Ann", "Smith"), Person("Bob", "Jones")]),
        ("Smith, Ann and Jones, Bob", [Person("Ann", "Smith"), Person("Bob", "Jones")]),
        (
            "Ann Smith, Bob Jones and Cy Brown",
            [Person("Ann", "Smith"), Person("Bob", "Jones"), Person("Cy", "Brown")],
        ),
        ("Ann Smith, Bob Jones", [Person("Ann", "Smith"), Person("Bob", "Jones")]),
        ("Ann Smith & Bob Jones", [Person("Ann", "Smith"), Person("Bob", "Jones")]),
        ("Smith, Ann", [Person("Ann", "Smith")]),
        ("Smith, Ann B.", [Person("Ann B.", "Smith")]),
        ("van der Berg, Jan", [Person("Jan", "Berg", "van der")]),
        ("John Smith, Jr.", [Person("John", "Smith", suffix="Jr.")]),
        ("Martin Luther King Jr.", [Person("Martin Luther", "King", suffix="Jr.")]),
        ("Ann Smith et al.", [Person("Ann", "Smith")]),
        ("Administrator", []),
        ("Ann Smith; ann@example.org", [Person("Ann", "Smith")]),
        ("", []),
    ],
)
def test_authors_from_metadata(value: str, people: list[Person]) -> None:
    data = make_pdf([[Text("A Title Here", size=14)]], info={"Author": value})
    (paper,) = pdf.parse_bytes(data, "x.pdf").papers
    assert paper.authors == people


# --- identifiers -----------------------------------------------------------------------------


def test_doi_from_the_metadata() -> None:
    data = make_pdf(
        [[Text("Cited: doi:10.1000/other.1 and doi:10.1000/other.2", size=9)]],
        info={
            "Title": "A Journal Article",
            "Subject": "Neural Networks, 61 (2015) 85-117. doi:10.1016/j.neunet.2014.09.003",
        },
    )
    (paper,) = pdf.parse_bytes(data, "x.pdf").papers
    assert paper.doi == "10.1016/j.neunet.2014.09.003"
    assert paper.url == "https://doi.org/10.1016/j.neunet.2014.09.003"
    assert paper.arxiv_id == ""


def test_doi_from_a_doi_key_in_the_metadata() -> None:
    data = make_pdf([[Text("T", size=9)]], info={"doi": "10.1038/nature14539"})
    (paper,) = pdf.parse_bytes(data, "nature.pdf").papers
    assert paper.doi == "10.1038/nature14539"
    assert paper.title == "nature"


def test_labelled_doi_on_the_first_page() -> None:
    page = [
        Text("Graph Methods Today", size=16, y=720),
        Text("DOI: 10.1145/3292500.3330701", size=8, y=700),
        Text("as shown in 10.1000/cited.1 and elsewhere", size=9, y=680),
    ]
    (paper,) = pdf.parse_bytes(make_pdf([page]), "x.pdf").papers
    assert paper.doi == "10.1145/3292500.3330701"
    assert paper.title == "Graph Methods Today"


def test_a_unique_doi_on_page_two() -> None:
    pages = [
        [Text("Some Conference Paper", size=16)],
        [Text("Published as https://doi.org/10.1109/CVPR.2016.90", size=8)],
    ]
    (paper,) = pdf.parse_bytes(make_pdf(pages), "x.pdf").papers
    assert paper.doi == "10.1109/CVPR.2016.90"


def test_cited_ids_are_not_the_papers_own() -> None:
    page = [
        Text("A Survey of Surveys", size=16, y=720),
        Text("Following arXiv:1706.03762 and arXiv:2005.14165, and", size=9, y=700),
        Text("the results of 10.1000/a.1 and 10.1000/b.2.", size=9, y=690),
    ]
    (paper,) = pdf.parse_bytes(make_pdf([page]), "x.pdf").papers
    assert (paper.arxiv_id, paper.doi, paper.url) == ("", "", "")


def test_a_single_arxiv_id_on_page_one_counts() -> None:
    page = [Text("Some Preprint Title", size=16), Text("arXiv:2401.04088v1", size=8, y=600)]
    (paper,) = pdf.parse_bytes(make_pdf([page]), "x.pdf").papers
    assert paper.arxiv_id == "2401.04088"
    assert paper.year == 2024
    assert paper.url == "https://arxiv.org/abs/2401.04088v1"


# --- damaged, encrypted and hostile files ---------------------------------------------------


def _encrypted(data: bytes, user: str, owner: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_with_a_password(paper_pdf: bytes) -> None:
    data = _encrypted(paper_pdf, "secret", "owner")
    result = pdf.parse_bytes(data, "/papers/locked_paper.pdf")
    assert [(p.title, p.arxiv_id, p.entry_type) for p in result.papers] == [
        ("locked paper", "", "misc")
    ]
    (problem,) = result.problems
    assert problem.message == (
        "the text could not be read: it is protected by a password; imported under its file name"
    )


def test_encrypted_without_a_user_password_is_read(paper_pdf: bytes) -> None:
    # Only the owner password is set ("no copying"): anyone may open and read it.
    data = _encrypted(paper_pdf, "", "owner")
    result = pdf.parse_bytes(data, "x.pdf")
    (paper,) = result.papers
    assert paper.title == "Deep Learning for Reading Lists: A Study in Paper Management"
    assert paper.arxiv_id == "2403.01234"
    assert paper.authors == [Person("Ann", "Smith"), Person("Bob", "Jones")]


@pytest.mark.parametrize("cut", [0.1, 0.3, 0.5])
def test_a_truncated_pdf_is_refused(paper_pdf: bytes, cut: float) -> None:
    data = paper_pdf[: int(len(paper_pdf) * cut)]
    with pytest.raises(InputError, match=r"^part\.pdf: not a readable PDF \(.+\)$"):
        pdf.parse_bytes(data, "part.pdf")


@pytest.mark.parametrize("damage", ["shifted", "bad startxref"])
def test_wrong_offsets_are_repaired(paper_pdf: bytes, damage: str) -> None:
    if damage == "shifted":
        # Bytes inserted after the header: every offset in the xref table is off.
        data = paper_pdf[:9] + b" " * 10 + paper_pdf[9:]
    else:
        data = paper_pdf[: paper_pdf.rindex(b"startxref")] + b"startxref\n12345\n%%EOF\n"
    (paper,) = pdf.parse_bytes(data, "x.pdf").papers
    assert paper.title == "Deep Learning for Reading Lists: A Study in Paper Management"


def test_unreadable_glyphs_give_the_file_name() -> None:
    # The page's font is missing: pypdf reads the text as replacement characters.
    data = make_pdf([[Text("A Fine Title", size=16)]]).replace(b"/F1 3 0 R", b"/F1 99 0 R")
    result = pdf.parse_bytes(data, "/x/fine_title.pdf")
    assert [p.title for p in result.papers] == ["fine title"]
    assert [p.message for p in result.problems] == [
        "no title found on the first page; titled after the file name"
    ]


def test_a_damaged_page_is_a_problem_not_a_failure() -> None:
    # The page's content stream is the page itself.
    data = make_pdf([[Text("A Fine Title", size=16)]], info={"Title": "The Real Title"})
    data = data.replace(b"/Contents 5 0 R", b"/Contents 4 0 R")
    result = pdf.parse_bytes(data, "x.pdf")
    assert [p.title for p in result.papers] == ["The Real Title"]
    (problem,) = result.problems
    assert problem.message.startswith("the text of page 1 could not be read (")


def test_a_cyclic_page_tree_is_an_input_error() -> None:
    data = make_pdf([[Text("A Fine Title", size=16)]]).replace(b"/Kids [4 0 R]", b"/Kids [2 0 R]")
    with pytest.raises(InputError, match=r"^x\.pdf: not a readable PDF \(no pages"):
        pdf.parse_bytes(data, "x.pdf")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-",
        b"%PDF-1.7\n",
        b"%PDF-1.4\n" + bytes(range(256)) * 8,
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 1 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>",
    ],
)
def test_garbage_after_the_magic_is_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError, match=r"^junk\.pdf: not a readable PDF \(.+\)$"):
        pdf.parse_bytes(data, "junk.pdf")


def test_a_huge_first_page_is_bounded() -> None:
    # 200,000 lines of text (8 MB): only the start of the page is read.
    lines = [Text(f"word{i} " * 3, size=9, y=700 - 12 * (i % 55)) for i in range(200_000)]
    data = make_pdf([[Text("Big Title", size=20, y=740), *lines]])
    start = time.perf_counter()
    result = pdf.parse_bytes(data, "big.pdf")
    took = time.perf_counter() - start
    assert result.papers[0].title == "Big Title"
    assert result.problems == []
    assert took < 2 * pdf.TIME_BUDGET_S


def test_only_the_start_of_a_long_page_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    page = [
        Text("A Title at the Top", size=20, y=720),
        Text("Abstract", y=700),
        Text("This abstract is past the part of the page that is read.", y=690),
    ]
    monkeypatch.setattr(pdf, "MAX_CONTENT_BYTES", len(_content(page[:1])) + 1)
    result = pdf.parse_bytes(make_pdf([page]), "x.pdf")
    assert [(p.title, p.abstract) for p in result.papers] == [("A Title at the Top", "")]
    monkeypatch.setattr(pdf, "MAX_TEXT", 10)
    result = pdf.parse_bytes(make_pdf([page]), "x.pdf")
    assert [(p.title, p.abstract) for p in result.papers] == [("A Title at the Top", "")]


def test_the_time_budget_ends_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "TIME_BUDGET_S", -1.0)
    lines = [Text(f"line {i}", size=9, y=760 - 12 * (i % 60)) for i in range(2000)]
    result = pdf.parse_bytes(make_pdf([lines]), "/x/late.pdf")
    # The clock is looked at every few hundred operators: the first few lines get through.
    assert result.papers[0].title == "line 0"
    assert result.problems == []


# --- through the registry and the library -----------------------------------------------------


def test_the_registry_reads_pdfs(paper_pdf: bytes, tmp_path: Path) -> None:
    assert importers.sniff_binary(paper_pdf) == "pdf"
    assert importers.detect(paper_pdf, "whatever.bin") == "pdf"
    assert importers.parse(paper_pdf, "x.pdf").format == "pdf"
    assert "pdf" in importers.ATTACHING_FORMATS
    assert importers.importable(Path("a/b/Paper.PDF"))
    path = tmp_path / "paper.pdf"
    path.write_bytes(paper_pdf)
    (paper,) = importers.parse_file(path).papers
    assert paper.pdf_path == str(path.resolve())
    assert paper.arxiv_id == "2403.01234"


def test_a_folder_of_pdfs_through_the_library(paper_pdf: bytes, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    (folder / "sub").mkdir(parents=True)
    first = folder / "a-paper.pdf"
    first.write_bytes(paper_pdf)
    second = folder / "sub" / "B.PDF"
    second.write_bytes(
        make_pdf(
            [[Text("Other Paper", size=16), Text("doi:10.1038/nature14539", size=8, y=600)]],
            info={"Author": "Cy Brown"},
        )
    )
    locked = folder / "locked.pdf"
    locked.write_bytes(_encrypted(paper_pdf, "pw", "pw"))
    (folder / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with Library(tmp_path / "lib") as lib:
        reports = lib.import_paths([folder])
        by_name = {r.file_name: r for r in reports}
        assert set(by_name) == {"drop", "a-paper.pdf", "locked.pdf", "B.PDF"}
        assert "cover.png" in by_name["drop"].problems[0].message
        assert all(by_name[n].format == "pdf" for n in ("a-paper.pdf", "locked.pdf", "B.PDF"))
        papers = {p.pdf_path: p for p in lib.papers()}
        assert set(papers) == {str(first.resolve()), str(second.resolve()), str(locked.resolve())}
        one = papers[str(first.resolve())]
        assert one.title == "Deep Learning for Reading Lists: A Study in Paper Management"
        assert one.arxiv_id == "2403.01234" and one.year == 2024
        assert one.authors == ("Ann Smith", "Bob Jones")
        two = papers[str(second.resolve())]
        assert (two.title, two.doi, two.authors) == (
            "Other Paper",
            "10.1038/nature14539",
            ("Cy Brown",),
        )
        assert papers[str(locked.resolve())].title == "locked"
        assert [p.message for p in by_name["locked.pdf"].problems] == [
            "the text could not be read: it is protected by a password; "
            "imported under its file name"
        ]
