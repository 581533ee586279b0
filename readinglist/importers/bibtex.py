"""Importer for BibTeX and BibLaTeX files.

Splitting the file into blocks is done by ``bibtexparser`` 2.x, which is
lenient: a broken entry becomes a "failed block" while the entries around it
still parse, so one bad entry costs that entry only and is reported as a
:class:`Problem` with its line and key.  Everything after splitting is done
here, because bibtexparser's middlewares stop short of BibTeX: they resolve a
value that is exactly one ``@string`` name but not ``nips # " 2017"``, know no
``crossref`` and no month macros.  So the raw values are evaluated here
(:class:`_Values`: braces, quotes, numbers, ``@string`` and month macros,
``#`` concatenation), ``crossref`` and BibLaTeX ``xdata`` are resolved
(:class:`_Entries`), and each entry becomes a :class:`ParsedPaper`.

Field values are LaTeX; they are turned into Unicode text with
:func:`readinglist.latex.latex_fragments_to_text` (braces are all grouping
there), except ``url``, ``doi`` and ``file``, which are verbatim.  In the
one-line fields (title, venue, names, the :data:`EXTRA_FIELDS`) a ``~`` is a
tie (a space) and ``--``, ``---`` and TeX's quote pairs become – — “ ”; in
the prose fields (abstract, notes) they are kept as typed, because exporters
put raw text there (``83.6% & ~5x``).

Decisions a ``.bib`` file leaves open:

* A ``@proceedings``/``@book``/``@collection``... entry that another entry
  names in ``crossref`` and that has no author of its own is the container of
  those papers (DBLP lists one after its papers), not a paper: it lends them
  its fields and is not imported, silently (nor is a repeat of it, which
  concatenated DBLP exports have).  BibLaTeX ``@xdata`` and ``@set`` entries
  are never papers either.  A ``crossref``/``xdata`` naming a key the file
  lacks is reported; the entry is imported with its own fields.
* The paper's note gathers ``annote``/``annotation`` (the user's notes in
  BibDesk, Zotero, Mendeley), JabRef's ``comment`` fields and then ``note``.
  ``note`` is what BibTeX prints under the reference, and exporters fill it
  with "arXiv preprint arXiv:1706.03762" or the venue again; such a note adds
  nothing the paper's fields do not hold and is left out.
* ``pages`` is stored as text with the range dash decoded: ``5998--6008``
  becomes ``5998–6008`` (U+2013, what ``--`` prints), as every text field
  is plain Unicode; a BibTeX export is to write ``--`` back.
* ``@comment`` blocks, text and ``%`` lines between entries and ``@preamble``
  are ignored without a word (JabRef keeps its settings in ``@Comment``);
  so is a ``%`` comment inside an entry, as biber reads it.
* ``keywords``, JabRef's ``groups`` and Mendeley's ``mendeley-tags`` become
  tags.  ``month`` is stored as the month's English name when it is a month
  (``jan``, ``1``, ``Jan.``), else as written.  ``editor`` is stored as the
  editors' display names joined by " and ".

Citation keys are the exception to "import as written": a key is pasted
into the user's LaTeX documents and the ``.aux``/``.bbl`` files, where TeX
runs what it reads (``^^5cinput|"cmd"`` is ``\\input|"cmd"`` to TeX).  A key
that is not safe (:func:`readinglist.citekeys.is_valid_citekey`) is replaced
here by its safe characters (:func:`~readinglist.citekeys.safe_citekey`),
made unique among the file's keys, or by a generated key when none are left,
and the change is reported as a :class:`Problem` naming the line and the old
and new keys.  A safe key is kept; the library makes it unique against the
papers it already holds and reports a change (``readinglist.core.imports``).
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

from bibtexparser.entrypoint import parse_string
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
    String,
)

from readinglist.citekeys import KEY_RULE, is_valid_citekey, make_citekey, make_unique, safe_citekey
from readinglist.importers.hfpage import extract_links
from readinglist.latex import latex_fragments_to_text
from readinglist.people import Person, parse_bibtex_names
from readinglist.records import MONTHS, InputError, ParsedPaper, ParseResult, Problem, quoted

__all__ = ["FORMAT", "looks_like", "parse"]

# bibtexparser logs a warning for every failed block; we report those as
# Problems already.  A NullHandler (the logging HOWTO's advice for libraries)
# keeps Python's last-resort handler from printing them to stderr while an
# application that configures logging still receives them.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

FORMAT = "bibtex"

# "@article{key," / "@misc(key," at the start of a line, or a @string /
# @preamble / @comment block: prose never starts a line like that.
_SNIFF_RE = re.compile(
    r"^[ \t]*@[ \t]*(?:[A-Za-z]+[ \t]*[{(][ \t]*[^\s,{}()]*[ \t]*,"
    r"|(?:string|preamble|comment)[ \t]*[{(])",
    re.MULTILINE | re.IGNORECASE,
)
_KEY_IN_RAW_RE = re.compile(r"@\s*[A-Za-z]+\s*[{(]\s*([^\s,{}()]+)\s*,")
_STRING_IN_RAW_RE = re.compile(r"@\s*string\s*[{(]\s*([^\s,{}()=\"#]+)", re.IGNORECASE)
# Blocks whose failure loses nothing: BibTeX itself never parses a @comment,
# and a @preamble only matters to LaTeX.
_IGNORED_RAW_RE = re.compile(r"@\s*(?:comment|preamble)\b", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_DATE_RE = re.compile(r"\s*(\d{4})(?:-(\d{2}))?")
_PARAGRAPH_RE = re.compile(r"\n[ \t]*\n\s*")
_VERBATIM_ESCAPE_RE = re.compile(r"\\([%#&_$~])")
_DOI_PREFIX_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_ID = r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
_ARXIV_ID_RE = re.compile(r"(?:arxiv:\s*)?" + _ARXIV_ID, re.IGNORECASE)
# Where else an arXiv id shows up: URLs, "arXiv preprint arXiv:2403.01234",
# and arXiv's own DOIs (10.48550/arXiv.2403.01234).
_ARXIV_IN_TEXT_RE = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|arxiv[:.]\s*)" + _ARXIV_ID, re.IGNORECASE
)
# DBLP files arXiv papers under journal = {CoRR}, volume = {abs/1706.03762}.
_CORR_VOLUME_RE = re.compile(r"abs/" + _ARXIV_ID, re.IGNORECASE)
_TAG_SPLIT_RE = re.compile(r"[,;]")
_URL_IN_TEXT_RE = re.compile(r"\\url\{([^{}]+)\}|(https?://\S+)")
# A tie; "\~" is the tilde accent and stays for the LaTeX decoder.
_TIE_RE = re.compile(r"(?<!\\)~")
# TeX's ligatures in text: the longest first, so "---" is an em dash.
_LIGATURE_RE = re.compile(r"---|--|``|''")
_LIGATURES = {"---": "—", "--": "–", "``": "“", "''": "”"}
# A range in pages: "--" and "---" print as dashes, and "12-34" is a range too
# (BibTeX styles turn it into "12--34"); "S-12" or "e1-e9" are left alone.
_PAGE_RANGE_RE = re.compile(r"\s*-{2,3}\s*|(?<=\d)-(?=\d)")
_COMMENT_LINE_RE = re.compile(r"%[^\n]*(?:\n|$)")
_KEPT_RE = re.compile(r"^LaTeX kept as typed \(([^)]*)\)")
# Words of a note that only say "this is a preprint", and arXiv's "[cs.CL]".
_PREPRINT_WORDS_RE = re.compile(r"\b(?:arxiv|preprint|e-?print)\b|\[[\w.\-]+\]", re.IGNORECASE)
_NON_WORD_RE = re.compile(r"[\W_]+")
# JabRef's file field: "description:path:type" items separated by ";", with
# "\:", "\;" and "\\" escaped; Mendeley writes a backslash as "$\backslash$".
_FILE_ITEM_SPLIT_RE = re.compile(r"(?<!\\);")
_FILE_PART_SPLIT_RE = re.compile(r"(?<!\\):")
_FILE_ESCAPE_RE = re.compile(r"\\([\\:;])")
_WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:[\\/]")

# BibTeX's predefined macros (every standard style defines jan..dec).
_MONTH_MACROS = {name[:3].lower(): name for name in MONTHS}
_MONTH_NAMES = {name.lower(): name for name in MONTHS} | _MONTH_MACROS

_VENUE_FIELDS = ("journal", "journaltitle", "booktitle")
# Extra fields by their stored name, and the fields they are read from in
# order (BibLaTeX's name second).  "month" and "editor" are handled apart.
_EXTRA_SOURCES: dict[str, tuple[str, ...]] = {
    "publisher": ("publisher",),
    "volume": ("volume",),
    "number": ("number", "issue"),
    "pages": ("pages",),
    "edition": ("edition",),
    "series": ("series",),
    "address": ("address", "location"),
    "institution": ("institution",),
    "school": ("school",),
    "organization": ("organization",),
    "isbn": ("isbn",),
    "issn": ("issn",),
    "primaryclass": ("primaryclass", "eprintclass"),
}
_NOTE_FIELDS = ("annote", "annotation", "comment")
_TAG_FIELDS = ("keywords", "groups", "mendeley-tags")
# Every field read here: the others (timestamp, biburl, abstract_note...) are
# not evaluated at all, so a malformed one costs nothing and is not reported.
_USED_FIELDS = frozenset(
    {
        "title",
        "subtitle",
        "author",
        "editor",
        "year",
        "date",
        "month",
        "abstract",
        "doi",
        "url",
        "howpublished",
        "eprint",
        "archiveprefix",
        "eprinttype",
        "note",
        "file",
        "crossref",
        "xdata",
        *_VENUE_FIELDS,
        *_NOTE_FIELDS,
        *_TAG_FIELDS,
        *(name for names in _EXTRA_SOURCES.values() for name in names),
    }
)
# Fields a crossref child never takes from its parent: the parent's own
# identity (title, links, identifiers), the user's notes and tags about the
# parent, and its page count.  Everything else (year, publisher, editor,
# series, volume, address, isbn...) describes the child too, as in BibTeX.
_NOT_INHERITED = frozenset(
    {
        "crossref",
        "xdata",
        "title",
        "subtitle",
        "url",
        "doi",
        "eprint",
        "archiveprefix",
        "eprinttype",
        "primaryclass",
        "eprintclass",
        "howpublished",
        "abstract",
        "note",
        "file",
        "pages",
        *_NOTE_FIELDS,
        *_TAG_FIELDS,
    }
)
# Entry types that hold papers: such an entry that is only a crossref target
# (no author of its own) is not a paper.
_CONTAINER_TYPES = frozenset(
    {
        "proceedings",
        "mvproceedings",
        "book",
        "mvbook",
        "collection",
        "mvcollection",
        "reference",
        "mvreference",
        "periodical",
    }
)
# BibLaTeX entries that are never papers: field templates and entry sets.
_NEVER_PAPERS = frozenset({"xdata", "set"})
# How deep crossref/xdata chains are followed (BibTeX follows one level).
_MAX_INHERITANCE_DEPTH = 8
# How many xdata keys of one entry are followed (real files name one or two).
_MAX_XDATA = 16
# @string expansion allowed per file, in characters beyond this floor and
# twice the file's size: "@string{a = a # a}" repeated doubles each time.
_EXPANSION_FLOOR = 1_000_000


def looks_like(text: str) -> bool:
    """Whether ``text`` (the start of a file) contains BibTeX entries."""
    return _SNIFF_RE.search(text[:200_000]) is not None


# --- values ------------------------------------------------------------------


_BRACE_MARK_RE = re.compile(r"\\.|[{}]", re.DOTALL)
_QUOTE_MARK_RE = re.compile(r"\\.|[{}\"]", re.DOTALL)


def _close_brace(raw: str, start: int) -> int:
    """Index of the ``}`` closing the ``{`` at *start*, or -1.

    A brace after a backslash does not count, as in bibtexparser's splitter,
    so a value it delimited is read the same way here.  The regex visits
    only braces and escapes: a long abstract costs a C-level scan.
    """
    depth = 0
    for m in _BRACE_MARK_RE.finditer(raw, start):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return m.start()
    return -1


def _close_quote(raw: str, start: int) -> int:
    """Index of the ``"`` closing the one at *start* (outside braces), or -1."""
    depth = 0
    for m in _QUOTE_MARK_RE.finditer(raw, start + 1):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == '"' and depth <= 0:
            return m.start()
    return -1


_WORD_RE = re.compile(r"[^\s#{}\"=,]+")


def _skip_blank(raw: str, i: int) -> int:
    """Index of the next character of *raw* from *i* that is not space or a comment.

    Between the parts of a value a ``%`` starts a comment to the end of the
    line, as biber reads it (hand-written files have ``year = 2020 % check``).
    """
    n = len(raw)
    while i < n:
        if raw[i].isspace():
            i += 1
        elif raw[i] == "%":
            end = raw.find("\n", i)
            i = n if end < 0 else end + 1
        else:
            break
    return i


def _pieces(raw: str) -> list[tuple[bool, str]] | None:
    """Split a raw value into (is_macro, text) pieces joined by ``#``; None if malformed."""
    pieces: list[tuple[bool, str]] = []
    i, n = 0, len(raw)
    while True:
        i = _skip_blank(raw, i)
        if i >= n:
            return None  # an empty value, or "#" with nothing after it
        c = raw[i]
        if c in '{"':
            end = _close_brace(raw, i) if c == "{" else _close_quote(raw, i)
            if end < 0:
                return None
            pieces.append((False, raw[i + 1 : end]))
            i = end + 1
        else:
            m = _WORD_RE.match(raw, i)
            if m is None:
                return None
            word = m.group()
            pieces.append((not word.isdigit(), word))
            i = m.end()
        i = _skip_blank(raw, i)
        if i >= n:
            return pieces
        if raw[i] != "#":
            return None  # "2020 month = jan": a comma went missing
        i += 1


class _Values:
    """Evaluates raw BibTeX values: braces, quotes, numbers, macros and ``#``.

    Macros are the month names BibTeX predefines and the file's ``@string``
    definitions (names are case-insensitive; a later definition wins).  An
    undefined macro is kept as its name, as bibtexparser does: ``publisher =
    Springer`` without braces means the word to whoever wrote it.
    """

    def __init__(self, budget: int) -> None:
        self.macros: dict[str, str] = dict(_MONTH_MACROS)
        self.budget = budget
        self.exhausted = False

    def evaluate(self, raw: str) -> str | None:
        """The value of *raw*, or None when it is malformed."""
        pieces = _pieces(raw)
        if pieces is None:
            return None
        if len(pieces) == 1 and not pieces[0][0]:
            return pieces[0][1]
        out: list[str] = []
        for is_macro, text in pieces:
            if not is_macro:
                out.append(text)
                continue
            value = self.macros.get(text.lower())
            if value is None or self.exhausted:
                out.append(text)
                continue
            # Bounded: each expansion is paid for, so a chain of
            # self-doubling @strings cannot make gigabytes of text.
            self.budget -= len(value)
            if self.budget < 0:
                self.exhausted = True
                out.append(text)
            else:
                out.append(value)
        return "".join(out)

    def define(self, name: str, raw: str) -> bool:
        """Define macro *name* from its raw value; False when the value is malformed."""
        value = self.evaluate(raw)
        self.macros[name.lower()] = raw.strip() if value is None else value
        return value is not None


# --- text ----------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _kept_reason(kept: list[str]) -> str:
    """The reason in the first "LaTeX kept as typed (...)" line of *kept*."""
    m = _KEPT_RE.match(kept[0]) if kept else None
    return m.group(1) if m else ""


class _Decoder:
    """Turns one entry's LaTeX values into text, noting the fields kept as typed."""

    def __init__(self) -> None:
        self.kept: list[tuple[str, str]] = []  # (field, reason)

    def _convert(self, value: str, name: str) -> str:
        kept: list[str] = []
        text = latex_fragments_to_text(value, all_groups=True, kept=kept)
        if kept:
            self.kept.append((name, _kept_reason(kept)))
        return text

    def prose(self, value: str, name: str) -> str:
        """A free-text value (abstract, note): whitespace folded, paragraphs kept.

        ``~``, ``%``, ``&`` and ``--`` stay as typed: exporters put raw text here.
        """
        paragraphs = (_one_line(p) for p in _PARAGRAPH_RE.split(value.strip()))
        return "\n\n".join(self._convert(p, name) for p in paragraphs if p)

    def line(self, value: str, name: str) -> str:
        """A one-line value: ties are spaces, TeX's dashes and quotes are Unicode."""
        if not value:
            return ""
        text = self._convert(_one_line(_TIE_RE.sub(" ", value)), name)
        return _one_line(_LIGATURE_RE.sub(lambda m: _LIGATURES[m.group()], text))


def _decoded(text: str) -> str:
    return _one_line(latex_fragments_to_text(text, all_groups=True)) if text else ""


def _people(value: str) -> list[Person]:
    """The people of an ``author``/``editor`` value, split by BibTeX's rules, parts decoded."""
    people: list[Person] = []
    # "~" is a tie in names ("D.~E. Knuth"): a space for the splitter.
    for raw in parse_bibtex_names(_TIE_RE.sub(" ", value)):
        person = Person(
            given=_decoded(raw.given),
            family=_decoded(raw.family),
            prefix=_decoded(raw.prefix),
            suffix=_decoded(raw.suffix),
        )
        if person:
            people.append(person)
    return people


def _editors(value: str) -> str:
    """The editors as display names joined by " and " (" and others" kept)."""
    names = [p.display() for p in _people(value)]
    if names and re.search(r"\band\s+others\s*$", value):
        names.append("others")
    return " and ".join(names)


def _month(value: str, decoder: _Decoder) -> str:
    """A month's English name for ``jan``/``1``/``Jan.``/``January``; else the text."""
    text = decoder.line(value, "month")
    key = text.lower().rstrip(".")
    if key.isdigit() and 1 <= int(key) <= 12:
        return MONTHS[int(key) - 1]
    return _MONTH_NAMES.get(key, text)


def _pages(value: str, decoder: _Decoder) -> str:
    """Pages as text, a range's dash decoded: ``5998--6008`` and ``12-34`` give "–"."""
    return decoder.line(_PAGE_RANGE_RE.sub("–", _TIE_RE.sub(" ", value)), "pages")


def _arxiv_id(fields: dict[str, str]) -> str:
    eprint = fields.get("eprint", "").strip()
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    if eprint and prefix in ("arxiv", ""):
        m = _ARXIV_ID_RE.fullmatch(eprint)
        if m is not None:
            return m.group(1)
        if prefix == "arxiv":
            return eprint
    for key in ("url", "doi", "journal", "journaltitle", "howpublished", "note"):
        m = _ARXIV_IN_TEXT_RE.search(fields.get(key, ""))
        if m is not None:
            return m.group(1)
    if fields.get("journal", "").strip().lower() == "corr":
        m = _CORR_VOLUME_RE.fullmatch(fields.get("volume", "").strip())
        if m is not None:
            return m.group(1)
    return ""


def _verbatim(value: str) -> str:
    """A url/doi value: verbatim in BibTeX, minus escapes some exporters add."""
    return _VERBATIM_ESCAPE_RE.sub(r"\1", "".join(value.split()))


def _url(fields: dict[str, str]) -> str:
    if fields.get("url", "").strip():
        return _verbatim(fields["url"])
    # @misc entries often carry the link as howpublished = {\url{...}}.
    m = _URL_IN_TEXT_RE.search(fields.get("howpublished", ""))
    if m is not None:
        return _verbatim(m.group(1) or m.group(2))
    return ""


def _tags(values: Iterable[str]) -> list[str]:
    tags: list[str] = []
    seen: set[str] = set()
    for value in values:
        for part in _TAG_SPLIT_RE.split(value):
            tag = _decoded(_TIE_RE.sub(" ", part))
            if tag and tag.lower() not in seen:
                seen.add(tag.lower())
                tags.append(tag)
    return tags


def _restates(note: str, arxiv_id: str, venue: str) -> bool:
    """Whether *note* says no more than "arXiv preprint <this paper's id>" or the venue.

    Google Scholar, DBLP and arXiv exports fill ``note`` that way; it is
    not the user's note.  Another arXiv id, "To appear", "Oral" are kept.
    """
    rest = note
    if venue:
        rest = re.sub(re.escape(venue), " ", rest, flags=re.IGNORECASE)
    if arxiv_id:
        rest = re.sub(
            r"(?:arxiv[:.]\s*|arxiv\.org/(?:abs|pdf)/)?" + re.escape(arxiv_id) + r"(?:v\d+)?",
            " ",
            rest,
            flags=re.IGNORECASE,
        )
        # "arXiv preprint" says no more than the arXiv id does; without one
        # it is the only sign that the paper is a preprint, and stays.
        rest = _PREPRINT_WORDS_RE.sub(" ", rest)
    return not _NON_WORD_RE.sub("", rest)


def _note(fields: dict[str, str], arxiv_id: str, venue: str, decoder: _Decoder) -> str:
    """The paper's note: annote/annotation, JabRef comments, then ``note`` (see the top)."""
    names = [n for n in _NOTE_FIELDS if n in fields]
    # JabRef 5 keeps one comment field per user: "comment-alice".
    names += [n for n in fields if n.startswith("comment-")]
    parts = [decoder.prose(fields[n], n) for n in names]
    printed = decoder.prose(fields.get("note", ""), "note")
    if printed and not _restates(printed, arxiv_id, venue):
        parts.append(printed)
    kept: list[str] = []
    for part in parts:
        if part and all(part.casefold() != k.casefold() for k in kept):
            kept.append(part)
    return "\n\n".join(kept)


def _pdf_path(value: str, source: str) -> str:
    """The first PDF of a ``file`` field, as an absolute path; "" if none.

    JabRef and Zotero write ``description:path:type`` items separated by
    ``;``, Better BibTeX plain paths.  A relative path is relative to the
    ``.bib`` file's folder, known only when *source* is an absolute path.
    """
    value = value.replace("$\\backslash$", "\\")
    for item in _FILE_ITEM_SPLIT_RE.split(value):
        parts = [_FILE_ESCAPE_RE.sub(r"\1", p) for p in _FILE_PART_SPLIT_RE.split(item)]
        if len(parts) >= 3:
            # A Windows drive left unescaped splits the path: "C:\x.pdf".
            path, kind = ":".join(parts[1:-1]), parts[-1]
        else:
            path, kind = _FILE_ESCAPE_RE.sub(r"\1", item), ""
        path = path.strip()
        if not path or not (path.lower().endswith(".pdf") or "pdf" in kind.lower()):
            continue
        if path.startswith("/"):
            return str(PurePosixPath(path))
        if _WINDOWS_DRIVE_RE.match(path):
            return str(PureWindowsPath(path))
        base = PurePosixPath(source)
        if base.is_absolute():
            # "../papers/x.pdf" is how JabRef links a sibling folder.
            return posixpath.normpath(str(base.parent / path))
    return ""


# --- entries -------------------------------------------------------------------


def _line(block: Block) -> int | None:
    # bibtexparser counts lines from 0.
    return block.start_line + 1 if block.start_line is not None else None


def _entry_name(key: str) -> str | None:
    """Return *key* as it may appear in a message: as is if printable, else quoted."""
    if not key:
        return None
    # A hostile key may hold terminal escape sequences or be very long.
    return key if key.isprintable() and len(key) <= 60 else quoted(key)


@dataclass
class _Raw:
    """One entry with its used fields evaluated (LaTeX still), before inheritance."""

    entry_type: str
    key: str
    line: int | None
    fields: dict[str, str]
    malformed: list[str] = field(default_factory=list)

    def problem(self, message: str) -> Problem:
        """A Problem about this entry: its line and key."""
        return Problem(message, line=self.line, entry=_entry_name(self.key))


def _raw_entry(entry: Entry, values: _Values) -> _Raw:
    """Evaluate the fields of *entry*; the first of duplicates wins, as in BibTeX."""
    fields: dict[str, str] = {}
    malformed: list[str] = []
    for fld in entry.fields:
        # A "% comment" line before a field ends up in the field's name.
        name = _COMMENT_LINE_RE.sub("", fld.key).strip().lower()
        if name in fields or (name not in _USED_FIELDS and not name.startswith("comment-")):
            continue
        raw = fld.value if isinstance(fld.value, str) else str(fld.value)
        value = values.evaluate(raw)
        if value is None:
            malformed.append(name)
            value = raw.strip()
        fields[name] = value
    return _Raw(entry.entry_type.lower(), entry.key, _line(entry), fields, malformed)


def _keys(value: str) -> list[str]:
    """The keys of a ``crossref`` (one) or ``xdata`` (comma-separated) value."""
    return [k for k in (p.strip() for p in value.split(",")) if k]


class _Entries:
    """The file's entries by key, with ``crossref`` and ``xdata`` resolved."""

    def __init__(self, entries: list[_Raw]) -> None:
        self.by_key: dict[str, _Raw] = {}
        for raw in entries:
            # BibTeX matches crossref keys case-insensitively; the first wins.
            self.by_key.setdefault(raw.key.lower(), raw)
        referenced = {
            k.lower() for raw in entries for k in _keys(raw.fields.get("crossref", ""))[:1]
        }
        # The containers (see the module's docstring): lend fields, not papers.
        self.containers = {
            key
            for key, raw in self.by_key.items()
            if key in referenced
            and raw.entry_type in _CONTAINER_TYPES
            and not raw.fields.get("author", "").strip()
        }
        self._resolved: dict[str, tuple[dict[str, str], list[tuple[str, str]]]] = {}

    def is_paper(self, raw: _Raw) -> bool:
        """Whether *raw* is imported: not a container, xdata or set."""
        if raw.entry_type in _NEVER_PAPERS:
            return False
        return raw.key.lower() not in self.containers or self.by_key.get(raw.key.lower()) is not raw

    def is_container_key(self, key: str) -> bool:
        """Whether *key* names a container (so a repeat of it is no duplicate to report)."""
        return key.lower() in self.containers

    def fields(self, raw: _Raw) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """The fields of *raw* with inherited ones added, and its references not in the file.

        A reference is (``"crossref"`` or ``"xdata"``, key).
        """
        return self._resolve(raw, frozenset())

    def _resolve(
        self, raw: _Raw, seen: frozenset[str]
    ) -> tuple[dict[str, str], list[tuple[str, str]]]:
        key = raw.key.lower()
        # Each entry is resolved once, whoever asks first; that keeps a
        # hostile web of xdata lists linear.  (A crossref cycle, an error in
        # BibTeX, is cut where it was met first.)
        own = self.by_key.get(key) is raw
        if own and key in self._resolved:
            return self._resolved[key]
        fields = dict(raw.fields)
        missing: list[tuple[str, str]] = []
        if len(seen) < _MAX_INHERITANCE_DEPTH:
            seen = seen | {key}
            xdata = list(dict.fromkeys(_keys(fields.get("xdata", ""))))[:_MAX_XDATA]
            crossref = _keys(fields.get("crossref", ""))[:1]
            refs = [("xdata", r) for r in xdata] + [("crossref", r) for r in crossref]
            for kind, ref in refs:
                parent = self.by_key.get(ref.lower())
                if parent is None:
                    missing.append((kind, ref))
                    continue
                if ref.lower() in seen:
                    continue  # a cycle: what was inherited so far stands
                # The parent's own missing references are reported on the parent.
                inherited, _ = self._resolve(parent, seen)
                if kind == "xdata":
                    # An xdata entry is a template: every field of it applies.
                    for name, value in inherited.items():
                        fields.setdefault(name, value)
                else:
                    _inherit(fields, raw.entry_type, inherited)
        if own:
            self._resolved[key] = (fields, missing)
        return fields, missing


def _inherit(fields: dict[str, str], entry_type: str, parent: dict[str, str]) -> None:
    """Add to *fields* what a crossref child takes from *parent* (BibTeX and biblatex rules)."""
    for name, value in parent.items():
        if name not in _NOT_INHERITED and not name.startswith("comment-"):
            fields.setdefault(name, value)
    # The parent's title is the child's venue when the parent has no
    # booktitle/journal of its own (a DBLP @proceedings has only a title):
    # biblatex maps it to booktitle, or to journaltitle for an @article.
    if not any(fields.get(name, "").strip() for name in _VENUE_FIELDS):
        title = parent.get("title", "").strip()
        if title:
            fields["journal" if entry_type == "article" else "booktitle"] = title


def _extra(fields: dict[str, str], decoder: _Decoder) -> dict[str, str]:
    extra: dict[str, str] = {}
    for name, sources in _EXTRA_SOURCES.items():
        value = next((fields[s] for s in sources if fields.get(s, "").strip()), "")
        if not value:
            continue
        text = _pages(value, decoder) if name == "pages" else decoder.line(value, name)
        if text:
            extra[name] = text
    editors = _editors(fields.get("editor", ""))
    if editors:
        extra["editor"] = editors
    month = fields.get("month", "").strip()
    date = _DATE_RE.match(fields.get("date", ""))
    if month:
        extra["month"] = _month(month, decoder)
    elif date is not None and date.group(2) and 1 <= int(date.group(2)) <= 12:
        extra["month"] = MONTHS[int(date.group(2)) - 1]
    return {k: extra[k] for k in sorted(extra)}


def _paper(
    raw: _Raw, fields: dict[str, str], source: str, problems: list[Problem]
) -> ParsedPaper | None:
    """The paper of one entry, or None (reported) when it has no title.

    What was read oddly (a malformed value, LaTeX kept as typed) is added to
    *problems*; the paper is imported all the same.
    """
    decoder = _Decoder()
    title = decoder.line(fields.get("title", ""), "title")
    subtitle = decoder.line(fields.get("subtitle", ""), "subtitle")
    if title and subtitle:
        # BibLaTeX splits "Title: Subtitle"; biblatex prints it with a colon.
        title = f"{title} {subtitle}" if title[-1] in ".:?!" else f"{title}: {subtitle}"
    if not title:
        problems.append(raw.problem("entry has no title; skipped"))
        return None
    if raw.malformed:
        names = ", ".join(raw.malformed)
        problems.append(
            raw.problem(f"malformed value of {names} (a missing comma?); kept as written")
        )
    year_match = _YEAR_RE.search(fields.get("year", "")) or _DATE_RE.match(fields.get("date", ""))
    venue = next(
        (decoder.line(fields[n], n) for n in _VENUE_FIELDS if fields.get(n, "").strip()), ""
    )
    arxiv_id = _arxiv_id(fields)
    published = fields.get("howpublished", "").strip()
    if not venue and published and not _URL_IN_TEXT_RE.search(published):
        # A @misc's venue ("Hugging Face Daily Papers", "NeurIPS workshop")
        # is its howpublished, unless that only says "arXiv preprint <id>".
        text = decoder.line(published, "howpublished")
        if not _restates(text, arxiv_id, ""):
            venue = text
    abstract = decoder.prose(fields.get("abstract", ""), "abstract")
    paper = ParsedPaper(
        title=title,
        abstract=abstract,
        authors=_people(fields.get("author", "")),
        year=int(year_match.group(1)) if year_match else None,
        venue=venue,
        arxiv_id=arxiv_id,
        doi=_DOI_PREFIX_RE.sub("", _verbatim(fields.get("doi", ""))),
        url=_url(fields),
        links=extract_links(abstract),
        entry_type=raw.entry_type,
        citekey=raw.key,
        tags=_tags(fields.get(n, "") for n in _TAG_FIELDS),
        note=_note(fields, arxiv_id, venue, decoder),
        pdf_path=_pdf_path(fields.get("file", ""), source),
        extra=_extra(fields, decoder),
        line=raw.line,
    )
    if decoder.kept:
        name, why = decoder.kept[0]
        problems.append(raw.problem(f"LaTeX in {name} kept as typed ({why})"))
    return paper


def _failure(block: ParsingFailedBlock) -> Problem | None:
    """A Problem describing a block bibtexparser could not parse (None: not worth one)."""
    raw = (block.raw or "").lstrip()
    if _IGNORED_RAW_RE.match(raw):
        return None
    reason = getattr(block.error, "abort_reason", "") or str(block.error)
    reason = _one_line(str(reason)) or type(block.error).__name__
    string_match = _STRING_IN_RAW_RE.match(raw)
    if string_match is not None:
        return Problem(
            f"could not parse @string ({reason}); skipped",
            line=_line(block),
            entry=_entry_name(string_match.group(1)),
        )
    key_match = _KEY_IN_RAW_RE.match(raw)
    key = _entry_name(key_match.group(1)) if key_match else None
    return Problem(f"could not parse entry ({reason}); skipped", line=_line(block), entry=key)


def _make_key_safe(paper: ParsedPaper, taken: set[str]) -> Problem | None:
    """Replace an unsafe citation key of *paper* by a safe one; return the notice.

    *taken* holds the file's keys in lower case (updated here), so the new
    key is unique in the file.  The import makes keys unique against the
    library as well, generating a new one on a clash.
    """
    old = paper.citekey
    if not old or is_valid_citekey(old):
        return None
    safe = safe_citekey(old)
    if safe:
        new = make_unique(safe, taken)
    else:
        new = make_citekey(paper.authors, paper.title, paper.year, taken)
    taken.add(new.lower())
    paper.citekey = new
    return Problem(
        f"citation key {quoted(old)} is not safe for LaTeX ({KEY_RULE}); changed to '{new}'",
        line=paper.line,
        entry=new,
    )


def _entry_of(block: Block) -> Entry | None:
    """The entry of an entry block, or of one that only repeats a field."""
    if isinstance(block, DuplicateFieldKeyBlock) and isinstance(block.ignore_error_block, Entry):
        return block.ignore_error_block
    return block if isinstance(block, Entry) else None


def _string_of(block: Block) -> String | None:
    """The @string of a block, or of a repeated definition (bibtexparser flags those)."""
    if isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, String):
        return block.ignore_error_block
    return block if isinstance(block, String) else None


def _file_keys(blocks: list[Block]) -> set[str]:
    """Return the lower-case keys of the file's entries (a changed key must avoid them)."""
    keys: set[str] = set()
    for block in blocks:
        entry = _entry_of(block)
        if entry is not None and entry.key:
            keys.add(entry.key.lower())
    return keys


def _duplicate(block: DuplicateBlockKeyBlock, entries: _Entries) -> Problem | None:
    """The problem of a repeated key; None for a repeated container (DBLP exports)."""
    repeat = block.ignore_error_block
    if (
        isinstance(repeat, Entry)
        and entries.is_container_key(block.key)
        and repeat.entry_type.lower() in _CONTAINER_TYPES
        and not any(f.key.lower() == "author" for f in repeat.fields)
    ):
        return None
    previous = _line(block.previous_block)
    where = f" (first used on line {previous})" if previous else ""
    return Problem(
        f"duplicate citation key{where}; entry skipped",
        line=_line(block),
        entry=_entry_name(block.key),
    )


def parse(text: str, name: str) -> ParseResult:
    """Parse BibTeX/BibLaTeX text into papers and problems (format ``"bibtex"``).

    *name* names the input in messages; when it is an absolute path, the
    relative paths of ``file`` fields are resolved against its folder.
    Raises :class:`InputError` when the text holds no entry at all.
    """
    try:
        # No parse stack: the values come raw (enclosing and all) and are
        # evaluated by _Values, which knows "#", months and nested @strings.
        library = parse_string(text, parse_stack=[])
    except Exception as exc:
        # bibtexparser is lenient but not proven against arbitrary input; the
        # caller's contract is "ParseResult or InputError".
        raise InputError(f"{name}: could not parse BibTeX ({_one_line(str(exc))})") from exc
    blocks = library.blocks
    values = _Values(budget=max(_EXPANSION_FLOOR, 2 * len(text)))
    # All @strings before any entry: BibTeX wants a macro defined before its
    # use, bibtexparser resolves file-wide; the lenient way loses nothing.
    strings: dict[int, Problem | None] = {}
    for index, block in enumerate(blocks):
        string = _string_of(block)
        if string is None:
            continue
        before = values.macros.get(string.key.lower())
        problem = None
        if not values.define(string.key, string.value):
            problem = "malformed @string value; kept as written"
        elif (
            isinstance(block, DuplicateBlockKeyBlock)
            and before != values.macros[string.key.lower()]
        ):
            # BibTeX warns and uses the later value; so do we.
            problem = "@string defined again with another value; the later one is used"
        strings[index] = (
            Problem(problem, line=_line(block), entry=_entry_name(string.key)) if problem else None
        )
    raws: dict[int, _Raw] = {}
    for index, block in enumerate(blocks):
        entry = _entry_of(block)
        if entry is not None:
            raws[index] = _raw_entry(entry, values)
    entries = _Entries(list(raws.values()))

    result = ParseResult(format=FORMAT)
    taken = _file_keys(blocks)
    for index, block in enumerate(blocks):
        raw = raws.get(index)
        if raw is not None:
            if not entries.is_paper(raw):
                continue
            problems: list[Problem] = []
            if isinstance(block, DuplicateFieldKeyBlock):
                # The entry is fine apart from a repeated field: import it with
                # the first value (what BibTeX itself uses) and say so.
                keys = ", ".join(sorted(block.duplicate_keys))
                problems.append(raw.problem(f"duplicate field {keys}; kept the first value"))
            fields, missing = entries.fields(raw)
            paper = _paper(raw, fields, name, problems)
            if paper is None:
                # Skipped for want of a title: nothing else about it matters.
                problems = problems[-1:]
            else:
                for kind, ref in missing:
                    problems.append(
                        raw.problem(
                            f"{kind} {quoted(ref)} is not in the file; imported without its fields"
                        )
                    )
                result.papers.append(paper)
                notice = _make_key_safe(paper, taken)
                if notice is not None:
                    problems.append(notice)
            result.problems.extend(problems)
        elif index in strings:
            notice = strings[index]
            if notice is not None:
                result.problems.append(notice)
        elif isinstance(block, DuplicateBlockKeyBlock):
            duplicate = _duplicate(block, entries)
            if duplicate is not None:
                result.problems.append(duplicate)
        elif isinstance(block, ParsingFailedBlock):
            failure = _failure(block)
            if failure is not None:
                result.problems.append(failure)
    if values.exhausted:
        result.problems.append(
            Problem("@string macros expand to too much text; the rest were left as their names")
        )
    if not result.papers and not result.problems:
        if raws:
            # Only @xdata/@set entries: templates, no papers.
            raise InputError(f"{name}: no papers in the BibTeX file, only @xdata/@set entries")
        raise InputError(f"{name}: no BibTeX entries found")
    return result
