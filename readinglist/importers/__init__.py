"""Importer registry: detect an input's format and hand it to its importer.

Every importer is a pure function from text to a :class:`ParseResult` (papers
plus problems); nothing here touches the library.  The contract for callers:
any bytes in give either a ``ParseResult`` or an :class:`InputError` with a
one-line message naming the file, never another exception.

Formats are sniffed from the content first (a saved page or a ``.bib`` file
renamed to ``.txt`` still imports right) and from the file extension second.
Text formats: BibTeX, RIS, a saved trending-papers page and a list of arXiv
ids, DOIs or links; binary formats, known by their first bytes: PDF, whose
file is the paper itself (:data:`ATTACHING_FORMATS`).
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import stat
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path, PurePath

from readinglist.importers import bibtex, hfpage, idlist, ris
from readinglist.records import InputError, ParsedPaper, ParseResult, Problem, quoted

__all__ = [
    "ATTACHING_FORMATS",
    "FORMATS",
    "MAX_FILE_BYTES",
    "MAX_WHOLE_FILE_BYTES",
    "InputError",
    "Stream",
    "check_readable",
    "decode_text",
    "detect",
    "importable",
    "parse",
    "parse_file",
    "parse_text",
    "sniff_binary",
    "stream_file",
]

# (label, file-dialog patterns) for open dialogs, in the order offered: every
# format at once first (what a user importing "a file" wants), then each one.
FORMATS: list[tuple[str, list[str]]] = [
    ("All supported files", ["*.bib", "*.bibtex", "*.ris", "*.txt", "*.md", "*.pdf"]),
    ("BibTeX", ["*.bib", "*.bibtex"]),
    ("RIS", ["*.ris"]),
    ("Trending-papers page", ["*.txt", "*.md"]),
    ("List of arXiv ids, DOIs or links", ["*.txt", "*.md"]),
    ("PDF", ["*.pdf"]),
    ("All files", ["*"]),
]

# The PDF importer is loaded when a PDF arrives: pypdf takes ~55 ms to
# import, which every start of the window and the command line would pay.
PDF_FORMAT = "pdf"


def _parse_pdf(data: bytes, name: str) -> ParseResult:
    from readinglist.importers import pdf

    return pdf.parse_bytes(data, name)


_PARSERS: dict[str, Callable[[str, str], ParseResult]] = {
    hfpage.FORMAT: hfpage.parse,
    bibtex.FORMAT: bibtex.parse,
    ris.FORMAT: ris.parse,
    idlist.FORMAT: idlist.parse,
}
# The format a file's extension suggests when its content does not say.  A
# .txt or .md file is a page unless its content says otherwise: an id list
# is recognised by its content (see _detect_text).
_EXTENSIONS = {
    ".txt": hfpage.FORMAT,
    ".md": hfpage.FORMAT,
    ".text": hfpage.FORMAT,
    ".bib": bibtex.FORMAT,
    ".bibtex": bibtex.FORMAT,
    ".ris": ris.FORMAT,
    ".pdf": PDF_FORMAT,
}

# Binary formats, recognised by their first bytes: (magic, format).
_MAGIC: list[tuple[bytes, str]] = [(b"%PDF-", PDF_FORMAT)]
_BINARY_PARSERS: dict[str, Callable[[bytes, str], ParseResult]] = {
    PDF_FORMAT: _parse_pdf,
}
# Formats whose file is the paper itself: the import keeps its path (attached).
ATTACHING_FORMATS: frozenset[str] = frozenset({PDF_FORMAT})

# What the message for an unrecognised file lists.
_EXPECTED = (
    "expected BibTeX, RIS, a trending-papers page, a list of arXiv ids/DOIs or links, or a PDF"
)


def sniff_binary(data: bytes) -> str | None:
    """The binary format *data* starts as (``"pdf"``...), or None for text."""
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            return fmt
    return None


def importable(path: PurePath) -> bool:
    """Whether a file found in a dropped folder is worth importing (by its suffix).

    Files named on their own are always tried (content decides); a folder
    of PDFs also holds images, scripts and archives that are not papers.
    """
    return path.suffix.lower() in _EXTENSIONS


# C0 control bytes other than tab, LF, FF and CR (and DEL).  Text files have
# next to none; binary files (images, PDFs, archives) have plenty.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
_MAX_CONTROL_RATIO = 0.05


# Like git and file(1), judge by the start: a binary format shows itself there.
_SNIFF_BYTES = 1 << 20


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    head = data[:_SNIFF_BYTES]
    # bytes.translate runs in C: counting this way stays fast.
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > _MAX_CONTROL_RATIO * len(head)


# Bytes of a UTF-8 file that are not UTF-8 are read one by one as cp1252 (the
# likeliest source of a stray byte), or Latin-1 for cp1252's five holes.
_FALLBACK = "readinglist-cp1252-bytes"
_SPOTS: ContextVar[list[int] | None] = ContextVar("_SPOTS", default=None)


def _byte_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    spots = _SPOTS.get()
    if spots is not None:
        spots.append(exc.start)
    bad = exc.object[exc.start : exc.end]
    text = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad)
    return text, exc.end


codecs.register_error(_FALLBACK, _byte_fallback)

# Reported bad spots per file; more are summed up in one line.
_MAX_SPOTS_SHOWN = 10


def _spot_problems(data: bytes, spots: list[int], base_line: int = 0) -> list[Problem]:
    problems = [
        Problem(
            f"bytes that are not UTF-8 ({quoted(data[at : at + 4].hex(' '))}) read as cp1252",
            line=base_line + data.count(b"\n", 0, at) + 1,
        )
        for at in spots[:_MAX_SPOTS_SHOWN]
    ]
    if len(spots) > _MAX_SPOTS_SHOWN:
        problems.append(Problem(f"{len(spots) - _MAX_SPOTS_SHOWN} more such bytes"))
    return problems


def _mostly_utf8(text: str, bad: int) -> bool:
    """Whether a text decoded as UTF-8 with *bad* stray bytes is UTF-8 after all.

    A cp1252 file has almost no valid UTF-8 sequences (every accent is a
    stray byte); a UTF-8 file with a stray byte has far more good ones.
    """
    non_ascii = sum(1 for c in text if ord(c) > 0x7F) - bad
    return non_ascii >= bad


def decode_text(data: bytes, name: str, problems: list[Problem] | None = None) -> str:
    """Decode file bytes to text, or raise :class:`InputError` for binary data.

    UTF-8 (with or without BOM) first.  A UTF-8 file with a few stray bytes
    stays UTF-8: each stray byte is read as cp1252 and reported in *problems*
    (with its line), instead of re-reading the whole file as cp1252, which
    garbles every accent ("TÜLU" as "TÃ\x9cLU").  A file that is mostly not
    UTF-8 is read as cp1252, the legacy Windows 8-bit encoding such files
    almost always are (its five unassigned bytes fall back to Latin-1 so
    decoding never fails).  A UTF-16 file is recognised by its BOM.
    """
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                break  # not really UTF-16: judge the bytes below
            if "\x00" in text:
                raise InputError(f"{name}: not a text file (contains NUL characters)")
            return text
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if _looks_binary(data):
        raise InputError(f"{name}: not a text file (binary data)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    spots: list[int] = []
    token = _SPOTS.set(spots)
    try:
        text = data.decode("utf-8", errors=_FALLBACK)
    finally:
        _SPOTS.reset(token)
    if _mostly_utf8(text, len(spots)):
        if problems is not None:
            problems.extend(_spot_problems(data, spots))
        return text
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _detect_text(text: str, name: str) -> str:
    if not text or text.isspace():  # not strip(): no copy of a huge file
        raise InputError(f"{name}: the file is empty")
    # The most distinctive shapes first.  BibTeX's "@type{key," at a line
    # start is unmistakable, while the page test also accepts any
    # title-then-long-paragraph text.
    if bibtex.looks_like(text):
        return bibtex.FORMAT
    # RIS: a "TY  - " tag line starts every record.
    if ris.looks_like(text):
        return ris.FORMAT
    # An id list before the page: a short link line followed by a line of
    # many links has the page's title-then-paragraph shape.  The id list's
    # test refuses any text with a line of prose, so a page (whose abstracts
    # may cite arXiv papers) is never taken for a list.
    if idlist.looks_like(text):
        return idlist.FORMAT
    if hfpage.looks_like(text):
        return hfpage.FORMAT
    fmt = _EXTENSIONS.get(PurePath(name).suffix.lower())
    if fmt in _PARSERS:  # a text named .pdf is not a PDF
        return fmt
    raise InputError(f"{name}: unrecognised format ({_EXPECTED})")


def detect(data: bytes, name: str) -> str:
    """Return the format name of ``data`` ("bibtex", "hf-page", "ids", "pdf"...).

    ``name`` is the file name, used for the extension fallback and messages.
    Raises :class:`InputError` for empty, binary or unrecognised input.
    """
    binary = sniff_binary(data)
    if binary is not None:
        return binary
    return _detect_text(decode_text(data, name), name)


def parse(data: bytes, name: str) -> ParseResult:
    """Detect the format of ``data`` and parse it with the matching importer."""
    binary = sniff_binary(data)
    if binary is not None:
        return _BINARY_PARSERS[binary](data, name)
    problems: list[Problem] = []
    result = parse_text(decode_text(data, name, problems), name)
    result.problems[:0] = problems
    return result


def parse_text(text: str, name: str) -> ParseResult:
    """Detect the format of decoded *text* and parse it with the matching importer."""
    return _PARSERS[_detect_text(text, name)](text, name)


# Formats read line by line straight from the file: (format, generator of papers).
_STREAMERS = {hfpage.FORMAT: hfpage.iter_parse}
_READ_CHUNK = 1 << 20


@dataclass
class Stream:
    """A file being parsed as it is read: papers come from :attr:`papers`.

    ``result`` gets the problems as they are met and the label once the
    papers are exhausted; ``digest`` is the SHA-256 of the whole file.
    """

    result: ParseResult
    papers: Iterator[ParsedPaper]
    digest: str


def stream_file(path: Path) -> Stream | None:
    """Parse *path* while reading it, for formats that allow it; None for the others.

    A 100,000-paper page is 140 MB: reading it whole, then decoding it, then
    parsing it held the bytes, the text and every record at once.  Here the
    start of the file is sniffed as :func:`parse` would (binary data, BOMs,
    format), one pass checks the encoding (UTF-8, else cp1252, else Latin-1,
    as :func:`decode_text` chooses) and hashes the bytes, and the papers are
    parsed from the lines as the caller consumes them.  Returns None for a
    format that needs the whole text (BibTeX) or a UTF-16 file: use
    :func:`parse_file` for those.  Raises :class:`InputError` or ``OSError``.
    """
    name = path.name
    size = check_readable(path)
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if sniff_binary(head):
        # Binary formats (PDF) are read whole: the same size limit as below.
        if size > MAX_WHOLE_FILE_BYTES:
            raise InputError(
                f"{path}: too large to import ({size / 2**20:,.0f} MB; "
                f"this format is read whole, up to {MAX_WHOLE_FILE_BYTES // 2**20} MB)"
            )
        return None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    text_head = decode_text(head, name)
    if not text_head.strip() and len(head) == _SNIFF_BYTES:
        return None  # a megabyte of blanks first: judge the whole file instead
    streamer = _STREAMERS.get(_detect_text(text_head, name))
    if streamer is None:
        if size > MAX_WHOLE_FILE_BYTES:
            raise InputError(
                f"{path}: too large to import ({size / 2**20:,.0f} MB; "
                f"this format is read whole, up to {MAX_WHOLE_FILE_BYTES // 2**20} MB)"
            )
        return None
    encoding, digest, spots = _encoding_and_digest(path)
    result = ParseResult(format=hfpage.FORMAT)

    def lines() -> Iterator[str]:
        # Universal newlines: \r\n and \r end lines as _split_lines() does.
        # Stray bytes in a UTF-8 file are read as cp1252 (and were reported).
        with path.open("r", encoding=encoding, errors=_FALLBACK, newline=None) as text:
            for line in text:
                yield line.rstrip("\n")

    def papers() -> Iterator[ParsedPaper]:
        yield from streamer(lines(), name, result)
        # A stream's problems are known at its end, like the parser's own.
        result.problems[:0] = spots

    return Stream(result, papers(), digest)


def _encoding_and_digest(path: Path) -> tuple[str, str, list[Problem]]:
    """The codec :func:`decode_text` would pick for *path*, its SHA-256 and stray bytes.

    One pass: the bytes are hashed and fed to a UTF-8 decoder (stray bytes
    counted, with their lines) and a cp1252 decoder; a NUL anywhere means
    binary data, as for :func:`decode_text`.  Returns the stray-byte
    problems when the file is UTF-8 with a few of them.
    """
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")(errors=_FALLBACK)
    cp1252: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("cp1252")()
    spots: list[int] = []
    problems: list[Problem] = []
    non_ascii = 0
    lines_before = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            if b"\x00" in chunk:
                raise InputError(f"{path.name}: not a text file (binary data)")
            digest.update(chunk)
            found = len(spots)
            token = _SPOTS.set(spots)
            try:
                text = utf8.decode(chunk)
            finally:
                _SPOTS.reset(token)
            non_ascii += len(text) - len(text.encode("ascii", errors="ignore"))
            if len(problems) <= _MAX_SPOTS_SHOWN and len(spots) > found:
                # Offsets are within this chunk (give or take bytes held over).
                new = [min(max(at, 0), len(chunk)) for at in spots[found:]]
                problems.extend(_spot_problems(chunk, new, lines_before))
            lines_before += chunk.count(b"\n")
            if cp1252 is not None:
                try:
                    cp1252.decode(chunk)
                except UnicodeDecodeError:
                    cp1252 = None
    if not spots or non_ascii - len(spots) >= len(spots):
        if len(spots) > _MAX_SPOTS_SHOWN:
            problems = problems[:_MAX_SPOTS_SHOWN]
            problems.append(Problem(f"{len(spots) - _MAX_SPOTS_SHOWN} more such bytes"))
        return "utf-8-sig", digest.hexdigest(), problems
    return ("cp1252" if cp1252 is not None else "latin-1"), digest.hexdigest(), []


# Only regular files are read (a device or FIFO could be endless or block
# forever), up to these sizes: a 100,000-paper page is 140 MB and is read as
# a stream; formats read whole (BibTeX) need several times their size in memory.
MAX_FILE_BYTES = 1 << 30
MAX_WHOLE_FILE_BYTES = 128 << 20


def check_readable(path: Path) -> int:
    """The size of *path* if it is a regular file within :data:`MAX_FILE_BYTES`.

    Raises :class:`InputError` naming the file otherwise, ``OSError`` when it
    cannot be looked at.
    """
    info = path.stat()
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: not a regular file (a device, pipe or socket); not imported")
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(
            f"{path}: too large to import ({info.st_size / 2**20:,.0f} MB; "
            f"the limit is {MAX_FILE_BYTES // 2**20:,} MB)"
        )
    return info.st_size


def parse_file(path: Path) -> ParseResult:
    """Read and parse the file at ``path``.

    Unreadable paths raise :class:`InputError` with a one-line message.
    """
    try:
        size = check_readable(path)
        if size > MAX_WHOLE_FILE_BYTES:
            raise InputError(f"{path}: too large to import ({size / 2**20:,.0f} MB)")
        with path.open("rb") as fh:
            data = fh.read(MAX_WHOLE_FILE_BYTES + 1)  # a file growing meanwhile stops here
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    result = parse(data, str(path))
    if result.format in ATTACHING_FORMATS:
        # The file is the paper: keep where it is, as an import does.
        for paper in result.papers:
            paper.pdf_path = paper.pdf_path or str(path.resolve())
    return result
