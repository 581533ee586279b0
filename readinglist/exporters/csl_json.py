"""CSL-JSON export: records in, a JSON array of CSL items out.

CSL-JSON is what citeproc processors read (Pandoc, Zotero, citeproc-js,
citeproc-py): one object per paper, with the variables of the CSL 1.0.2
data schema (``csl-data.json``).  Text is plain Unicode, never LaTeX:
nothing is escaped but what JSON itself escapes.

* ``id`` is the citation key, made safe and unique exactly as the BibTeX
  export makes it (:mod:`.bibtex`), so ``[@key]`` in Pandoc and
  ``\\cite{key}`` in LaTeX name the same paper.
* ``type``: ``article-journal``, ``paper-conference``, ``book``,
  ``chapter``, ``thesis``, ``report``, ``webpage`` or ``manuscript`` from
  the stored entry type; a paper of no such type is an ``article`` (CSL's
  type for preprints and working papers, and Zotero's for "document").  An
  arXiv paper that is not a journal or conference paper is a preprint the
  way Zotero exports one: ``article`` with ``genre`` "Preprint",
  ``publisher`` "arXiv" and ``number`` "arXiv:<id>".
* ``author``/``editor``: ``family``, ``given``, ``non-dropping-particle``
  (the stored prefix: "van" in "van Gogh" stays with the family name, as
  BibTeX's von part does) and ``suffix``, from the stored parts.
* ``issued``: ``{"date-parts": [[2024]]}`` or ``[[2024, 3]]`` with a month;
  nothing without a year (processors print their own "n.d.").
* ``container-title`` is the venue; ``keyword`` the tags joined by ", ";
  ``note`` the user's note; ``page`` the pages with a hyphen (what CSL
  processors parse as a range); ``issue`` the number (``number`` for a
  report, ``collection-number`` for a book); ``collection-title`` the
  series; ``publisher-place`` the address; a thesis's or report's school
  or institution is its ``publisher``.  BibTeX's ``primaryClass`` has no
  CSL variable and is left out.
* ``URL`` is the stored link when it is a web or FTP URL (validated and
  percent-encoded as for BibTeX: a CSL processor makes it a link, so a
  ``javascript:`` URL must not pass), else the arXiv abstract page.
  ``DOI`` is the bare DOI (no ``https://doi.org/``).

The array is written an item per line, streamed: :func:`dump` never holds
more than one item.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import TextIO

from ..people import Person
from ..records import Problem
from .bibtex import _citekey_for, _Warnings, editor_people, month_number, page_range
from .record import Record
from .verbatim import safe_arxiv_id, safe_doi, safe_url

__all__ = ["dump", "dumps", "item", "item_type"]

# Stored (BibTeX) entry types and their CSL types.
_TYPES: dict[str, str] = {
    "article": "article-journal",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "book": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "techreport": "report",
    "report": "report",
    "online": "webpage",
    "unpublished": "manuscript",
}
_GENRES = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis"}
# Types whose "number" is the issue of the container.
_ISSUED_IN = frozenset({"article-journal", "paper-conference", "chapter"})
# One item per line: readable, diffable, and streamable.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def item_type(paper: Record) -> str:
    """Return the CSL type of *paper* (see the module's docstring)."""
    kind = _TYPES.get(paper.entry_type.strip().lower(), "article")
    if kind == "article-journal" and not paper.venue.strip():
        return "article"  # a journal article without its journal: a manuscript
    return kind


def _is_preprint(paper: Record, kind: str) -> bool:
    """Whether *paper* is exported as an arXiv preprint."""
    return kind in ("article", "webpage", "manuscript") and bool(paper.arxiv_id.strip())


def _name(person: Person) -> dict[str, str]:
    """One CSL name object from a person's stored parts (blank parts left out)."""
    name: dict[str, str] = {}
    for key, value in (
        ("family", person.family),
        ("given", person.given),
        ("non-dropping-particle", person.prefix),
        ("suffix", person.suffix),
    ):
        value = " ".join(value.split())
        if value:
            name[key] = value
    if "family" not in name and "given" in name:
        # A mononym stored as a given name: CSL sorts and cites by family.
        name["family"] = name.pop("given")
    return name


def _names(people: Iterable[Person]) -> list[dict[str, str]]:
    return [n for n in map(_name, people) if "family" in n]


def item(paper: Record, citekey: str) -> dict[str, object]:
    """Return the CSL item of *paper* with id *citekey* (already safe and unique)."""
    kind = item_type(paper)
    preprint = _is_preprint(paper, kind)
    extra = dict(paper.extra) if paper.extra else {}
    data: dict[str, object] = {"id": citekey, "type": kind}
    title = " ".join(paper.title.split())
    if title:
        data["title"] = title
    authors = _names(paper.people)
    if authors:
        data["author"] = authors
    if extra.get("editor"):
        editors = _names(editor_people(extra["editor"])[0])
        if editors:
            data["editor"] = editors
    if type(paper.year) is int:
        parts = [paper.year]
        month = month_number(extra.get("month", ""))
        if month is not None:
            parts.append(month)
        data["issued"] = {"date-parts": [parts]}
    venue = " ".join(paper.venue.split())
    if venue:
        data["container-title"] = venue
    _add_extra(data, kind, extra)
    arxiv = safe_arxiv_id(paper.arxiv_id) if paper.arxiv_id else None
    if preprint and arxiv:
        data["type"] = "article"
        data["genre"] = "Preprint"
        data.setdefault("publisher", "arXiv")
        data["number"] = f"arXiv:{arxiv}"
    elif paper.entry_type.strip().lower() in _GENRES:
        data["genre"] = _GENRES[paper.entry_type.strip().lower()]
    doi = safe_doi(paper.doi) if paper.doi else None
    if doi:
        data["DOI"] = doi
    url = safe_url(paper.url) if paper.url else None
    if url:
        data["URL"] = url
    elif arxiv:
        data["URL"] = f"https://arxiv.org/abs/{arxiv}"
    if paper.abstract.strip():
        data["abstract"] = paper.abstract.strip()
    tags = [t for t in (" ".join(t.split()) for t in paper.tags) if t]
    if tags:
        data["keyword"] = ", ".join(tags)
    if paper.note.strip():
        data["note"] = paper.note.strip()
    return data


# Extra fields (stored name) and the CSL variable each goes to.
_EXTRA_VARIABLES = (
    ("publisher", "publisher"),
    ("address", "publisher-place"),
    ("volume", "volume"),
    ("edition", "edition"),
    ("series", "collection-title"),
    ("isbn", "ISBN"),
    ("issn", "ISSN"),
)


def _add_extra(data: dict[str, object], kind: str, extra: dict[str, str]) -> None:
    """Add *extra*'s fields to the item *data* of CSL type *kind*."""
    for stored, variable in _EXTRA_VARIABLES:
        value = " ".join(extra.get(stored, "").split())
        if value:
            data[variable] = value
    if "publisher" not in data and kind in ("thesis", "report"):
        institution = extra.get("school", "") or extra.get("institution", "")
        if institution.strip():
            data["publisher"] = " ".join(institution.split())
    number = " ".join(extra.get("number", "").split())
    if number:
        if kind in _ISSUED_IN:
            data["issue"] = number
        elif kind == "book":
            data["collection-number"] = number
        else:
            data["number"] = number
    pages = " ".join(extra.get("pages", "").split())
    if pages:
        data["page"] = page_range(pages, "-")


def dump(
    papers: Iterable[Record],
    fp: TextIO,
    *,
    taken: set[str] | None = None,
    problems: list[Problem] | None = None,
) -> int:
    """Write *papers* to *fp* as a CSL-JSON array, an item per line; return how many.

    Keys are made unique as :func:`.bibtex.dump` makes them (*taken*,
    *problems*: the same).
    """
    seen = taken if taken is not None else set()
    warn = _Warnings(problems)
    count = 0
    fp.write("[")
    for paper in papers:
        key = _citekey_for(paper, seen, warn)
        seen.add(key.lower())
        fp.write(("\n" if count == 0 else ",\n") + _JSON.encode(item(paper, key)))
        count += 1
    fp.write("\n]\n" if count else "]\n")
    return count


def dumps(papers: Iterable[Record], *, problems: list[Problem] | None = None) -> str:
    """Return *papers* as the text of a CSL-JSON file."""
    out = io.StringIO()
    dump(papers, out, problems=problems)
    return out.getvalue()
