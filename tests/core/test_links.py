"""Which link "Open" opens: the PDF, else arXiv, else DOI, else the web page."""

from __future__ import annotations

from readinglist.core.links import (
    LinkKind,
    PaperLink,
    arxiv_abs_url,
    best_link,
    doi_url,
    link_of,
    paper_links,
)
from readinglist.records import PaperData


def _paper(**fields: object) -> PaperData:
    return PaperData(id=1, title="A paper", **fields)  # type: ignore[arg-type]


def test_best_link_prefers_pdf_then_arxiv_then_doi_then_url() -> None:
    full = {
        "pdf_path": "/papers/a.pdf",
        "arxiv_id": "2410.12345",
        "doi": "10.1145/1234.5678",
        "url": "https://example.org/paper",
    }
    assert best_link(_paper(**full)) == PaperLink(LinkKind.PDF, "/papers/a.pdf")
    del full["pdf_path"]
    assert best_link(_paper(**full)) == PaperLink(
        LinkKind.ARXIV, "https://arxiv.org/abs/2410.12345"
    )
    del full["arxiv_id"]
    assert best_link(_paper(**full)) == PaperLink(LinkKind.DOI, "https://doi.org/10.1145/1234.5678")
    del full["doi"]
    assert best_link(_paper(**full)) == PaperLink(LinkKind.URL, "https://example.org/paper")
    assert best_link(_paper()) is None


def test_every_kind_is_listed_once_in_order() -> None:
    paper = _paper(
        pdf_path="/p.pdf",
        arxiv_id="arXiv:2410.12345v3",
        doi="10.1/x",
        url="https://example.org/p",
        links=("https://mirror.example.org/p",),
    )
    assert [link.kind for link in paper_links(paper)] == list(LinkKind)
    assert link_of(paper, LinkKind.URL) == PaperLink(LinkKind.URL, "https://example.org/p")
    assert link_of(_paper(doi="10.1/x"), LinkKind.ARXIV) is None


def test_the_web_page_is_not_the_arxiv_or_doi_page_again() -> None:
    paper = _paper(arxiv_id="2410.12345", url="https://arxiv.org/abs/2410.12345v2")
    assert [link.kind for link in paper_links(paper)] == [LinkKind.ARXIV]
    paper = _paper(doi="10.1/X", url="https://doi.org/10.1/x")
    assert [link.kind for link in paper_links(paper)] == [LinkKind.DOI]
    # A further link that is another page is the web page.
    paper = _paper(
        arxiv_id="2410.12345",
        url="https://arxiv.org/pdf/2410.12345",
        links=("https://huggingface.co/papers/2410.12345",),
    )
    assert link_of(paper, LinkKind.URL) == PaperLink(
        LinkKind.URL, "https://huggingface.co/papers/2410.12345"
    )


def test_an_arxiv_link_without_an_id_gives_the_abstract_page() -> None:
    paper = _paper(links=("https://arxiv.org/pdf/2401.00001v2",))
    assert best_link(paper) == PaperLink(LinkKind.ARXIV, "https://arxiv.org/abs/2401.00001")
    assert arxiv_abs_url("not an id") == ""


def test_only_web_addresses_are_offered_as_pages() -> None:
    for url in ("javascript:alert(1)", "file:///etc/passwd", "ftp://x.org/a", "https://", "x"):
        assert best_link(_paper(url=url)) is None, url


def test_doi_links_are_encoded_and_unprefixed() -> None:
    assert doi_url("doi:10.1000/xyz") == "https://doi.org/10.1000/xyz"
    assert doi_url("https://doi.org/10.1000/a b") == "https://doi.org/10.1000/a%20b"
    # "<", ">" and "#" would break the URL or cut the DOI short.
    assert doi_url("10.1002/(SICI)1097<693::AID>3.0.CO;2-#") == (
        "https://doi.org/10.1002/(SICI)1097%3C693::AID%3E3.0.CO;2-%23"
    )
    assert doi_url("  ") == ""


def test_a_pdf_link_is_a_file() -> None:
    link = best_link(_paper(pdf_path=" /home/me/a.pdf "))
    assert link is not None and link.is_file and link.target == "/home/me/a.pdf"
    assert link.label == "PDF"
    page = best_link(_paper(url="https://example.org"))
    assert page is not None and not page.is_file and page.label == "web page"
