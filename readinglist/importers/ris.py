"""Importer for RIS files (Zotero, EndNote, Mendeley, IEEE Xplore, ACM, Springer...).

A RIS file is a series of records, each a run of ``TAG  - value`` lines from
``TY  - JOUR`` to ``ER  - ``; a line without a tag continues the value above
it.  Reading the lines of one record into tags and values is done by
:mod:`rispy`.  rispy reads a whole file in one go, though, and a broken record
costs more than itself there: a record without ``ER`` is silently dropped
(or swallows the next one), and a stray ``UK`` line, or an untagged line
right after a ``TY``, makes it raise and lose the whole file.  So the
text is cut into records here first, by their ``TY``/``ER`` lines and with
their line numbers, and each record is given to rispy on its own; a record
that fails is reported as a :class:`Problem` with its line, and the others
import.

Leniency, as in Zotero's reader: a tag may be followed by one space or a tab
instead of RIS's two spaces (``TY - JOUR``, some publishers), and written in
lower case, when it is a tag RIS defines (so ``is - based`` in the middle of
an abstract stays text); ``\\r\\n`` line ends and trailing blanks are fine.
Each line is classified here (:func:`_tag_of`) and handed to rispy in
canonical form, tag lines as ``TAG  - value`` and continuation lines behind a
NUL mark, so rispy and this module always agree on what a line is.  rispy
appends a continuation of a list tag as a new value; the mark tells it apart
from a repeated tag, so it is joined to the value it continues.

Values are plain text.  Decisions the format leaves open:

* ``TY`` gives the entry type: ``JOUR`` is an article, ``CONF``/``CPAPER``
  in-proceedings, ``BOOK`` a book, ``CHAP`` a chapter (incollection),
  ``THES`` a PhD thesis (a master's thesis when ``M3`` says so), ``RPRT`` a
  tech report, anything else ``misc``.
* Authors are ``AU`` (or the older ``A1``) lines, ``Last, First, Suffix`` in
  RIS's order, read by :func:`readinglist.people.parse_name`, which also
  takes BibTeX's ``Last, Jr, First`` that some files write.  Editors
  (``A2``, ``ED``) are stored like the BibTeX importer stores them: display
  names joined by " and ".
* The venue is the journal's full name (``JF``, ``JO``), the proceedings
  title Zotero writes in ``C3``, the secondary title (``T2``) or book title
  (``BT``), else an abbreviation (``JA``, ``J2``).
* The abstract (``AB``, else ``N2``) and the notes (``N1``, several joined
  by blank lines) are prose: white space folded, paragraphs kept, as the
  BibTeX importer has them.  Zotero writes notes as HTML; such a note is
  turned into text with :mod:`html.parser`.
* ``KW`` lines are tags, each line one tag, or several separated by ``;``.
* ``UR`` is the URL (the first http(s) one); other web links in ``UR``,
  ``L1``, ``L2`` and ``L4`` become links, and a local PDF in ``L1`` the
  paper's PDF.  An arXiv id is read from arXiv links and DOIs there, or
  from a venue such as "arXiv preprint arXiv:1706.03762".
* ``SP``/``EP`` make the pages, stored with an en dash as the BibTeX
  importer stores ranges; ``SN`` is an ISSN when shaped like one, else an
  ISBN (a report number for ``RPRT``); ``PB`` is the school of a thesis and
  the institution of a report; the month comes from a ``DA``/``Y1``/``PY``
  date such as ``2020/05/01/``.
* ``ID`` becomes the citation key when it is a safe key
  (:func:`readinglist.citekeys.is_valid_citekey`) and not a bare number
  (EndNote numbers its records there); an unsafe one is reported and the
  library makes a key instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import unquote, urlsplit

import rispy

from readinglist.citekeys import KEY_RULE, is_valid_citekey
from readinglist.importers.hfpage import extract_links
from readinglist.people import Person, parse_name
from readinglist.records import MONTHS, InputError, ParsedPaper, ParseResult, Problem, quoted

__all__ = ["FORMAT", "looks_like", "parse"]

FORMAT = "ris"

# Tags RIS defines (rispy's table) plus older ones readers still meet: BT
# (book title), CT (title), ED (editor), L3 (related records), M2 (extra).
_KNOWN_TAGS = frozenset(rispy.TAG_KEY_MAPPING) - {"UK"} | {"BT", "CT", "ED", "L3", "M2"}
# Every known tag is a list tag for rispy, so a repeated tag keeps all its
# values (rispy keeps the first of a single tag) and this module chooses.
_MAPPING = {tag: tag for tag in _KNOWN_TAGS}
_LIST_TAGS = sorted(_KNOWN_TAGS - {"TY"})
# Put before a continuation line given to rispy: NUL is not a letter, so
# rispy never takes the line for a tag, and not white space, so it survives
# rispy's strip() and tells a continuation from a repeated tag.
_CONTINUED = "\x00"

# "TAG  - value": a letter and a letter or digit, one or two blanks, a
# hyphen, then a blank and the value (or nothing: "ER  -").
_TAG_LINE_RE = re.compile(r"([A-Za-z][A-Za-z0-9])([ \t]{1,2})-(?:[ \t](.*))?\Z")
_LINE_END_RE = re.compile(r"\r\n|\r|\n")
# The sniff: a TY line holding a type code alone, then (blank lines
# allowed) another tag line.  Prose never has both.
_EOL = r"(?:\r\n?|\n)"
_SNIFF_RE = re.compile(
    rf"(?:^|(?<=\r))\ufeff?TY(?:  | ?\t| )-[ \t]+[A-Za-z]{{2,10}}[ \t]*{_EOL}(?:[ \t]*{_EOL})*"
    rf"[A-Z][A-Z0-9](?:  | ?\t| )-(?:[ \t]|{_EOL}|\Z)",
    re.MULTILINE,
)

_TYPES = {
    "JOUR": "article",
    "EJOUR": "article",
    "JFULL": "article",
    "CONF": "inproceedings",
    "CPAPER": "inproceedings",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "CHAP": "incollection",
    "ECHAP": "incollection",
    "THES": "phdthesis",
    "RPRT": "techreport",
}
_BOOK_TYPES = frozenset({"BOOK", "EBOOK", "EDBOOK"})
_CONFERENCE_TYPES = frozenset({"CONF", "CPAPER"})

_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# RIS dates are "YYYY/MM/DD/other"; "YYYY-MM-DD" is common too.
_MONTH_RE = re.compile(r"\s*\d{4}\s*[/-]\s*(\d{1,2})(?!\d)")
# Months written out or abbreviated ("June", "Dec.", "Sept."), as IEEE writes Y1.
_MONTH_NAMES = (
    {name.lower(): name for name in MONTHS}
    | {name[:3].lower(): name for name in MONTHS}
    | {"sept": "September"}
)
_MONTH_NAME_RE = re.compile(
    r"\b(" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
_PARAGRAPH_RE = re.compile(r"\n[ \t]*\n\s*")
# An HTML note (Zotero's) starts with an element such as "<div ...>" or
# "<p>"; a plain note that merely mentions "List<T>" is not taken for one.
_HTML_NOTE_RE = re.compile(
    r"\s*<(?:div|p|h[1-6]|ul|ol|li|blockquote|pre|table|span|strong|em|b|i|u|a|br|html|body)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_TAG_SPLIT_RE = re.compile(r"[;\n]")
_ISSN_RE = re.compile(r"\d{4}-?\d{3}[\dXx]")
_ISBN_CHARS_RE = re.compile(r"[\s-]")
_PARENTHESES_RE = re.compile(r"\([^()]*\)")
# A range in pages, as the BibTeX importer reads one: "--", "---", and a
# hyphen between digits ("12-34"); "S-12" or "e1-e9" are left alone.
_PAGE_RANGE_RE = re.compile(r"\s*-{2,3}\s*|(?<=\d)\s*-\s*(?=\d)|\s*[–—]\s*")
_ARXIV_ID = r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
# arXiv links and DOIs (10.48550/arXiv.2403.01234), "arXiv:2403.01234".
_ARXIV_IN_TEXT_RE = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|arxiv[:.]\s*)" + _ARXIV_ID, re.IGNORECASE
)
_DOI_PREFIX_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
# Several URLs on one line, separated by ";" or blanks (EndNote joins them).
_URL_SPLIT_RE = re.compile(r"[\s;]+(?=[A-Za-z][A-Za-z0-9+.-]*://)")
_WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:[\\/]")


def looks_like(text: str) -> bool:
    """Whether ``text`` (the start of a file) holds a RIS record.

    A ``TY  - CODE`` line at a line start (after a BOM or blank lines) that
    another tag line follows: prose does not look like that.
    """
    return _SNIFF_RE.search(text[:200_000]) is not None


# --- lines and records ---------------------------------------------------------


def _tag_of(line: str) -> tuple[str, str] | None:
    """(TAG, value) when *line* (right-stripped) is a tag line, else None.

    ``XX  - `` in upper case is a tag line whatever the tag, as rispy has
    it; a lower-case tag or a gap of one blank or a tab only for a tag RIS
    defines, and lower case only with RIS's two spaces.
    """
    m = _TAG_LINE_RE.match(line)
    if m is None:
        return None
    tag, gap = m.group(1), m.group(2)
    upper = tag.upper()
    canonical_gap = gap == "  "
    if tag != upper:
        if not canonical_gap or upper not in _KNOWN_TAGS:
            return None
    elif not canonical_gap and upper not in _KNOWN_TAGS:
        return None
    return upper, (m.group(3) or "").strip()


@dataclass
class _Record:
    """The lines of one record, from its ``TY`` line, in canonical form."""

    line: int
    lines: list[str]
    closed: bool = False


@dataclass
class _Split:
    """A file cut into records, with what lay outside them."""

    records: list[_Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _split(text: str) -> _Split:
    """Cut *text* into records at their ``TY`` and ``ER`` lines."""
    out = _Split()
    current: _Record | None = None
    stray_reported = False
    for number, raw in enumerate(_LINE_END_RE.split(text), start=1):
        # NUL marks continuation lines for rispy (_CONTINUED): the text's own go.
        line = raw.replace("\x00", "").rstrip().removeprefix("\ufeff")
        tagged = _tag_of(line)
        if tagged is not None and tagged[0] == "TY":
            if current is not None:
                out.records.append(current)
            current = _Record(number, [f"TY  - {tagged[1]}"])
            stray_reported = False
        elif current is None:
            if tagged is not None and tagged[0] != "ER" and not stray_reported:
                # One report per gap between records is enough to point at it.
                out.problems.append(
                    Problem(f"{tagged[0]} line outside a record (no TY before it); ignored", number)
                )
                stray_reported = True
        elif tagged is not None and tagged[0] == "ER":
            current.closed = True
            out.records.append(current)
            current = None
        elif tagged is not None:
            current.lines.append(f"{tagged[0]}  - {tagged[1]}")
        else:
            current.lines.append(_CONTINUED + line.strip())
    if current is not None:
        out.records.append(current)
    return out


def _read_record(record: _Record) -> dict[str, list[str]]:
    """The tags of *record* and their values, continuation lines joined, through rispy."""
    entries = rispy.loads(
        "\n".join([*record.lines, "ER  - "]),
        mapping=_MAPPING,
        list_tags=_LIST_TAGS,
        delimiter_tags_mapping={},
        skip_unknown_tags=True,
    )
    if len(entries) != 1:
        raise ValueError(f"rispy read {len(entries)} records")
    tags: dict[str, list[str]] = {}
    for tag, value in entries[0].items():
        values = [value] if isinstance(value, str) else [str(v) for v in value]
        joined: list[str] = []
        for v in values:
            if v.startswith(_CONTINUED) and joined:
                joined[-1] += "\n" + v[len(_CONTINUED) :]
            else:
                joined.append(v.removeprefix(_CONTINUED))
        tags[tag] = joined
    return tags


# --- values --------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _prose(text: str) -> str:
    """White space folded, paragraphs (blank-line separated) kept."""
    paragraphs = (_one_line(p) for p in _PARAGRAPH_RE.split(text.strip()))
    return "\n\n".join(p for p in paragraphs if p)


class _HtmlText(HTMLParser):
    """The text of an HTML note: blocks and line breaks become paragraphs."""

    _BLOCKS = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "pre",
            "table",
            "tr",
            "hr",
        }
    )
    _HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n\n- " if tag == "li" else "\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _note_text(value: str) -> str:
    """A note as plain prose; an HTML one (Zotero's) stripped of its markup."""
    if _HTML_NOTE_RE.match(value) is None:
        return _prose(value)
    parser = _HtmlText()
    try:
        parser.feed(value)
        parser.close()
    except Exception:  # html.parser is lenient, but a note is not worth a record
        return _prose(value)
    return _prose("".join(parser.parts))


def _people(values: list[str]) -> list[Person]:
    """The people of ``AU``-like values, in order, each once (A1 and AU may repeat them)."""
    people: list[Person] = []
    seen: set[Person] = set()  # a set: physics papers list thousands of authors
    for value in values:
        person = parse_name(_one_line(value))
        if person and person not in seen:
            seen.add(person)
            people.append(person)
    return people


def _tags(values: list[str]) -> list[str]:
    tags: list[str] = []
    seen: set[str] = set()
    for value in values:
        for part in _TAG_SPLIT_RE.split(value):
            tag = _one_line(part)
            if tag and tag.casefold() not in seen:
                seen.add(tag.casefold())
                tags.append(tag)
    return tags


def _pages(start: str, end: str) -> str:
    start = _PAGE_RANGE_RE.sub("–", start)
    if not end or "–" in start:
        return start or end
    if not start or start == end:
        return end
    return f"{start}–{end}"


def _urls(values: list[str]) -> list[str]:
    """The URLs of some ``UR``/``L1``/... values; a value may hold several."""
    out: list[str] = []
    for value in values:
        out.extend(u for u in _URL_SPLIT_RE.split(value.strip()) if u)
    return out


def _is_web(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _pdf_path(values: list[str], source: str) -> str:
    """The first local PDF among ``L1`` values, as an absolute path; "" if none.

    A relative path is relative to the RIS file's folder, known only when
    *source* is an absolute path (Zotero exports files next to the file).
    """
    for value in values:
        path = value.strip()
        if path.lower().startswith("file://"):
            path = unquote(urlsplit(path).path)
            if _WINDOWS_DRIVE_RE.match(path.lstrip("/")):
                path = path.lstrip("/")  # file:///C:/x.pdf
        elif "://" in path:
            continue  # a web link, or EndNote's internal-pdf://
        if not path.lower().endswith(".pdf"):
            continue
        if path.startswith("/"):
            return str(PurePosixPath(path))
        if _WINDOWS_DRIVE_RE.match(path):
            return str(PureWindowsPath(path))
        base = PurePosixPath(source)
        if base.is_absolute() and ".." not in PurePosixPath(path).parts:
            return str(base.parent / path)
    return ""


def _arxiv_id(texts: Iterator[str]) -> str:
    for text in texts:
        m = _ARXIV_IN_TEXT_RE.search(text)
        if m is not None:
            return m.group(1)
    return ""


def _year(values: list[str]) -> int | None:
    """The first four-digit year of *values* ("2020/05/01/", "2020", "May 2020")."""
    for value in values:
        m = _YEAR_RE.search(value)
        if m is not None:
            return int(m.group(1))
    return None


def _month(values: list[str]) -> str:
    """The month's English name from a RIS date ("2020/05/01/") or a written one ("June 2016")."""
    for value in values:
        m = _MONTH_RE.match(value)
        if m is not None and 1 <= int(m.group(1)) <= 12:
            return MONTHS[int(m.group(1)) - 1]
        m = _MONTH_NAME_RE.search(value)
        if m is not None:
            return _MONTH_NAMES[m.group(1).lower()]
    return ""


def _entry_name(text: str) -> str | None:
    """*text* as it may appear in a message: as is if short and printable, else quoted."""
    text = _one_line(text)
    if not text:
        return None
    return text if text.isprintable() and len(text) <= 60 else quoted(text)


# --- records -------------------------------------------------------------------


class _Fields:
    """The tags of one record, read the way the paper needs them."""

    def __init__(self, tags: dict[str, list[str]]) -> None:
        self.tags = tags

    def all(self, *names: str) -> list[str]:
        """The non-blank values of *names*, in that order."""
        return [v for n in names for v in self.tags.get(n, []) if v.strip()]

    def first(self, *names: str) -> str:
        """The first non-blank value of *names* on one line, "" if none."""
        return next((_one_line(v) for v in self.all(*names)), "")


def _extra(f: _Fields, ris_type: str, entry_type: str) -> dict[str, str]:
    extra: dict[str, str] = {}
    publisher = f.first("PB")
    if publisher:
        # Zotero writes a thesis's university and a report's institution there.
        name = {"THES": "school", "RPRT": "institution"}.get(ris_type, "publisher")
        extra[name] = publisher
    for name, tags in (
        ("volume", ("VL",)),
        ("number", ("IS",)),
        ("address", ("CY",)),
        ("edition", ("ET",)),
        ("series", ("T3",)),
    ):
        value = f.first(*tags)
        if value:
            extra[name] = value
    pages = _pages(f.first("SP"), f.first("EP"))
    if pages:
        extra["pages"] = pages
    for value in f.all("SN"):
        for part in re.split(r"[;,]", _PARENTHESES_RE.sub(" ", value)):
            part = _one_line(part)
            digits = _ISBN_CHARS_RE.sub("", part)
            if _ISSN_RE.fullmatch(part):
                extra.setdefault("issn", part)
            elif len(digits) in (10, 13) and digits[:-1].isdigit():
                extra.setdefault("isbn", part)
            elif part and entry_type == "techreport":
                extra.setdefault("number", part)  # Zotero: the report number
    editors = _people(f.all("A2", "ED"))
    if editors:
        extra["editor"] = " and ".join(p.display() for p in editors)
    month = _month(f.all("DA", "Y1", "PY"))
    if month:
        extra["month"] = month
    return {k: extra[k] for k in sorted(extra)}


def _citekey(f: _Fields, problems: list[Problem], record: _Record, entry: str | None) -> str:
    key = f.first("ID")
    if not key or key.isdigit():
        # EndNote numbers its records in ID: a number is no citation key.
        return ""
    if is_valid_citekey(key):
        return key
    problems.append(
        Problem(
            f"ID {quoted(key)} is not a usable citation key ({KEY_RULE}); "
            "the library makes one instead",
            line=record.line,
            entry=entry,
        )
    )
    return ""


def _venue_tags(ris_type: str) -> list[str]:
    """Where the venue is read from, best first (see the module docstring)."""
    tags = ["JF", "JO"]
    if ris_type in _CONFERENCE_TYPES:
        tags.append("C3")  # Zotero's proceedings title; T2 is the conference's name
    tags.append("T2")
    if ris_type not in _BOOK_TYPES:
        tags.append("BT")  # a book's BT is its own title
    return [*tags, "JA", "J2"]


def _paper(
    record: _Record, tags: dict[str, list[str]], source: str, problems: list[Problem]
) -> ParsedPaper | None:
    """The paper of one record, or None (reported) when it has no title."""
    f = _Fields(tags)
    ris_type = f.first("TY").upper()
    entry_type = _TYPES.get(ris_type, "misc")
    if entry_type == "phdthesis" and "master" in f.first("M3").lower():
        entry_type = "mastersthesis"
    title_tags = ("TI", "T1", "BT", "CT") if ris_type in _BOOK_TYPES else ("TI", "T1", "CT")
    title = f.first(*title_tags)
    entry = _entry_name(title) or _entry_name(f.first("ID"))
    if not title:
        problems.append(Problem("record has no title; skipped", line=record.line, entry=entry))
        return None
    venue = f.first(*_venue_tags(ris_type))
    urls = _urls(f.all("UR"))
    web = [u for u in urls if _is_web(u)]
    url = web[0] if web else ""
    files = _urls(f.all("L1", "L2", "L4"))
    abstract = _prose(next(iter(f.all("AB", "N2")), ""))
    links: list[str] = []
    for link in [*web[1:], *(u for u in files if _is_web(u)), *extract_links(abstract)]:
        if link != url and link not in links:
            links.append(link)
    doi = _DOI_PREFIX_RE.sub("", "".join(f.first("DO").split()))
    arxiv_id = _arxiv_id(
        iter([*urls, doi, *files, *(f.first(t) for t in ("JF", "JO", "T2", "JA", "J2"))])
    )
    notes: list[str] = []
    for value in f.all("N1"):
        note = _note_text(value)
        # EndNote repeats the title as a note now and then (Zotero drops it too).
        if note and note != title and note not in notes:
            notes.append(note)
    people = _people(f.all("AU", "A1"))
    return ParsedPaper(
        title=title,
        abstract=abstract,
        authors=people,
        year=_year(f.all("PY", "Y1", "DA", "Y2")),
        venue=venue,
        arxiv_id=arxiv_id,
        doi=doi,
        url=url,
        links=links,
        entry_type=entry_type,
        citekey=_citekey(f, problems, record, entry),
        tags=_tags(f.all("KW")),
        note="\n\n".join(notes),
        pdf_path=_pdf_path(f.all("L1"), source),
        extra=_extra(f, ris_type, entry_type),
        line=record.line,
    )


def _one_line_reason(exc: BaseException) -> str:
    return _one_line(str(exc))[:200] or type(exc).__name__


def parse(text: str, name: str) -> ParseResult:
    """Parse RIS text into papers and problems (format ``"ris"``).

    *name* names the input in messages; when it is an absolute path, the
    relative PDF paths of ``L1`` lines are resolved against its folder.
    Raises :class:`InputError` when the text holds no record at all.
    """
    try:
        split = _split(text)
    except Exception as exc:  # the contract: a ParseResult or an InputError
        raise InputError(f"{name}: could not read RIS ({_one_line_reason(exc)})") from exc
    if not split.records:
        raise InputError(f"{name}: no RIS records found")
    result = ParseResult(format=FORMAT, problems=split.problems)
    for index, record in enumerate(split.records):
        problems: list[Problem] = []
        try:
            tags = _read_record(record)
            paper = _paper(record, tags, name, problems)
        except Exception as exc:
            # One record rispy (or this module) cannot read costs that record only.
            entry = next(
                (_entry_name(line[6:]) for line in record.lines if line[:2] in ("TI", "T1")),
                None,
            )
            result.problems.append(
                Problem(
                    f"could not read the record ({_one_line_reason(exc)}); skipped",
                    line=record.line,
                    entry=entry,
                )
            )
            continue
        if paper is not None:
            result.papers.append(paper)
            if not record.closed:
                following = (
                    "the next TY line" if index + 1 < len(split.records) else "the end of the file"
                )
                problems.insert(
                    0,
                    Problem(
                        f"record has no ER line; read up to {following}",
                        line=record.line,
                        entry=_entry_name(paper.title),
                    ),
                )
        result.problems.extend(problems)
    # In file order: the stray lines between records were found first.
    result.problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return result
