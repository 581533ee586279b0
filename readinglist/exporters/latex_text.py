"""Plain Unicode text as BibTeX-safe LaTeX: :func:`encode_text` and its helpers.

Stored text is plain Unicode, never LaTeX: every brace, backslash, ``%``,
``&``... in it is literal and is escaped here, exactly once.  Non-ASCII
letters become LaTeX accents in braces (``Ü`` -> ``{\\"U}``) via pylatexenc,
control characters are dropped and whitespace is made plain (see
``docs/bibtex.md``).  This module owns that encoding, the cleaning before it
(:func:`_clean`, :func:`_clean_ascii`), the escaping (:func:`_escape`) that
:mod:`.title_case` reuses, and the cache of pylatexenc conversions.

It is fast: ASCII text is escaped with a few C-level scans and replaces, and
each non-ASCII character is converted by pylatexenc once and cached, because
pylatexenc's encoder is slow per character.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from pylatexenc import latex2text
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexencode import UnicodeToLatexEncoder

# ASCII characters that LaTeX or BibTeX would read as markup.  BibTeX counts
# braces even after a backslash, so a lone brace cannot be written as ``\{``.
_SPECIALS: dict[str, str] = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# Backslash and braces occur in the other replacements, so they are first
# swapped for control characters (removed from the text beforehand) and only
# turned into their macros at the end: nothing is ever escaped twice.
_PLACEHOLDERS = (("\\", "\x00"), ("{", "\x01"), ("}", "\x02"))
_OTHER_SPECIALS = tuple((c, r) for c, r in _SPECIALS.items() if c not in "\\{}")
_FROM_PLACEHOLDERS = tuple((p, _SPECIALS[c]) for c, p in _PLACEHOLDERS)

# Printable ASCII that needs no escaping.
_ORDINARY_ASCII = bytes(c for c in range(0x20, 0x7F) if chr(c) not in _SPECIALS)
# Control characters that are whitespace but not line breaks.
_SPACE_CONTROLS = {ord("\t"): " ", ord("\x1f"): " "}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")

# A non-ASCII replacement must never reintroduce a character LaTeX treats as
# markup (``~`` is allowed: it is pylatexenc's no-break space).
_UNSAFE_IN_REPLACEMENT = frozenset("%&$#_^")
_PYLATEXENC_LOGGERS = ("pylatexenc.latex2text", "pylatexenc.latexwalker", "pylatexenc.macrospec")


def _balanced(latex: str) -> bool:
    """Return whether the braces in *latex* nest properly."""
    depth = 0
    for c in latex:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _validating_decoder() -> LatexNodes2Text:
    """Return a LaTeX -> text converter that reads the macros as LaTeX prints them.

    pylatexenc decodes ``\\textasciicircum`` as "ˆ" (and encodes "ˆ" so),
    but LaTeX prints "^"; the brace macros it does not know at all.
    """
    db = latex2text.get_default_latex_context_db()
    db.add_context_category(
        "readinglist-ascii",
        prepend=True,
        macros=[
            latex2text.MacroTextSpec("textasciicircum", "^"),
            latex2text.MacroTextSpec("textbraceleft", "{"),
            latex2text.MacroTextSpec("textbraceright", "}"),
        ],
    )
    return LatexNodes2Text(latex_context=db)


def _quietly_decode(decoder: LatexNodes2Text, latex: str) -> str:
    """Decode *latex*, keeping pylatexenc's complaints about its own tables off the log.

    Some of its replacements (e.g. ``\\textfrac`` for "⅓") make its decoder
    log a configuration warning; such replacements are rejected anyway.
    """
    loggers = [logging.getLogger(name) for name in _PYLATEXENC_LOGGERS]
    was_disabled = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        text: str = decoder.latex_to_text(latex)
    finally:
        for logger, disabled in zip(loggers, was_disabled, strict=True):
            logger.disabled = disabled
    return text


class _NonAsciiCache(dict[str, str]):
    """Non-ASCII character -> LaTeX, filled lazily (pylatexenc is slow per call)."""

    def __init__(self) -> None:
        super().__init__()
        self._encoder: UnicodeToLatexEncoder | None = None
        self._decoder: LatexNodes2Text | None = None

    def __missing__(self, ch: str) -> str:
        value = self._convert(ch)
        self[ch] = value
        return value

    def _convert(self, ch: str) -> str:
        if unicodedata.category(ch) == "Cs":
            # A lone surrogate cannot even be written as UTF-8.
            return "\ufffd"
        if self._encoder is None:
            self._encoder = UnicodeToLatexEncoder(
                non_ascii_only=True,
                # {\"U} rather than \"U: BibTeX treats a braced group starting
                # with a backslash as one "special character" (right case
                # changes, right sorting and label letters).
                replacement_latex_protection="braces-all",
                # Characters without a LaTeX name (CJK, emoji...) stay as UTF-8,
                # which any modern LaTeX reads; dropping them would lose text.
                unknown_char_policy="keep",
                unknown_char_warning=False,
            )
            self._decoder = _validating_decoder()
        assert self._decoder is not None
        latex: str = self._encoder.unicode_to_latex(ch)
        if latex == ch:
            return ch
        # pylatexenc's table has a few entries that do not mean the character
        # (e.g. "ŉ" -> "\nument{149}", "·" decodes as "˙").  Use a replacement
        # only if it decodes back to the same character; keep UTF-8 otherwise.
        if (
            not _balanced(latex)
            or any(c in _UNSAFE_IN_REPLACEMENT for c in latex)
            or _quietly_decode(self._decoder, latex) != ch
        ):
            return ch
        return latex


_NON_ASCII_LATEX = _NonAsciiCache()


def _replace_non_ascii(match: re.Match[str]) -> str:
    return _NON_ASCII_LATEX[match.group()]


def _escape(text: str, present: str | None = None) -> str:
    """Escape specials and non-ASCII in *text*, already free of control characters.

    *present*, when given, holds (at least) the specials that occur in an
    ASCII *text*.  Written for speed: for ASCII text this is a few C-level
    scans and a replace per special actually present, no regex and no
    per-character Python code.
    """
    ascii_only = text.isascii()
    if present is None or not ascii_only:
        present = text
    placeholders = False
    for char, placeholder in _PLACEHOLDERS:
        if char in present:
            text = text.replace(char, placeholder)
            placeholders = True
    for char, latex in _OTHER_SPECIALS:
        if char in present:
            text = text.replace(char, latex)
    if not ascii_only:
        text = _NON_ASCII.sub(_replace_non_ascii, text)
    if placeholders:
        for placeholder, latex in _FROM_PLACEHOLDERS:
            text = text.replace(placeholder, latex)
    return text


def _clean_ascii(text: str, collapse_space: bool) -> tuple[str, str]:
    """Clean ASCII *text* like :func:`_clean`; also return the specials it holds.

    Deleting every ordinary character with ``bytes.translate`` leaves exactly
    the controls and specials, in one C-level pass; that is much faster than
    ``str.isprintable()`` (a Unicode database lookup per character) or a regex.
    """
    odd = text.encode("ascii").translate(None, _ORDINARY_ASCII).decode("ascii")
    if odd and not odd.isprintable():
        # Line breaks, tabs or other controls.
        if collapse_space:
            text = " ".join(text.split())
        # NUL, ESC, DEL... are never meant as text.
        text = _CONTROL.sub("", text)
    elif collapse_space and (text[:1] == " " or text[-1:] == " "):
        text = text.strip(" ")
    return text, odd


def _clean(text: str, *, collapse_space: bool = True) -> str:
    """Return *text* with whitespace made plain spaces, controls dropped, accents composed.

    With *collapse_space*, a text holding line breaks, tabs or Unicode spaces
    has every whitespace run collapsed to one space; a text with nothing but
    plain spaces keeps any double spaces (BibTeX and LaTeX read a run of
    spaces as one, and looking for them would cost as much as all the rest).
    The ends are stripped.
    """
    if text.isascii():
        return _clean_ascii(text, collapse_space)[0]
    # Python counts every whitespace character but the space as unprintable.
    if not text.isprintable():
        if collapse_space:
            text = " ".join(text.split())
        text = _CONTROL.sub("", text)
    elif collapse_space:
        text = text.strip(" ")
    # "e" + combining acute is one letter to a reader and to LaTeX: NFC turns
    # it into "é", which has an accent macro.
    return unicodedata.normalize("NFC", text)


def _encode(text: str, collapse_space: bool = True) -> str:
    """Clean and escape one piece of text (see :func:`encode_text`)."""
    if text.isascii():
        text, odd = _clean_ascii(text, collapse_space)
        return _escape(text, odd) if odd else text
    return _escape(_clean(text, collapse_space=collapse_space))


def encode_text(text: str, *, multiline: bool = False) -> str:
    """Return plain Unicode *text* as a BibTeX/LaTeX field value (without outer braces).

    Every LaTeX special is escaped (``&`` -> ``\\&``, ``~`` ->
    ``\\textasciitilde{}``, ``{`` -> ``\\textbraceleft{}``...), non-ASCII
    letters become accent macros in braces (NFC first), control characters
    are dropped, and the braces of the result always balance.  Line breaks,
    tabs and other whitespace become single spaces (see :func:`_clean`); with
    *multiline* (for notes) line breaks and indentation are kept and only
    trailing spaces and surplus blank lines go.
    """
    if not text:
        return text
    if not multiline:
        return _encode(text)
    # At most one blank line in a row, none at either end.
    kept: list[str] = []
    for line in text.splitlines():
        # Tabs (and the unit separator) are whitespace, not controls to drop.
        line = line.translate(_SPACE_CONTROLS).rstrip()
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(_encode(line, collapse_space=False) for line in kept)
