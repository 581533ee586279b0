"""RIS export: :class:`~readinglist.exporters.record.Record` objects in, ``.ris`` text out.

One record per paper, written by :mod:`rispy` from a dict in a fixed tag
order (``TY``, ``ID``, ``TI``, ``AU``..., ``ER``), so the same papers always
give the same file.  The tags are the ones :mod:`readinglist.importers.ris`
reads, so an export imports back to the same paper: title, people, year,
venue, DOI, URL, tags, note, entry type and the extra fields RIS has a tag
for (publisher, volume, number, pages, editor, edition, series, address,
ISBN/ISSN, month, a thesis's school and a report's institution).

Choices:

* ``TY`` is the inverse of the importer's map (``article`` -> ``JOUR``,
  ``inproceedings`` -> ``CONF`` as Zotero and IEEE write it, ``misc`` and
  anything unknown -> ``GEN``); a master's thesis is ``THES`` with ``M3``
  "Master's thesis", as Zotero writes the thesis type.
* People are written one per ``AU`` line as ``Last, First, Suffix``
  (:meth:`~readinglist.people.Person.inverted`); editors as ``A2`` lines.
* The venue is ``JO`` for a journal article and ``T2`` (the secondary
  title: proceedings, book, series) for everything else.
* Every value is one line: RIS has no escape, and readers take continuation
  lines differently (rispy joins them with a space, or makes a new list
  item; Zotero keeps the line break).  So white space is folded in every
  value, the abstract included (an abstract with paragraphs loses them).
  The note keeps its paragraphs as one ``N1`` line each; the importer
  joins several ``N1`` with blank lines, so a note whose paragraphs are
  single lines (how every importer stores them) comes back unchanged.
* ``PY`` holds the year; a month (stored as an English name) adds a
  ``DA  - YYYY/MM//`` date.  Pages stored as a range (``5998–6008``, en
  dash) become ``SP``/``EP``; other pages go to ``SP`` as they are.  ISBN
  and ISSN share one ``SN`` line (``isbn; issn``) because rispy, like most
  readers, keeps one ``SN`` per record.
* ``UR`` is the paper's URL, then its arXiv page when it has an arXiv id
  the URL does not already point at.
* The citation key goes to ``ID``; a stored key that is not safe is written
  as :func:`~readinglist.citekeys.legacy_citekey`, the same stand-in the
  BibTeX export writes, so both exports name the paper alike.
* Control characters are dropped: RIS is a text format.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TextIO

import rispy

from ..citekeys import is_valid_citekey, legacy_citekey
from ..core.identifiers import normalise_arxiv
from ..people import Person, parse_name
from .bibtex import month_number
from .record import Record

__all__ = ["Record", "dump", "dumps", "record_dict"]

_TYPES = {
    "article": "JOUR",
    "inproceedings": "CONF",
    "conference": "CONF",
    "proceedings": "CONF",
    "book": "BOOK",
    "incollection": "CHAP",
    "inbook": "CHAP",
    "phdthesis": "THES",
    "mastersthesis": "THES",
    "thesis": "THES",
    "techreport": "RPRT",
    "report": "RPRT",
    "unpublished": "UNPB",
    "online": "ELEC",
    "electronic": "ELEC",
    "www": "ELEC",
}
_PARAGRAPH_RE = re.compile(r"\n\s*\n")
_ARXIV_LINK_RE = re.compile(r"arxiv\.org/(?:abs|pdf)/([^\s?#]+)", re.IGNORECASE)
_AND_RE = re.compile(r"\s+and\s+")


class _Writer(rispy.RisWriter):  # type: ignore[misc]  # rispy has no type hints
    """rispy's RIS writer without its ``1.``, ``2.``... line before each record.

    Those numbers are rispy's own; other readers skip them at best.
    """

    def set_header(self, count: int) -> str:
        return ""


def _clean(value: str) -> str:
    """*value* on one line: white space folded, control characters dropped."""
    text = " ".join(value.split())
    if text.isprintable():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cc")


def _inverted(person: Person) -> str:
    if not person.full_family:
        return person.display()  # a given name alone ("Plato" as given)
    return person.inverted()


def _editors(value: str) -> list[str]:
    """The editors of an ``editor`` extra value (display names joined by " and ")."""
    names = [n for n in _AND_RE.split(value.strip()) if n and n.lower() != "others"]
    return [_clean(_inverted(p)) for p in map(parse_name, names) if p]


def _pages(value: str) -> tuple[str, str]:
    """(SP, EP) of a pages value: a range split at its en dash, else all in SP."""
    start, dash, end = value.partition("–")
    if dash and start.strip() and end.strip() and "–" not in end:
        return start.strip(), end.strip()
    return value, ""


def _date(year: int | None, month: str) -> str:
    number = month_number(month)
    if year is None or number is None:
        return ""
    return f"{year:04d}/{number:02d}//"


def _urls(url: str, arxiv_id: str) -> list[str]:
    urls = [url] if url else []
    arxiv = normalise_arxiv(arxiv_id)
    if arxiv:
        m = _ARXIV_LINK_RE.search(url)
        if m is None or normalise_arxiv(m.group(1)) != arxiv:
            urls.append(f"https://arxiv.org/abs/{arxiv}")
    return urls


def record_dict(paper: Record) -> dict[str, object]:
    """The rispy dict of one paper: rispy's key names, in the order written."""
    entry_type = (paper.entry_type or "misc").lower()
    ris_type = _TYPES.get(entry_type, "GEN")
    extra = dict(paper.extra)
    ref: dict[str, object] = {"type_of_reference": ris_type}

    def put(key: str, value: str) -> None:
        text = _clean(value)
        if text:
            ref[key] = text

    def put_list(key: str, values: Sequence[str]) -> None:
        texts = [t for t in map(_clean, values) if t]
        if texts:
            ref[key] = texts

    key = paper.citekey.strip()
    if key:
        put("id", key if is_valid_citekey(key) else legacy_citekey(key))
    put("title", paper.title)
    put_list("authors", [_inverted(p) for p in paper.people if p])
    put_list("secondary_authors", _editors(extra.get("editor", "")))
    if paper.year is not None and 0 <= paper.year <= 9999:
        # Four digits: readers (this one too) look for a four-digit year.
        put("year", f"{paper.year:04d}")
        put("date", _date(paper.year, extra.get("month", "")))
    put("journal_name" if ris_type == "JOUR" else "secondary_title", paper.venue)
    put("tertiary_title", extra.get("series", ""))
    put("volume", extra.get("volume", ""))
    put("number", extra.get("number", ""))
    start, end = _pages(_clean(extra.get("pages", "")))
    put("start_page", start)
    put("end_page", end)
    # The importer reads PB back as a thesis's school and a report's institution.
    own = {"THES": "school", "RPRT": "institution"}.get(ris_type, "")
    put("publisher", (extra.get(own, "") if own else "") or extra.get("publisher", ""))
    put("place_published", extra.get("address", ""))
    put("edition", extra.get("edition", ""))
    put("issn", "; ".join(v for v in (_clean(extra.get(k, "")) for k in ("isbn", "issn")) if v))
    if entry_type == "mastersthesis":
        put("type_of_work", "Master's thesis")
    put("doi", paper.doi)
    put_list("urls", _urls(_clean(paper.url), paper.arxiv_id))
    put_list("keywords", list(paper.tags))
    put("abstract", paper.abstract)
    put_list("notes", _PARAGRAPH_RE.split(paper.note))
    return ref


def dump(records: Iterable[Record], fp: TextIO) -> int:
    """Write *records* to *fp* as RIS, a blank line between records.

    Returns the number of records written.  Records are written one at a
    time, so a large export never holds all of them.
    """
    writer = _Writer()
    count = 0
    for paper in records:
        if count:
            fp.write("\n")
        writer.format_lines(fp, [record_dict(paper)])
        count += 1
    return count


def dumps(records: Iterable[Record]) -> str:
    """Return *records* as RIS text (see :func:`dump`)."""
    out = io.StringIO()
    dump(records, out)
    return out.getvalue()
