"""Importer for PDF files: one paper per file, the file attached to it.

What a PDF says about itself is read with :mod:`pypdf`, best effort:

* the title from the document information's ``/Title`` when it is a real
  title (word processors write "Microsoft Word - draft.docx", file names or
  "untitled" there), else from the first page: the line(s) in its largest
  font, else its first line of words, else the file name;
* the authors from ``/Author``, each name parsed by
  :func:`readinglist.people.parse_name`;
* an arXiv id (arXiv stamps "arXiv:2403.01234v2 [cs.CL] 4 Mar 2024" on the
  first page) or a DOI from the first two pages and the metadata;
* the year from the arXiv id, else from ``/CreationDate``;
* the abstract: the paragraph after "Abstract" on the first page.

A PDF is untrusted input to a large parser: only two pages are read, text
extraction stops after :data:`MAX_TEXT` characters or :data:`TIME_BUDGET_S`
seconds, and any exception pypdf raises becomes a :class:`Problem` (the file
is still imported under its name) or, when nothing of it can be read, an
:class:`InputError`.  An encrypted PDF without an empty user password is
imported under its file name with a problem saying so.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
import struct
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError
from pypdf.generic import DecodedStreamObject, NameObject

from readinglist.importers.idlist import FoundId, arxiv_year, find_ids
from readinglist.people import Person, parse_name
from readinglist.records import InputError, ParsedPaper, ParseResult, Problem

__all__ = ["FORMAT", "MAGIC", "parse_bytes"]

# pypdf logs every robustness fix it applies to a damaged file; Python's
# last-resort handler would print them all to stderr.  A NullHandler keeps
# them quiet unless the application configures logging (as for bibtexparser).
logging.getLogger("pypdf").addHandler(logging.NullHandler())

FORMAT = "pdf"
MAGIC = b"%PDF-"

# Pages read: the title, authors, abstract and arXiv stamp are on the first.
MAX_PAGES = 2
# Characters of text kept per page, and the time all extraction may take:
# a page of a huge drawing or a crafted content stream can keep pypdf busy
# for minutes, and nothing we look for is that far in.
MAX_TEXT = 30_000
TIME_BUDGET_S = 3.0
# A first page's content stream is tens to hundreds of kB; only this much of
# it is read (a drawing or a crafted stream can be far larger).
MAX_CONTENT_BYTES = 1 << 20

# What pypdf raises on a damaged file: its own errors and whatever its
# parsing of arbitrary bytes runs into.  MemoryError and KeyboardInterrupt
# are left alone.
_PDF_ERRORS: tuple[type[BaseException], ...] = (
    PyPdfError,
    DependencyError,
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    ArithmeticError,
    RuntimeError,  # RecursionError, NotImplementedError
    AssertionError,
    EOFError,
    OSError,
    struct.error,
    zlib.error,
)

_TITLE_MAX = 300
_TITLE_LINES = 4
_ABSTRACT_MAX = 3000
# Placeholder titles of templates and tools.
_JUNK_TITLES = frozenset(
    (
        "untitled",
        "title",
        "no title",
        "paper",
        "paper title",
        "manuscript",
        "main",
        "article",
        "document",
        "abstract",
        "preprint",
        "draft",
        "slides",
        "presentation",
        "template",
    )
)
_TOOL_PREFIX_RE = re.compile(
    r"^(?:microsoft\s+(?:word|powerpoint|excel)\s*-|untitled\b|title\s*:?\s*$)", re.IGNORECASE
)
_FILE_NAME_RE = re.compile(
    r"(?:^|[\\/])[^\\/]*\.(?:pdf|docx?|tex|dvi|ps|eps|odt|rtf|txt|md|indd|pptx?|key|pages|qxd|html?)$",
    re.IGNORECASE,
)
_JUNK_AUTHORS = frozenset(
    (
        "administrator",
        "admin",
        "user",
        "owner",
        "unknown",
        "author",
        "authors",
        "anonymous",
        "anonymous author",
        "anonymous authors",
        "anonymous author(s)",
        "others",
        "et al",
        "et al.",
    )
)
_AND_RE = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)
# Suffixes after a comma belong to the name before it ("John Smith, Jr.").
_SUFFIXES = frozenset(("jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d."))
_CREATION_YEAR_RE = re.compile(r"^(?:D:)?((?:19|20)\d\d)")
# The stamp arXiv puts in the margin of page 1: "arXiv:2403.01234v2 [cs.CL] 4 Mar 2024".
_STAMP_RE = re.compile(r"arxiv:\s*\S+\s*\[[\w.\- ]{1,30}\]", re.IGNORECASE)
# "Abstract" alone on its line, or "Abstract." / "Abstract—" / "ABSTRACT:" before
# the text; not a title that starts with the word ("Abstract Interpretation...").
_ABSTRACT_HEAD_RE = re.compile(r"^\s*abstract(?:\s*$|\s*[.:—–-]+\s*)", re.IGNORECASE)
_SECTION_RE = re.compile(
    r"^\s*(?:(?:\d+\.?|[IVX]+\.)\s*)?(?:introduction|keywords|key\s*words|index\s+terms"
    r"|ccs\s+concepts|acm\s+reference\s+format)\b",
    re.IGNORECASE,
)
_FOOTNOTE_MARKS_RE = re.compile(r"[\s*∗†‡§¶]+$")
_LETTERS_RE = re.compile(r"[^\W\d_]")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")


def _clean(value: object, limit: int = 2000) -> str:
    """A metadata value as one line of text ("" for anything unusable)."""
    if isinstance(value, bytes):
        # A byte string whose encoding pypdf could not tell: Latin-1 never fails.
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return ""
    return " ".join(_CONTROL_RE.sub(" ", value[:limit]).split())


def _reason(exc: BaseException) -> str:
    """An exception as a short reason for a one-line message."""
    text = _clean(str(exc), 200) or type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "…"


def _letters(text: str) -> int:
    return len(_LETTERS_RE.findall(text))


# --- text with font sizes --------------------------------------------------------


@dataclass
class _Line:
    """One line of a page's text, with the size of most of its characters."""

    text: str = ""
    # Characters per (rounded) effective font size.
    sizes: dict[float, int] = field(default_factory=dict)
    upright: bool = True

    @property
    def size(self) -> float:
        return max(self.sizes.items(), key=lambda kv: kv[1])[0] if self.sizes else 0.0


class _Stop(BaseException):
    """Raised from a pypdf callback to end the extraction of a page early.

    A BaseException: pypdf catches ``Exception`` around form objects and
    would swallow an ordinary one, then carry on.
    """


@dataclass
class _PageText:
    """Collects the text pieces pypdf reports, split into lines."""

    deadline: float
    lines: list[_Line] = field(default_factory=lambda: [_Line()])
    chars: int = 0
    ops: int = 0

    def operation(self, *_args: Any) -> None:
        # Called for every operator of the content stream: checking the
        # clock on each would cost more than the extraction.
        self.ops += 1
        if self.ops % 512 == 0 and time.monotonic() > self.deadline:
            raise _Stop

    def text(self, text: Any, cm: Any, tm: Any, _font: Any, font_size: Any) -> None:
        if not isinstance(text, str) or not text:
            return
        size, upright = _effective_size(cm, tm, font_size)
        for n, piece in enumerate(text.split("\n")):
            if n:
                self.lines.append(_Line())
            if piece:
                line = self.lines[-1]
                line.text += piece
                if piece.strip():
                    line.sizes[size] = line.sizes.get(size, 0) + len(piece)
                    line.upright = line.upright and upright
        self.chars += len(text)
        if self.chars > MAX_TEXT:
            raise _Stop

    def result(self) -> list[_Line]:
        for line in self.lines:
            line.text = " ".join(line.text.split())
        return [line for line in self.lines if line.text]


def _effective_size(cm: Any, tm: Any, font_size: Any) -> tuple[float, bool]:
    """The font size on the page (text and current matrices applied), and whether upright."""
    try:
        size = float(font_size)
        a, b, c, d = (float(v) for v in tm[:4])
        ca, cb, cc, cd = (float(v) for v in cm[:4])
    except (TypeError, ValueError, IndexError):
        return 0.0, True
    # The 2x2 part of tm x cm: its determinant is the area scale, so its
    # square root scales the font whatever the rotation.
    m0, m1 = a * ca + b * cc, a * cb + b * cd
    m2, m3 = c * ca + d * cc, c * cb + d * cd
    scale = math.sqrt(abs(m0 * m3 - m1 * m2))
    if not math.isfinite(scale) or not math.isfinite(size):
        return 0.0, True
    upright = m0 > 0 and abs(m1) <= 0.1 * m0
    return round(abs(size) * (scale or 1.0) * 2) / 2, upright


def _page_lines(page: Any, deadline: float) -> list[_Line]:
    """The lines of *page* (at most :data:`MAX_TEXT` characters of it)."""
    contents = page.get_contents()
    if contents is None:
        return []
    data = contents.get_data()
    if len(data) > MAX_CONTENT_BYTES:
        # pypdf parses the whole content stream before reporting any text,
        # at about a second per megabyte: read the start of the page only
        # (where the title is), cut at a line end so no operator is split.
        cut = data.rfind(b"\n", 0, MAX_CONTENT_BYTES)
        short = DecodedStreamObject()
        short.set_data(data[: cut if cut > 0 else MAX_CONTENT_BYTES])
        page[NameObject("/Contents")] = short
    collector = _PageText(deadline)
    # Stopped early, what was collected so far is kept.
    with contextlib.suppress(_Stop):
        page.extract_text(visitor_text=collector.text, visitor_operand_before=collector.operation)
    return collector.result()


# --- what the text and metadata say ----------------------------------------------


def _is_real_title(title: str, stem: str) -> bool:
    folded = title.casefold().strip(" .:")
    if _letters(title) < 4 or folded in _JUNK_TITLES or folded == stem.casefold():
        return False
    if _TOOL_PREFIX_RE.match(title) or _FILE_NAME_RE.search(title):
        return False
    if "use style" in folded:  # IEEE's template: "Paper Title (use style: paper title)"
        return False
    # An identifier alone ("arXiv:2403.01234") names the paper, not its title.
    ids = find_ids(title)
    return not (ids and _letters(title) - sum(_letters(title[i.start : i.end]) for i in ids) < 4)


def _is_text_line(line: _Line) -> bool:
    """A line of words that could be a title (not a stamp, a number, a link or an address)."""
    text = line.text
    if not line.upright or _letters(text) < 4 or _STAMP_RE.search(text):
        return False
    lowered = text.lower()
    return not ("@" in text or "://" in text or lowered.startswith(("arxiv:", "doi")))


def _title_from_lines(lines: Sequence[_Line]) -> str:
    """The first page's title: its lines in the largest font, else its first line of words."""
    candidates = [line for line in lines if _is_text_line(line)]
    if not candidates:
        return ""
    largest = max(line.size for line in candidates)
    if largest > 0 and any(line.size < largest for line in candidates):
        title: list[str] = []
        started = False
        for line in lines:
            same = line.upright and abs(line.size - largest) <= 0.5
            if same and (started or _is_text_line(line)):
                started = True
                title.append(line.text)
                if len(title) >= _TITLE_LINES:
                    break
            elif started:
                break
        text = " ".join(title)
    else:
        # One font size all over (or none known): the first line of words.
        text = candidates[0].text
    # A \thanks footnote mark ("Title*", "Title †") is not part of the title.
    return _FOOTNOTE_MARKS_RE.sub("", text[:_TITLE_MAX]).strip()


def _abstract(lines: Sequence[_Line]) -> str:
    """The paragraph after an "Abstract" heading, if the page has one."""
    for n, line in enumerate(lines):
        head = _ABSTRACT_HEAD_RE.match(line.text)
        if head is None:
            continue
        parts = [line.text[head.end() :]] if line.text[head.end() :] else []
        body_size = 0.0
        for following in lines[n + 1 :]:
            if _SECTION_RE.match(following.text):
                break
            if body_size and abs(following.size - body_size) > 0.5:
                break  # a heading or a caption in another font
            body_size = body_size or following.size
            parts.append(following.text)
            if sum(map(len, parts)) > _ABSTRACT_MAX:
                break
        return _join_lines(parts)[:_ABSTRACT_MAX].strip()
    return ""


def _join_lines(parts: list[str]) -> str:
    """Lines of a paragraph joined, words hyphenated across lines put back together."""
    text = ""
    for part in parts:
        if text.endswith("-") and text[-2:-1].islower() and part[:1].islower():
            text = text[:-1] + part
        else:
            text = f"{text} {part}" if text else part
    return text


def _split_authors(value: str) -> list[str]:
    """The names in an ``/Author`` value.

    ";" separates names unambiguously, and so does " and " / " & " when
    every part holds one comma ("Smith, Ann and Jones, Bob": family names
    first).  Otherwise commas separate names too ("Ann Smith, Bob Jones and
    Cy Brown"), except a lone comma between one family name and given names
    ("Smith, Ann") or before a suffix ("John Smith, Jr.").
    """
    if ";" in value:
        return [part for part in value.split(";") if part.strip()]
    parts = [part for part in _AND_RE.split(value) if part.strip()]
    if len(parts) > 1 and all(part.count(",") == 1 for part in parts):
        return parts
    names: list[str] = []
    for part in parts:
        if _one_name(part):
            names.append(part)
        else:
            names.extend(p for p in part.split(",") if p.strip())
    return names


def _one_name(part: str) -> bool:
    """Whether *part* is one name: no comma, or "Smith, Ann B." / "John Smith, Jr."."""
    if part.count(",") != 1:
        return "," not in part
    family, given = (side.split() for side in part.split(","))
    if len(given) == 1 and given[0].lower() in _SUFFIXES:
        return True
    # Family name particles are lower case ("van der Berg, Jan").
    capitalised = [word for word in family if not word[:1].islower()]
    return len(capitalised) == 1 and 0 < len(given) <= 3


def _authors(value: str) -> list[Person]:
    people: list[Person] = []
    for raw in _split_authors(value):
        name = raw.strip(" ,;")
        if not name or name.casefold() in _JUNK_AUTHORS or "@" in name or "://" in name:
            continue
        family, _, rest = name.partition(",")
        if rest.strip().lower() in _SUFFIXES:
            # "John Smith, Jr." is a display name: parse_name's comma rule would
            # make "Jr." the given name.
            name = f"{family.strip()} {rest.strip()}"
        person = parse_name(name)
        if person:
            people.append(person)
    return people


def _labelled_doi(text: str, found: FoundId) -> bool:
    """Whether a DOI is written as one ("DOI: 10...", "doi.org/10..."), not in a citation."""
    return "doi" in text[max(0, found.start - 6) : found.end - len(found.doi)].lower()


@dataclass
class _Ids:
    """The arXiv id (and its version) and DOI of the paper, as found so far."""

    arxiv: FoundId | None = None
    doi: str = ""

    def take(self, found: Sequence[FoundId], *, arxiv: bool = True, doi: bool = True) -> None:
        if arxiv and self.arxiv is None:
            self.arxiv = next((f for f in found if f.arxiv_id), None)
        if doi and not self.doi:
            self.doi = next((f.doi for f in found if f.doi), "")


def _ids(meta: dict[str, str], pages: Sequence[str]) -> _Ids:
    """The paper's own arXiv id and DOI: stamped, in the metadata, or unique on page 1.

    Citations name other papers' ids too, so an id in the running text
    counts only when it is the only one of its kind on the first page, or
    a DOI labelled as such.
    """
    ids = _Ids()
    for text in pages:
        for stamp in _STAMP_RE.finditer(text):
            ids.take(find_ids(stamp.group()), doi=False)
    for key in ("/doi", "/DOI", "/arXivID", "/Subject", "/Keywords"):
        ids.take(find_ids(meta.get(key, "")))
    for n, text in enumerate(pages):
        found = find_ids(text)
        arxivs = {f.key for f in found if f.arxiv_id}
        if n == 0 and len(arxivs) == 1:
            ids.take(found, doi=False)
        labelled = [f for f in found if f.doi and _labelled_doi(text, f)]
        if len({f.key for f in labelled}) == 1 or (n == 0 and labelled):
            ids.take(labelled, arxiv=False)
        dois = {f.key for f in found if f.doi}
        if n == 0 and len(dois) == 1:
            ids.take(found, arxiv=False)
    return ids


# --- reading the file ----------------------------------------------------------------


def _metadata(reader: PdfReader, problems: list[Problem]) -> dict[str, str]:
    try:
        info = reader.metadata
    except _PDF_ERRORS as exc:
        problems.append(Problem(f"the document information could not be read ({_reason(exc)})"))
        return {}
    if info is None:
        return {}
    meta: dict[str, str] = {}
    for key in ("/Title", "/Author", "/Subject", "/Keywords", "/doi", "/DOI", "/arXivID"):
        try:
            value = _clean(info[key]) if key in info else ""
        except _PDF_ERRORS:
            value = ""  # one damaged entry: the others still count
        if value:
            meta[key] = value
    try:
        created = _clean(info["/CreationDate"]) if "/CreationDate" in info else ""
    except _PDF_ERRORS:
        created = ""
    if created:
        meta["/CreationDate"] = created
    return meta


def _read_pages(reader: PdfReader, problems: list[Problem]) -> list[list[_Line]]:
    """The lines of the first :data:`MAX_PAGES` pages; what fails is reported."""
    try:
        count = len(reader.pages)
    except _PDF_ERRORS as exc:
        problems.append(Problem(f"the pages could not be read ({_reason(exc)})"))
        return []
    if count == 0:
        problems.append(Problem("the PDF has no pages"))
    deadline = time.monotonic() + TIME_BUDGET_S
    pages: list[list[_Line]] = []
    for n in range(min(count, MAX_PAGES)):
        try:
            pages.append(_page_lines(reader.pages[n], deadline))
        except _PDF_ERRORS as exc:
            problems.append(Problem(f"the text of page {n + 1} could not be read ({_reason(exc)})"))
            pages.append([])
        if time.monotonic() > deadline:
            break
    return pages


def _encrypted(reader: PdfReader, stem: str) -> ParseResult | None:
    """None when the PDF can be read (not encrypted, or with an empty password).

    Otherwise a paper named after the file, with a problem saying why its
    text could not be read.
    """
    try:
        if not reader.is_encrypted or reader.decrypt(""):
            return None
        why = "it is protected by a password"
    except _PDF_ERRORS as exc:  # an unsupported scheme, or AES without a crypto library
        why = f"its encryption is not supported ({_reason(exc)})"
    result = ParseResult(format=FORMAT)
    result.papers.append(ParsedPaper(title=stem, entry_type="misc"))
    result.problems.append(
        Problem(f"the text could not be read: {why}; imported under its file name")
    )
    return result


def _stem(name: str) -> str:
    stem = PurePath(name).stem if name else ""
    return " ".join(stem.replace("_", " ").split()) or "Untitled PDF"


def parse_bytes(data: bytes, name: str) -> ParseResult:
    """Read a PDF's bytes into one paper (format ``"pdf"``).

    *name* is the file name (or path), used for messages and as the title
    of last resort.  Raises :class:`InputError` when the bytes are not a
    PDF pypdf can open.  ``pdf_path`` is left for the caller, who knows
    where the file is.
    """
    stem = _stem(name)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except _PDF_ERRORS as exc:
        raise InputError(f"{name}: not a readable PDF ({_reason(exc)})") from None
    locked = _encrypted(reader, stem)
    if locked is not None:
        return locked
    result = ParseResult(format=FORMAT)
    meta = _metadata(reader, result.problems)
    pages = _read_pages(reader, result.problems)
    if not meta and not any(pages) and not _has_pages(reader):
        raise InputError(f"{name}: not a readable PDF (no pages and no document information)")
    first = pages[0] if pages else []
    texts = ["\n".join(line.text for line in page) for page in pages]

    title = meta.get("/Title", "")
    if not _is_real_title(title, stem):
        title = _title_from_lines(first)
    if not title:
        title = stem
        why = "no title found on the first page" if first else "no text on the first page (a scan?)"
        result.problems.append(Problem(f"{why}; titled after the file name"))
    ids = _ids(meta, texts)
    arxiv = ids.arxiv
    year = arxiv_year(arxiv.arxiv_id) if arxiv is not None else None
    if year is None:
        created = _CREATION_YEAR_RE.match(meta.get("/CreationDate", ""))
        year = int(created.group(1)) if created else None
    if arxiv is not None:
        url = f"https://arxiv.org/abs/{arxiv.arxiv_id}{arxiv.version}"
    else:
        url = f"https://doi.org/{ids.doi}" if ids.doi else ""
    result.papers.append(
        ParsedPaper(
            title=title,
            abstract=_abstract(first),
            authors=_authors(meta.get("/Author", "")),
            year=year,
            arxiv_id=arxiv.arxiv_id if arxiv is not None else "",
            doi=ids.doi,
            url=url,
            entry_type="misc",
        )
    )
    return result


def _has_pages(reader: PdfReader) -> bool:
    try:
        return len(reader.pages) > 0
    except _PDF_ERRORS:
        return False
