"""BibLaTeX export: records in, ``.bib`` text for biblatex and biber out.

The entries are written with the BibTeX writer's own helpers (:mod:`.bibtex`):
the same escaping (:func:`~.bibtex.encode_text`, :func:`~.bibtex.protect_title`),
the same ``von Last, Jr, First`` names, the same safe and unique citation
keys and the same validated, percent-encoded ``url``/``doi``/``eprint``, so
a paper has the same key and the same text in both exports.  What differs
is biblatex's data model (checked with ``biber --tool --validate-datamodel``):

* Types: ``@article`` (``journaltitle``) and ``@inproceedings``
  (``booktitle``) when the paper says so and has a venue, a title and
  authors (biblatex's mandatory fields); ``@book``, ``@thesis`` and
  ``@report`` (with their ``type``) likewise; otherwise ``@online`` when
  there is an arXiv id, DOI or URL to find it by (biblatex's mandatory
  ``url``/``doi``/``eprint``), and ``@misc`` when there is none.
* arXiv: ``eprint``, ``eprinttype = {arxiv}`` and ``eprintclass`` (the
  primary class); every biblatex style prints these, so no
  ``howpublished`` is needed as for BibTeX.
* ``date`` (``2024`` or ``2024-03``) instead of ``year``/``month``.  A paper
  without a year has no date: biblatex's author-year styles print their own
  "n.d." for it (a literal "n.d." is not a date to biber), and biber's
  validation names the entry; the export's check before writing names it
  to the user too (:meth:`readinglist.core.exports.Exports.incomplete`).
* Each type gets only the extra fields biblatex's data model gives it
  (``publisher`` is no field of ``@article``, ``@online`` has no ``pages``):
  biber ignores the others with a warning.  ``address`` is ``location``,
  ``school`` is ``institution``; ``volume`` is written only when it is a
  number (biber drops any other value).
* The note goes to ``annotation`` and tags to ``keywords``; no ``key``
  field (biblatex sorts by title when there is no author).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TextIO

from ..records import Problem, quoted
from .bibtex import (
    _add_text_fields,
    _editors,
    _encode_short,
    _format_name,
    _names,
    _one_entry,
    _verbatim_field,
    _Warnings,
    _write_entries,
    encode_text,
    month_number,
    page_range,
    protect_title,
)
from .latex_text import _clean
from .record import Record
from .verbatim import safe_arxiv_id, safe_doi, safe_url

__all__ = ["dump", "dumps", "entry", "entry_type"]

# Stored entry types written as a biblatex type of their own, and the
# ``type`` field biblatex's @thesis/@report need (localised by biblatex).
_OWN_TYPES: dict[str, tuple[str, str]] = {
    "article": ("article", ""),
    "inproceedings": ("inproceedings", ""),
    "conference": ("inproceedings", ""),
    "book": ("book", ""),
    "phdthesis": ("thesis", "phdthesis"),
    "mastersthesis": ("thesis", "mathesis"),
    "techreport": ("report", "techreport"),
    "report": ("report", "techreport"),
}

# The extra fields each type takes, in the order written, as (stored name,
# biblatex name): biber's data model (biber-tool.conf) for each type.
_S, _V, _N, _P = "series", "volume", "number", "pages"
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "article": ((_S, _S), (_V, _V), (_N, _N), (_P, _P), ("issn", "issn")),
    "inproceedings": (
        (_S, _S),
        (_V, _V),
        (_N, _N),
        (_P, _P),
        ("publisher", "publisher"),
        ("organization", "organization"),
        ("address", "location"),
        ("isbn", "isbn"),
    ),
    "book": (
        (_S, _S),
        (_V, _V),
        (_N, _N),
        (_P, _P),
        ("edition", "edition"),
        ("publisher", "publisher"),
        ("address", "location"),
        ("isbn", "isbn"),
    ),
    "thesis": ((_P, _P), ("address", "location")),
    "report": ((_N, _N), (_P, _P), ("address", "location")),
    "online": (("organization", "organization"),),
    "misc": (("organization", "organization"), ("address", "location")),
}
# Types with an ``editor`` field.
_EDITED = frozenset({"article", "inproceedings", "book", "online", "misc"})


def _institution(extra: dict[str, str]) -> str:
    """The institution of a thesis or report (BibTeX's ``school`` or ``institution``)."""
    return extra.get("school", "") or extra.get("institution", "")


def entry_type(paper: Record) -> str:
    """Return the biblatex entry type written for *paper* (see the module's docstring)."""
    kind, _ = _type_of(paper, dict(paper.extra))
    return kind


def _type_of(paper: Record, extra: dict[str, str]) -> tuple[str, str]:
    """Return (biblatex type, its ``type`` field or "") for *paper*."""
    kind, subtype = _OWN_TYPES.get(paper.entry_type.strip().lower(), ("", ""))
    if kind:
        # Judged on what would be written, as for BibTeX.
        complete = bool(_clean(paper.title)) and any(_format_name(a) for a in paper.people)
        if kind in ("article", "inproceedings"):
            complete = complete and bool(_encode_short(paper.venue))
        elif kind in ("thesis", "report"):
            complete = complete and bool(_encode_short(_institution(extra)))
        if complete:
            return kind, subtype
    found = (
        safe_arxiv_id(paper.arxiv_id) if paper.arxiv_id else None,
        safe_doi(paper.doi) if paper.doi else None,
        safe_url(paper.url) if paper.url else None,
    )
    return ("online" if any(found) else "misc"), ""


def _date(paper: Record, extra: dict[str, str] | None) -> str:
    """Return the ``date`` value (``2024``, ``2024-03``), "" without a year."""
    if type(paper.year) is not int:
        return ""
    month = month_number(extra.get("month", "")) if extra else None
    # biber reads four-digit years only; others stay the bare number.
    if month is not None and 0 <= paper.year <= 9999:
        return f"{paper.year:04d}-{month:02d}"
    return str(paper.year)


def entry(
    paper: Record, citekey: str | None = None, *, problems: list[Problem] | None = None
) -> str:
    """Return one biblatex entry for *paper*, ending in a newline (see :func:`.bibtex.entry`)."""
    return _one_entry(_add_entry, paper, citekey, problems)


def _add_entry(lines: list[str], paper: Record, citekey: str, warn: _Warnings) -> None:
    """Append the lines of *paper*'s entry to *lines*, the last one ``"}\\n"``."""
    extra = dict(paper.extra) if paper.extra else {}
    kind, subtype = _type_of(paper, extra)
    add = lines.append
    add(f"@{kind}{{{citekey},")
    names = _names(paper.people, citekey, warn)
    if names:
        add(f"  author = {{{' and '.join(names)}}},")
    editor = _editors(extra["editor"]) if "editor" in extra and kind in _EDITED else ""
    if editor:
        add(f"  editor = {{{editor}}},")
    title = protect_title(paper.title) if paper.title else ""
    if title:
        add(f"  title = {{{title}}},")
    venue = _encode_short(paper.venue) if paper.venue else ""
    if kind == "article":
        add(f"  journaltitle = {{{venue}}},")
    elif kind == "inproceedings":
        add(f"  booktitle = {{{venue}}},")
    if paper.year is not None and type(paper.year) is not int:
        warn(citekey, f"year {quoted(str(paper.year))} is not a number; left out")
    date = _date(paper, extra)
    if date:
        add(f"  date = {{{date}}},")
    for stored, name in _FIELDS[kind]:
        value = extra.get(stored, "")
        if not value:
            continue
        if name == "volume":
            value = value.strip()
            if not value.isascii() or not value.isdigit():
                continue  # biber: "must be datatype 'integer'"
            text = value
        elif name == "pages":
            text = encode_text(page_range(value))
        else:
            text = _encode_short(value)
        if text:
            add(f"  {name} = {{{text}}},")
    if kind in ("thesis", "report"):
        add(f"  institution = {{{_encode_short(_institution(extra))}}},")
        add(f"  type = {{{subtype}}},")
    if venue and kind not in ("article", "inproceedings"):
        # @misc has howpublished; @online has not, and its note is printed.
        field = "howpublished" if kind == "misc" else "note"
        add(f"  {field} = {{{venue}}},")

    arxiv = _verbatim_field(paper.arxiv_id, safe_arxiv_id, "arXiv id", citekey, warn)
    if arxiv:
        add(f"  eprint = {{{arxiv}}},")
        add("  eprinttype = {arxiv},")
        primary = _encode_short(extra.get("primaryclass", ""))
        if primary:
            add(f"  eprintclass = {{{primary}}},")
    doi = _verbatim_field(paper.doi, safe_doi, "DOI", citekey, warn)
    if doi:
        add(f"  doi = {{{doi}}},")
    url = _verbatim_field(paper.url, safe_url, "URL (http, https or ftp)", citekey, warn)
    if url:
        add(f"  url = {{{url}}},")
    _add_text_fields(add, paper, "annotation")

    if not lines[-1].startswith("@"):
        lines[-1] = lines[-1][:-1]  # no comma after the last field
    # else no field at all (no title): biber needs the comma after the key.
    add("}\n")


def dump(
    papers: Iterable[Record],
    fp: TextIO,
    *,
    taken: set[str] | None = None,
    problems: list[Problem] | None = None,
) -> int:
    """Write *papers* to *fp* as biblatex entries; return how many (see :func:`.bibtex.dump`)."""
    return _write_entries(papers, fp, _add_entry, taken, problems)


def dumps(papers: Iterable[Record], *, problems: list[Problem] | None = None) -> str:
    """Return *papers* as the text of a biblatex ``.bib`` file."""
    out = io.StringIO()
    dump(papers, out, problems=problems)
    return out.getvalue()
