"""BibTeX export: :class:`~readinglist.records.PaperData` records in, ``.bib`` text out.

The rules follow ``docs/bibtex.md`` (Better BibTeX, JabRef and arXiv practice,
checked against real ``bibtex`` 0.99d, biber and pybtex):

* ``@misc`` for preprints and feed papers, with ``eprint``/``archivePrefix``
  and a ``howpublished`` line for the styles that ignore eprint fields;
  ``@article``/``@inproceedings`` only when the record says so *and* every
  field the standard styles require is present, so ``bibtex`` never warns.
* Stored text is plain Unicode, never LaTeX: every brace, backslash, ``%``,
  ``&``... in it is literal and is escaped exactly once, by
  :func:`encode_text` (:mod:`.latex_text`).  Non-ASCII letters become LaTeX
  accents in braces (``Ü`` -> ``{\\"U}``) via pylatexenc.
* Titles protect capitalisation word by word (``{YOLOv6}``, ``{T{\\"U}LU}``),
  never by double-bracing the whole title: :func:`protect_title`
  (:mod:`.title_case`).
* ``url``, ``doi`` and ``eprint`` are written verbatim (url.sty and biber
  read them so), which makes them the fields TeX could read a command from:
  each is validated (http/https/ftp URLs, ``10.NNNN/...`` DOIs, arXiv ids)
  and everything TeX could misread is percent-encoded (:mod:`.verbatim`).
  An invalid value is left out and reported.
* Citation keys are safe by construction (:mod:`readinglist.citekeys`:
  ASCII letters, digits and ``- _ : . / +``).  A stored key that is not
  (a library from before the rule) is written as
  :func:`~readinglist.citekeys.legacy_citekey`, which depends on the key
  alone, so every export writes the same one; the change is reported.
* Nothing from the data reaches the file unescaped: every other field is
  text escaped by :func:`encode_text`, a number, or a constant.  No ``^``
  is ever written (TeX reads ``^^5c`` as a backslash).
* The user's note goes to ``annote`` and tags to ``keywords`` (the Zotero and
  JabRef convention); entries without authors get a ``key`` for sorting.
* Every entry has a ``year``: a paper without one gets ``year = {n.d.}``
  ("no date"), because natbib's author-year styles (plainnat, abbrvnat,
  unsrtnat) warn "empty year" for every entry without one and cite it as
  "Name ()".  With it they cite "Name (n.d.)", the APA and Chicago form for
  an undated work; plain, unsrt, abbrv, ieeetr and acm print "n.d." after
  the title and sort the entry after the author's dated ones; alpha's label
  ends in "nd" ([Kiend], or [Robnd] from the ``key``), which is what alpha
  itself builds from such a year.  A year is therefore no longer needed for
  ``@article``/``@inproceedings``.  It is plain text on purpose: TeX that
  prints "n.d." but that alpha's ``purify$`` drops (``\\char`` codes) does
  not survive natbib's ``\\bibcite`` writes, and a macro defined in an
  ``@preamble`` breaks an entry copied into another ``.bib``.  The import
  reads no year back from it.
* The :data:`~readinglist.records.EXTRA_FIELDS` (publisher, volume, pages...)
  are written where the entry type has them (btxdoc's fields of ``article``
  and ``inproceedings``, plus ``isbn``/``issn``); a ``@misc`` stands in for
  every type not written as such (books, theses, reports), so it keeps them
  all, and the styles ignore what ``misc`` does not print.  Three
  combinations plain.bst warns about are not written: ``month`` without a
  year, and in ``@inproceedings`` a ``number`` beside a ``volume`` or
  without a ``series``.  ``primaryClass`` goes with an arXiv ``eprint``
  only.  Pages get BibTeX's range dash (``12--34``), a month its macro
  (``mar``), editors the ``von Last, Jr, First`` form.

This module writes the entries (:func:`entry`, :func:`entry_type`,
:func:`dump`, :func:`dumps`); :func:`encode_text` and :func:`protect_title`
are part of its API too and are re-exported here.  :mod:`.biblatex` writes
its entries with this module's helpers (names, keys, verbatim fields, extra
fields, the batched writer), so the two never escape differently.  What an export changed
or left out is reported as :class:`~readinglist.records.Problem` objects
(``entry`` is the key written) in the list passed to :func:`dump`, or
logged as warnings when there is none.  Everything is a pure
function, and fast (100,000 papers with long abstracts take 1.5-3 s of CPU on
a modest machine): authors, tags and venues are encoded once and cached,
and :mod:`.latex_text` escapes text with C-level scans and a cache.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TextIO

from ..citekeys import KEY_RULE, STOPWORDS, is_valid_citekey, legacy_citekey, make_citekey
from ..people import Person, parse_name
from ..records import MONTHS, Problem, quoted
from .latex_text import _clean, _escape, encode_text
from .record import Record
from .title_case import _RUN, protect_title
from .verbatim import safe_arxiv_id, safe_doi, safe_url

__all__ = [
    "NO_YEAR",
    "Record",
    "dump",
    "dumps",
    "editor_people",
    "encode_text",
    "entry",
    "entry_type",
    "month_number",
    "page_range",
    "protect_title",
]

log = logging.getLogger(__name__)


class _Warnings:
    """Where an export's warnings go: the caller's list, or the log if it passed none."""

    def __init__(self, problems: list[Problem] | None) -> None:
        self.problems = problems

    def __call__(self, citekey: str, message: str) -> None:
        problem = Problem(message, entry=citekey)
        if self.problems is None:
            log.warning("%s", problem.describe())
        else:
            self.problems.append(problem)


# "and" inside one author's name would split it into two people for BibTeX.
_AND_WORD = re.compile(r"(?:^|\s)and(?:\s|$)", re.IGNORECASE)

# Styles build labels from names and the "key" field: plainnat's
# \bibitem[Name and Other(2024)] is kept in a BibTeX entry string of at most
# 500 characters, and a longer one is cut, which breaks the document
# ("Bibliography not compatible with author-year citations"), as does a
# label too wide for TeX's boxes ("Dimension too large").  No person's name
# comes near this length once escaped; a longer one is left out (reported).
_MAX_NAME_LATEX = 200
# Characters of the "key" field's word (it only sorts and labels).
_MAX_KEY_WORD = 40


def _part(text: str) -> str:
    """One part of a name, escaped; a part holding "and" or a comma is braced.

    BibTeX splits people at a top-level "and" and name parts at commas:
    braces keep "Barnes and Noble" one family name.
    """
    text = _clean(" ".join(text.split())).strip(" ,")
    if not text:
        return ""
    encoded = _escape(text)
    if _AND_WORD.search(text) or "," in text:
        return "{" + encoded + "}"
    return encoded


# Authors, tags and venues recur across a library: cache their encoding.
@lru_cache(maxsize=16384)
def _format_name(person: Person) -> str:
    """Return one person for the ``author`` field ('' to skip it).

    Written in BibTeX's unambiguous ``von Last, Jr, First`` form from the
    stored parts, so no style has to guess where the family name is.
    """
    family = _part(person.family)
    given = _part(person.given)
    prefix = _part(person.prefix)
    suffix = _part(person.suffix)
    if not family:
        if not given:
            return ""
        family, given = given, ""
    if prefix:
        family = f"{prefix} {family}"
    if not given and not suffix:
        # An organisation ("Google DeepMind"): braced, or BibTeX would read
        # "Google" as a given name.
        bare = " " in family or family[:1].islower()
        name = "{" + family + "}" if bare and not family.startswith("{") else family
    elif suffix:
        name = f"{family}, {suffix}, {given}"
    else:
        name = f"{family}, {given}"
    return name if len(name) <= _MAX_NAME_LATEX else ""


def _too_long_names(people: Sequence[Person]) -> list[str]:
    """Return the names of *people* that :func:`_format_name` leaves out for their length."""
    return [p.display() for p in people if not _format_name(p) and _clean(p.display()).strip(" ,")]


def _names(people: Sequence[Person], citekey: str, warn: _Warnings) -> list[str]:
    """Return *people* formatted for the ``author`` field; names left out are reported."""
    if not people:
        return []
    names = [n for n in map(_format_name, people) if n]
    if len(names) != len(people):  # blank names, or names too long (rare)
        for name in _too_long_names(people):
            warn(
                citekey,
                f"author name {quoted(name)} is too long for BibTeX"
                f" (over {_MAX_NAME_LATEX} characters escaped); left out",
            )
    return names


@lru_cache(maxsize=4096)
def _encode_short(text: str) -> str:
    """Return :func:`encode_text` of a short, recurring text (tag, venue)."""
    return encode_text(text)


# --- extra fields ------------------------------------------------------------------------

# What a year-less entry gets as its year (see the module's docstring).
NO_YEAR = "n.d."

# BibTeX's month macros, which every standard style defines (and abbreviates
# or spells out as it likes); the import stores a month as its English name.
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# "march", "mar" and "3" (a leading zero is dropped before the look-up).
_MONTH_NUMBERS: dict[str, int] = {
    key: number
    for number, name in enumerate((m.lower() for m in MONTHS), 1)
    for key in (name, name[:3], str(number))
} | {"sept": 9}


def month_number(value: str) -> int | None:
    """Return the month *value* names (``March``, ``mar``, ``Mar.``, ``3``), None if none."""
    return _MONTH_NUMBERS.get(value.strip().rstrip(".").lower().lstrip("0") or "0")


# A page range's dash, as typed or as the import stores it (U+2013).
_PAGE_DASH = re.compile(r"\s*[-\u2010-\u2015\u2212]+\s*")


def page_range(value: str, dash: str = "--") -> str:
    """Return the pages *value* with every range dash written as *dash* (``12--34``)."""
    return _PAGE_DASH.sub(dash, value.strip())


# "A and B and others", the stored form of editors: display names.
_AND_SPLIT = re.compile(r"\s+and\s+")


def editor_people(value: str) -> tuple[list[Person], bool]:
    """Return the editors of a stored ``editor`` value, and whether it ends "and others"."""
    people: list[Person] = []
    others = False
    for name in _AND_SPLIT.split(value.strip()):
        if name.strip().lower() == "others":
            others = True
        elif name.strip():
            person = parse_name(name)
            if person:
                people.append(person)
    return people, others


@lru_cache(maxsize=4096)
def _editors(value: str) -> str:
    """Return a stored ``editor`` value as a BibTeX name list ("" if none is left)."""
    people, others = editor_people(value)
    names = [n for n in map(_format_name, people) if n]
    if names and others:
        names.append("others")
    return " and ".join(names)


# Extra fields in the order they are written, by stored name, with their
# BibTeX name.  btxdoc's optional fields of each type written as such, plus
# isbn/issn (which natbib's styles print); "misc" takes them all (see the
# module's docstring).  "month" and "primaryclass" are written apart.
_EXTRA_ORDER = (
    "editor",
    "volume",
    "number",
    "pages",
    "series",
    "edition",
    "publisher",
    "organization",
    "institution",
    "school",
    "address",
    "isbn",
    "issn",
)
_EXTRA_KINDS: dict[str, frozenset[str]] = {
    "article": frozenset({"volume", "number", "pages", "issn"}),
    "inproceedings": frozenset(
        {
            "editor",
            "volume",
            "number",
            "series",
            "pages",
            "address",
            "organization",
            "publisher",
            "isbn",
            "issn",
        }
    ),
    "misc": frozenset(_EXTRA_ORDER),
}


def _add_extra(add: Callable[[str], None], kind: str, extra: dict[str, str], dated: bool) -> None:
    """Append the lines of *extra*'s fields that a *kind* entry takes (see :data:`_EXTRA_KINDS`).

    *dated*: whether the entry has a real year (a month needs one).
    """
    month = extra.get("month", "")
    if month and dated:
        number = month_number(month)
        if number is not None:
            add(f"  month = {_MONTHS[number - 1]},")  # a macro: no braces
        else:
            text = _encode_short(month)
            if text:
                add(f"  month = {{{text}}},")
    allowed = _EXTRA_KINDS[kind]
    for name in _EXTRA_ORDER:
        value = extra.get(name)
        if not value or name not in allowed:
            continue
        if (
            name == "number"
            and kind == "inproceedings"
            and (extra.get("volume") or not extra.get("series"))
        ):
            # plain.bst: "can't use both volume and number", "there's a
            # number but no series".
            continue
        if name == "editor":
            text = _editors(value)
        elif name == "pages":
            text = encode_text(page_range(value))
        else:
            text = _encode_short(value)
        if text:
            add(f"  {name} = {{{text}}},")


def _sort_key_word(title: str) -> str:
    """Return the first significant word of *title* (for the ``key`` field)."""
    first = ""
    for m in _RUN.finditer(title):
        word = m.group()
        if not first:
            first = word
        if word.lower() not in STOPWORDS:
            return word
    return first


def entry_type(paper: Record) -> str:
    """Return the BibTeX entry type written for *paper*.

    ``article`` and ``inproceedings`` need a venue (journal/booktitle), and
    plain.bst also requires author, title and year for them.  Without a
    venue, a title or an author the paper is exported as ``misc``, which
    requires nothing, rather than as an entry that makes ``bibtex`` warn;
    the year is always written (:data:`NO_YEAR` when the paper has none).
    """
    kind = paper.entry_type.strip().lower()
    if kind == "conference":  # BibTeX's alias for inproceedings
        kind = "inproceedings"
    if kind not in ("article", "inproceedings"):
        return "misc"
    # Judged on what would be written: a title of control characters is empty.
    complete = (
        _encode_short(paper.venue)
        and _clean(paper.title)
        and any(_format_name(a) for a in paper.people)
    )
    return kind if complete else "misc"


def _citekey_for(paper: Record, taken: set[str], warn: _Warnings) -> str:
    """Return the key to write for *paper*: its stored key, made safe and unique.

    An unsafe stored key becomes its :func:`legacy_citekey` (stable across
    exports); an empty one, or one an earlier entry took, a generated key.
    """
    stored = paper.citekey.strip()
    key = legacy_citekey(stored) if stored else ""
    if key and key.lower() not in taken:
        chosen = key
    else:
        chosen = make_citekey(paper.people, paper.title, paper.year, taken)
    if key and key != stored:
        warn(
            chosen,
            f"citation key {quoted(stored)} is not safe for LaTeX ({KEY_RULE});"
            f" exported as '{chosen}'",
        )
    elif key and chosen != key:
        warn(chosen, f"citation key '{key}' is taken by an earlier entry; exported as '{chosen}'")
    return chosen


def entry(
    paper: Record, citekey: str | None = None, *, problems: list[Problem] | None = None
) -> str:
    """Return one BibTeX entry for *paper*, ending in a newline.

    *citekey* overrides the stored key (the exporter passes a de-duplicated
    one); an empty or unsafe key is replaced as :func:`dump` replaces it.
    What was changed or left out goes to *problems* (logged without it).
    """
    return _one_entry(_add_entry, paper, citekey, problems)


_AddEntry = Callable[[list[str], Record, str, "_Warnings"], None]


def _one_entry(
    add_entry: _AddEntry, paper: Record, citekey: str | None, problems: list[Problem] | None
) -> str:
    """One entry written by *add_entry* (this module's or biblatex's), key made safe first."""
    warn = _Warnings(problems)
    if citekey is None or not is_valid_citekey(citekey):
        citekey = _citekey_for(paper, set(), warn)
    lines: list[str] = []
    add_entry(lines, paper, citekey, warn)
    return "\n".join(lines)


def _add_entry(lines: list[str], paper: Record, citekey: str, warn: _Warnings) -> None:
    """Append the lines of *paper*'s entry to *lines*; the last one is ``"}\n"``.

    Joined with newlines, the lines of consecutive entries give each entry
    followed by a blank line, which lets :func:`dump` write many at once.
    *citekey* is known to be safe.
    """
    kind = entry_type(paper)
    # Empty fields are skipped before calling anything, and lines are built
    # directly: this runs 100,000 times in a big export.
    add = lines.append
    add(f"@{kind}{{{citekey},")
    names = _names(paper.people, citekey, warn)
    if names:
        add(f"  author = {{{' and '.join(names)}}},")
    if paper.title:
        title = protect_title(paper.title)
        if title:
            add(f"  title = {{{title}}},")
    venue = _encode_short(paper.venue) if paper.venue else ""
    if kind == "article":
        add(f"  journal = {{{venue}}},")
    elif kind == "inproceedings":
        add(f"  booktitle = {{{venue}}},")
    # An int by the Record's type; a library written by something else could
    # hold any text in the column, and this one is not escaped.
    dated = type(paper.year) is int
    if dated:
        add(f"  year = {{{paper.year}}},")
    else:
        if paper.year is not None:
            warn(citekey, f"year {quoted(str(paper.year))} is not a number; written as {NO_YEAR}")
        add(_NO_YEAR_LINE)
    extra = dict(paper.extra) if paper.extra else None
    if extra:
        _add_extra(add, kind, extra, dated)

    arxiv = _verbatim_field(paper.arxiv_id, safe_arxiv_id, "arXiv id", citekey, warn)
    if kind == "misc":
        # plain, plainnat and unsrtnat ignore eprint: say it in howpublished.
        # The venue (if any) in howpublished and the arXiv id in note: both
        # are printed, and the importer reads them back to the same fields
        # (a venue in note would come back as the user's note).
        if venue:
            add(f"  howpublished = {{{venue}}},")
            if arxiv:
                add(f"  note = {{arXiv preprint arXiv:{arxiv}}},")
        elif arxiv:
            add(f"  howpublished = {{arXiv preprint arXiv:{arxiv}}},")
    if arxiv:
        add(f"  eprint = {{{arxiv}}},")
        add("  archivePrefix = {arXiv},")
        primary = _encode_short(extra.get("primaryclass", "")) if extra else ""
        if primary:
            add(f"  primaryClass = {{{primary}}},")
    doi = _verbatim_field(paper.doi, safe_doi, "DOI", citekey, warn)
    if doi:
        add(f"  doi = {{{doi}}},")
    url = _verbatim_field(paper.url, safe_url, "URL (http, https or ftp)", citekey, warn)
    if url:
        add(f"  url = {{{url}}},")
    if not names:
        # plain.bst: "to sort, need author or key"; natbib also labels with it.
        sort_word = _sort_key_word(paper.title)[:_MAX_KEY_WORD]
        if not sort_word:
            # Printed as a label by alpha and natbib: "_" must be escaped.
            sort_word = encode_text(citekey[:_MAX_KEY_WORD])
        elif not sort_word.isascii():
            # An ASCII run of letters and digits has nothing to escape.
            sort_word = encode_text(sort_word)
        add(f"  key = {{{sort_word}}},")

    _add_text_fields(add, paper, "annote")

    # Never just the header: there is always a year.
    lines[-1] = lines[-1][:-1]  # no comma after the last field
    add("}\n")


_NO_YEAR_LINE = f"  year = {{{NO_YEAR}}},"


def _add_text_fields(add: Callable[[str], None], paper: Record, note_field: str) -> None:
    """Add the abstract, the tags (``keywords``) and the note (as *note_field*)."""
    if paper.abstract:
        abstract = encode_text(paper.abstract)
        if abstract:
            add(f"  abstract = {{{abstract}}},")
    if paper.tags:
        tags = [t for t in map(_encode_short, paper.tags) if t]
        if tags:
            add(f"  keywords = {{{', '.join(tags)}}},")
    if paper.note:
        note = encode_text(paper.note, multiline=True)
        if note:
            add(f"  {note_field} = {{{note}}},")


def _verbatim_field(
    value: str,
    make_safe: Callable[[str], str | None],
    what: str,
    citekey: str,
    warn: _Warnings,
) -> str:
    """Return *value* made safe by *make_safe*, or "" (reported) if it is not a valid *what*."""
    if not value:
        return ""
    safe = make_safe(value)
    if safe is None:
        warn(citekey, f"{quoted(value)} is not a valid {what}; left out")
        return ""
    return safe


# Entries written to the file at once: one write per entry cost more than the
# text it wrote, and a few hundred entries are a few hundred kilobytes.
_BATCH = 256


def dump(
    papers: Iterable[Record],
    fp: TextIO,
    *,
    taken: set[str] | None = None,
    problems: list[Problem] | None = None,
) -> int:
    """Write *papers* to *fp* as BibTeX, a batch of entries at a time; return how many.

    Every entry is followed by a blank line, so output written in several
    calls (the library exports in chunks) is still separated properly.  Keys
    are made unique case-insensitively within the call, or across calls when
    the same *taken* set (lower-case keys, updated here) is passed each time.
    Keys changed and values left out are appended to *problems*, or logged
    as warnings when it is None.
    """
    return _write_entries(papers, fp, _add_entry, taken, problems)


# Appends the lines of one entry (the last "}\n") for a paper and its key.
EntryWriter = Callable[[list[str], Record, str, _Warnings], None]


def _write_entries(
    papers: Iterable[Record],
    fp: TextIO,
    add_entry: EntryWriter,
    taken: set[str] | None,
    problems: list[Problem] | None,
) -> int:
    """Write *papers* with *add_entry*, keys made unique, a batch at a time (see :func:`dump`)."""
    seen = taken if taken is not None else set()
    warn = _Warnings(problems)
    count = 0
    lines: list[str] = []
    for paper in papers:
        key = _citekey_for(paper, seen, warn)
        seen.add(key.lower())
        add_entry(lines, paper, key, warn)
        count += 1
        if count % _BATCH == 0:
            fp.write("\n".join(lines) + "\n")
            lines.clear()
    if lines:
        fp.write("\n".join(lines) + "\n")
    return count


def dumps(papers: Iterable[Record], *, problems: list[Problem] | None = None) -> str:
    """Return *papers* as the text of a ``.bib`` file (*problems*: see :func:`dump`)."""
    out = io.StringIO()
    dump(papers, out, problems=problems)
    return out.getvalue()
