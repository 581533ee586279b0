"""Which of a paper's links to open, and in what order: the rule behind "Open".

A paper can be opened four ways, best first:

1. its attached PDF (:attr:`PaperData.pdf_path`) — the user's own copy, and
   what they most likely want to read;
2. its arXiv abstract page (from the arXiv id, or an arxiv.org link it has) —
   free, stable, and one click from the PDF;
3. its DOI, through the ``https://doi.org`` resolver — the publisher's page;
4. its web address (the paper's URL, else the first web link it carries).

:func:`paper_links` lists the kinds a paper has, one link each, in that
order; :func:`best_link` is the first of them (what Enter and a double-click
open); :func:`link_of` picks one kind (the "Open arXiv page" … commands).
Pure functions of a :class:`~readinglist.records.PaperData`: no Qt, no I/O.
Only ``http``/``https`` addresses are offered as web links; whether the
attached file still exists is checked when it is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, urlsplit

from ..records import PaperData
from .identifiers import normalise_arxiv

__all__ = [
    "LINK_LABELS",
    "LinkKind",
    "PaperLink",
    "arxiv_abs_url",
    "best_link",
    "doi_url",
    "link_of",
    "paper_links",
]


class LinkKind(StrEnum):
    """The ways a paper can be opened, best first (the enum's order is the preference)."""

    PDF = "pdf"
    ARXIV = "arxiv"
    DOI = "doi"
    URL = "url"


#: What each kind is called in menus and messages.
LINK_LABELS: dict[LinkKind, str] = {
    LinkKind.PDF: "PDF",
    LinkKind.ARXIV: "arXiv page",
    LinkKind.DOI: "DOI",
    LinkKind.URL: "web page",
}

# Characters a DOI may carry that a URL path may keep as they are; anything
# else (spaces, "<", "#", "?") is percent-encoded so the resolver gets the
# whole DOI and not a fragment or a query.
_DOI_SAFE = "/:;()._-~+"


@dataclass(frozen=True)
class PaperLink:
    """One way to open a paper: a local file path (PDF) or a web address."""

    kind: LinkKind
    #: A file path for :attr:`LinkKind.PDF`, an ``http(s)`` URL otherwise.
    target: str

    @property
    def is_file(self) -> bool:
        """Whether :attr:`target` is a path on this computer, not a URL."""
        return self.kind is LinkKind.PDF

    @property
    def label(self) -> str:
        """The kind as a menu names it ("PDF", "arXiv page", "DOI", "web page")."""
        return LINK_LABELS[self.kind]


def arxiv_abs_url(arxiv_id: str) -> str:
    """The abstract page of *arxiv_id* (any version, prefix or URL form), "" if not one."""
    bare = normalise_arxiv(arxiv_id)
    return f"https://arxiv.org/abs/{bare}" if bare else ""


def doi_url(doi: str) -> str:
    """The resolver address of *doi*, percent-encoded where a URL needs it; "" if empty."""
    value = doi.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :].strip()
    return f"https://doi.org/{quote(value, safe=_DOI_SAFE)}" if value else ""


def _is_web(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def _is_arxiv(url: str) -> bool:
    host = (urlsplit(url.strip()).hostname or "").lower()
    return host == "arxiv.org" or host.endswith(".arxiv.org")


def paper_links(paper: PaperData) -> list[PaperLink]:
    """The ways *paper* can be opened, best first, at most one of each kind.

    The web page is left out when it is the arXiv or DOI page already
    offered, so no two entries open the same page.
    """
    links: list[PaperLink] = []
    if paper.pdf_path.strip():
        links.append(PaperLink(LinkKind.PDF, paper.pdf_path.strip()))
    web = [u.strip() for u in (paper.url, *paper.links) if _is_web(u)]
    arxiv = arxiv_abs_url(paper.arxiv_id)
    if not arxiv:
        # No id on record, but a link to arxiv.org names one.
        arxiv = next((arxiv_abs_url(u) for u in web if _is_arxiv(u) and arxiv_abs_url(u)), "")
    if arxiv:
        links.append(PaperLink(LinkKind.ARXIV, arxiv))
    doi = doi_url(paper.doi)
    if doi:
        links.append(PaperLink(LinkKind.DOI, doi))
    taken = {link.target.rstrip("/").lower() for link in links}

    def new_page(url: str) -> bool:
        # Not a page already offered: the DOI's, or any form of the arXiv paper's.
        if url.rstrip("/").lower() in taken:
            return False
        return not (arxiv and _is_arxiv(url) and arxiv_abs_url(url) == arxiv)

    page = next((u for u in web if new_page(u)), "")
    if page:
        links.append(PaperLink(LinkKind.URL, page))
    return links


def best_link(paper: PaperData) -> PaperLink | None:
    """What opening *paper* opens: the PDF, else arXiv, else DOI, else its web page."""
    links = paper_links(paper)
    return links[0] if links else None


def link_of(paper: PaperData, kind: LinkKind) -> PaperLink | None:
    """*paper*'s link of *kind*, or None when it has none."""
    return next((link for link in paper_links(paper) if link.kind is kind), None)
