"""Citation keys: the Better BibTeX default scheme, made unique case-insensitively.

A key is generated once when a paper enters the library and stored, so it never
changes under the user's LaTeX documents; users may edit it, which is why
:func:`is_valid_citekey` exists.  The scheme is Better BibTeX's default
(``auth.lower + shorttitle(3,3) + year``)::

    make_citekey(["Ashish Vaswani"], "Attention Is All You Need", 2017, set())
    == "vaswaniAttentionAllYou2017"

Generated keys contain only ASCII letters and digits (plus ``a``/``b``/...
suffixes).  A key from elsewhere (an imported ``.bib``, the user) is accepted
only if it is **safe** (:func:`is_valid_citekey`): ASCII letters, digits and
``- _ : . / +`` and nothing else.  A key ends up in ``\\cite{...}``,
``\\bibitem{...}`` and the ``.aux``/``.bbl`` files, where TeX reads ``\\`` as
a command, ``^^5c`` as a backslash (so ``^`` alone is enough to smuggle one
in), ``%`` as a comment, ``#`` as a macro parameter, ``~`` as an active
character and braces as groups; BibTeX ends a key at a comma, a space or a
brace, and biber also refuses ``" # ' ( ) = %``.  Rather than list what to
refuse, the rule lists what is harmless to all of them (the characters users
of BibTeX, biber, natbib, hyperref and pandoc are told to stick to).  It
also keeps out non-ASCII letters (active characters in pdfLaTeX) and most
babel shorthands (``"``, ``~``, ``!``, ``?``, ``;``); ``:`` is kept because
DBLP keys need it, although babel-french makes it an active character.

:func:`safe_citekey` reduces any key to that alphabet (the importer uses it
for unsafe keys and reports the change); :func:`legacy_citekey` is the
exporter's stable stand-in for an unsafe key already stored in a library.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

from .people import Person, parse_name

__all__ = [
    "KEY_PUNCTUATION",
    "KEY_RULE",
    "STOPWORDS",
    "base_citekey",
    "family_name",
    "fold_ascii",
    "is_valid_citekey",
    "legacy_citekey",
    "make_citekey",
    "make_unique",
    "safe_citekey",
]

# The only characters besides ASCII letters and digits a key may hold: those
# DBLP (``DBLP:conf/nips/X17``), ADS (``2020ApJ...900..100S``), Google Scholar
# and Better BibTeX keys use, none of which TeX, BibTeX or biber treat
# specially inside a key.
KEY_PUNCTUATION = "-_:./+"
# The rule in words, for messages shown to users.
KEY_RULE = "ASCII letters, digits and - _ : . / + only"

# Title words Better BibTeX skips for ``shorttitle``: articles, conjunctions and
# short prepositions in English plus the common ones of the main European
# languages, so "On the Robustness of ..." yields "Robustness".
# (A word list in a string reads better than 130 one-word lines.)
STOPWORDS = frozenset(
    """
    a ab aboard about above across after against al along amid among an and anti
    are around as at be before behind below beneath beside besides between beyond
    but by d da das de dei del della delle dello dem den der des despite di die do
    down du during ein eine einem einen einer eines el en et except for from gli i
    il in inside into is l la las le les like lo los near nor of off on onto or
    over past per plus round save since so some sur than the through to toward
    towards un una unas under underneath une unlike uno unos until up upon versus
    via von vs while with within without yet zu zum zur
    """.split()  # noqa: SIM905
)

# Letters that NFKD does not decompose into an ASCII base letter.
_ASCII_FOLD = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
        "ħ": "h",
        "Ħ": "H",
        "ŀ": "l",
        "Ŀ": "L",
    }
)

# A regex because the exporter checks every key it writes.  ``\Z``, not
# ``$``: ``$`` also matches before a final newline.
_VALID_KEY = re.compile(r"[A-Za-z0-9\-_:./+]+\Z")
_NOT_SAFE_KEY_CHAR = re.compile(r"[^A-Za-z0-9\-_:./+]+")
_NOT_KEY_CHAR = re.compile(r"[^A-Za-z0-9]+")
_FALLBACK_KEY = "paper"


def fold_ascii(text: str) -> str:
    """Return *text* folded to ASCII: ``Ü`` -> ``U``, ``ß`` -> ``ss``; the rest dropped."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    # After NFKD the accents are separate combining marks; encoding to ASCII
    # drops them together with scripts that have no ASCII form (CJK, Greek...).
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _clean(text: str) -> str:
    """Fold *text* to ASCII and keep only letters and digits."""
    return _NOT_KEY_CHAR.sub("", fold_ascii(text))


@lru_cache(maxsize=4096)
def family_name(name: str) -> str:
    """Return the family name (without particles such as "van") of a display name.

    Accepts "Ashish Vaswani", "Vaswani, Ashish", "Ludwig van Beethoven" (->
    "Beethoven"), "Jean-Pierre de la Fontaine" (-> "Fontaine") and "Martin
    Luther King Jr." (-> "King"), through :func:`readinglist.people.parse_name`.
    """
    return parse_name(name).family.replace("{", "").replace("}", "").strip()


def _family(author: str | Person) -> str:
    if isinstance(author, Person):
        return author.family.replace("{", "").replace("}", "").strip()
    return family_name(author)


def _title_words(title: str, count: int = 3) -> list[str]:
    """Return the first *count* significant words of *title*, capitalised."""
    words: list[str] = []
    for raw in title.split():
        word = _clean(raw)
        if not word or word.lower() in STOPWORDS:
            continue
        # Only the first letter is changed, as Better BibTeX does: "YOLOv6"
        # stays "YOLOv6" and "large" becomes "Large".
        words.append(word[0].upper() + word[1:])
        if len(words) == count:
            break
    return words


def _suffixes() -> Iterator[str]:
    """Yield a, b, ..., z, aa, ab, ..., zz, aaa, ... (bijective base 26)."""
    n = 1
    while True:
        digits: list[str] = []
        k = n
        while k:
            k, r = divmod(k - 1, 26)
            digits.append(chr(ord("a") + r))
        yield "".join(reversed(digits))
        n += 1


def base_citekey(authors: Sequence[str | Person], title: str, year: int | None) -> str:
    """Return the key for a paper before uniqueness suffixes are added.

    *authors* are people (the stored form) or display names.
    """
    author = ""
    for name in authors:
        family = _family(name)
        if family:
            author = _clean(family).lower()
            break
    year_part = _clean(str(year)) if year is not None else ""
    key = author + "".join(_title_words(title)) + year_part
    return key or _FALLBACK_KEY


def make_unique(key: str, taken: set[str]) -> str:
    """Return *key*, or *key* + ``a``, ``b``, ..., ``aa``, ... if it is in *taken*.

    *taken* holds the keys already in use, in lower case; BibTeX treats
    ``Smith2020`` and ``smith2020`` as the same entry, so uniqueness is
    case-insensitive.  *taken* is not modified: the caller records the key
    it keeps.
    """
    if key.lower() not in taken:
        return key
    for suffix in _suffixes():
        candidate = key + suffix
        if candidate.lower() not in taken:
            return candidate
    raise AssertionError("unreachable: the suffix generator is infinite")  # pragma: no cover


def make_citekey(
    authors: Sequence[str | Person], title: str, year: int | None, taken: set[str]
) -> str:
    """Return a new citation key for a paper, unique against *taken*.

    *taken* holds the keys already in use, in lower case (see
    :func:`make_unique`); on a clash ``a``, ``b``, ..., ``z``, ``aa``, ...
    is appended.  *taken* is not modified.
    """
    return make_unique(base_citekey(authors, title, year), taken)


def is_valid_citekey(key: str) -> bool:
    """Return whether a key (imported, user-edited or stored) is safe to write.

    It must be non-empty and hold only ASCII letters, digits and
    ``- _ : . / +`` (see the module docstring for why).
    """
    return _VALID_KEY.match(key) is not None


def safe_citekey(key: str) -> str:
    """Return *key* reduced to the safe alphabet ('' if nothing is left).

    Letters are folded to ASCII (``Müller`` -> ``Muller``) and every other
    character outside ``A-Z a-z 0-9 - _ : . / +`` is dropped, as Better
    BibTeX drops what a key cannot hold: ``smith^^5cinput`` -> ``smith5cinput``,
    ``Smith & Jones 2020`` -> ``SmithJones2020``.  A safe key is returned
    unchanged.  Uniqueness is the caller's business (:func:`make_unique`).
    """
    if is_valid_citekey(key):
        return key
    return _NOT_SAFE_KEY_CHAR.sub("", fold_ascii(key))


# Hex digits of the hash that :func:`legacy_citekey` appends: 16 million
# values make a clash with another key of the same library improbable.
_LEGACY_HASH_DIGITS = 6


def legacy_citekey(key: str) -> str:
    """Return the safe key the exporter writes for an unsafe stored *key*.

    A key stored before keys had to be safe (or in a library written by
    something else) may hold characters TeX executes.  The exporter writes
    ``safe_citekey(key)`` followed by ``-`` and the first hex digits of the
    key's SHA-256 (``smith^2020`` -> ``smith2020-4887cb``), or ``key-`` and the
    digits when nothing safe is left.  It depends on the stored key alone, so
    every export, of any selection and in any order, writes the same key, and
    a document citing it keeps working; the hash keeps it from taking the
    plain key of another paper (``smith2020``), which a bare
    ``safe_citekey`` could.  A safe *key* is returned unchanged.
    """
    if is_valid_citekey(key):
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{safe_citekey(key) or 'key'}-{digest[:_LEGACY_HASH_DIGITS]}"
