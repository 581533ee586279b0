"""Importer registry: detect an input's format and hand it to its importer.

Every importer is a pure function from text to a :class:`ParseResult` (papers
plus problems); nothing here touches the library.  The contract for callers:
any bytes in give either a ``ParseResult`` or an :class:`InputError` with a
one-line message naming the file, never another exception.

Formats are sniffed from the content first (a saved page or a ``.bib`` file
renamed to ``.txt`` still imports right) and from the file extension second.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

from readinglist.importers import bibtex, hfpage
from readinglist.records import InputError, ParsedPaper, ParseResult

__all__ = [
    "FORMATS",
    "InputError",
    "Stream",
    "decode_text",
    "detect",
    "parse",
    "parse_file",
    "parse_text",
    "stream_file",
]

# (label, file-dialog patterns) for open dialogs, in the order offered.
FORMATS: list[tuple[str, list[str]]] = [
    ("Trending-papers page", ["*.txt", "*.md"]),
    ("BibTeX", ["*.bib"]),
]

_PARSERS: dict[str, Callable[[str, str], ParseResult]] = {
    hfpage.FORMAT: hfpage.parse,
    bibtex.FORMAT: bibtex.parse,
}
_EXTENSIONS = {
    ".txt": hfpage.FORMAT,
    ".md": hfpage.FORMAT,
    ".text": hfpage.FORMAT,
    ".bib": bibtex.FORMAT,
    ".bibtex": bibtex.FORMAT,
}

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


def decode_text(data: bytes, name: str) -> str:
    """Decode file bytes to text, or raise :class:`InputError` for binary data.

    UTF-8 (with or without BOM) first; bytes that are not UTF-8 are read as
    cp1252, the legacy Windows 8-bit encoding such files almost always are
    (its five unassigned bytes fall back to Latin-1 so decoding never fails).
    A UTF-16 file is recognised by its BOM (Windows Notepad writes those).
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
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _detect_text(text: str, name: str) -> str:
    if not text or text.isspace():  # not strip(): no copy of a huge file
        raise InputError(f"{name}: the file is empty")
    # BibTeX first: "@type{key," at a line start is unmistakable, while the
    # page test also accepts any title-then-long-paragraph text.
    if bibtex.looks_like(text):
        return bibtex.FORMAT
    if hfpage.looks_like(text):
        return hfpage.FORMAT
    fmt = _EXTENSIONS.get(PurePath(name).suffix.lower())
    if fmt is not None:
        return fmt
    raise InputError(
        f"{name}: unrecognised format (expected a saved trending-papers page or a BibTeX file)"
    )


def detect(data: bytes, name: str) -> str:
    """Return the format name of ``data`` ("hf-page" or "bibtex").

    ``name`` is the file name, used for the extension fallback and messages.
    Raises :class:`InputError` for empty, binary or unrecognised input.
    """
    return _detect_text(decode_text(data, name), name)


def parse(data: bytes, name: str) -> ParseResult:
    """Detect the format of ``data`` and parse it with the matching importer."""
    return parse_text(decode_text(data, name), name)


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
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    text_head = decode_text(head, name)
    if not text_head.strip() and len(head) == _SNIFF_BYTES:
        return None  # a megabyte of blanks first: judge the whole file instead
    streamer = _STREAMERS.get(_detect_text(text_head, name))
    if streamer is None:
        return None
    encoding, digest = _encoding_and_digest(path)
    result = ParseResult(format=hfpage.FORMAT)

    def lines() -> Iterator[str]:
        # Universal newlines: \r\n and \r end lines as _split_lines() does.
        with path.open("r", encoding=encoding, newline=None) as text:
            for line in text:
                yield line.rstrip("\n")

    return Stream(result, streamer(lines(), name, result), digest)


def _encoding_and_digest(path: Path) -> tuple[str, str]:
    """The codec :func:`decode_text` would pick for *path*, and the file's SHA-256.

    One pass: the bytes are hashed and fed to a UTF-8 and a cp1252 decoder
    until each fails; a NUL anywhere means binary data, as for
    :func:`decode_text`.
    """
    digest = hashlib.sha256()
    decoders = {
        encoding: codecs.getincrementaldecoder(encoding)() for encoding in ("utf-8-sig", "cp1252")
    }
    with path.open("rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            if b"\x00" in chunk:
                raise InputError(f"{path.name}: not a text file (binary data)")
            digest.update(chunk)
            for encoding, decoder in list(decoders.items()):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    del decoders[encoding]
    for encoding, decoder in decoders.items():
        try:
            decoder.decode(b"", final=True)
            return encoding, digest.hexdigest()
        except UnicodeDecodeError:
            continue
    return "latin-1", digest.hexdigest()


def parse_file(path: Path) -> ParseResult:
    """Read and parse the file at ``path``.

    Unreadable paths raise :class:`InputError` with a one-line message.
    """
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return parse(data, str(path))
