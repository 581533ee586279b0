"""Text analysis and the index schema: what a paper's text becomes in the index.

This module owns :class:`WordAnalyzer` (tokenising, lowercasing, stop words
and stemming in one pass, with cached words), :class:`PositionsFormat` (a
compact, C-speed posting value), the analyzers and the schema built from
them, the fields searched by default with their boosts and the names users
may type for them, :class:`IndexDoc` (what the index needs of one paper) and
:data:`INDEX_SCHEMA_VERSION`.

Both classes are pickled into every index's table of contents (with the
schema) under the name ``readinglist.search.<class>``: that name must keep
resolving, or existing indexes are moved aside and rebuilt.
"""

from __future__ import annotations

import itertools
import operator
import re
import struct
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from whoosh import columns, fields, formats
from whoosh.analysis import STOP_WORDS, Analyzer, IDTokenizer, LowercaseFilter, Token
from whoosh.lang.porter import stem as porter_stem

# Bump when the schema below changes: an index built with another version is rebuilt.
# 2: WordAnalyzer, compact positions, rev only a column, nothing stored,
#    citekey lowercased at query time too, pickle protocol 4 posting blocks.
INDEX_SCHEMA_VERSION = 2

# Whoosh's default token pattern keeps "*" inside words (for its own query
# syntax), which would index Markdown's "**bold**" as one odd token.
# (Same matches as r"\w+(?:\.?\w+)*", without the needless backtracking.)
_WORD = r"\w+(?:\.\w+)*"
# Distinct raw words (and whitespace-separated chunks) an analyzer remembers;
# past this a cache starts over, which bounds memory on odd input.
_CACHE_LIMIT = 100_000

_T = TypeVar("_T")


class _TermCache(dict[str, _T]):
    """``raw text -> normalised result``, computed on first sight.

    ``__missing__`` keeps a hit a C-level dict lookup: papers share a modest
    vocabulary, so nearly every word costs one lookup instead of lowercase,
    stop-list and stemmer calls.
    """

    def __init__(self, normalise: Callable[[str], _T]) -> None:
        super().__init__()
        self._normalise = normalise

    def __missing__(self, raw: str) -> _T:
        result = self._normalise(raw)
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[raw] = result
        return result


class WordAnalyzer(Analyzer):  # type: ignore[misc]  # Whoosh is untyped.
    """Words, lowercased, optionally without stop words and stemmed, in one pass.

    Token for token the same as Whoosh's ``RegexTokenizer(expression) |
    LowercaseFilter() [| StopFilter(stoplist, minsize) | StemFilter()]``:
    StopFilter's renumbering (the words after a dropped stop word move up, so
    a phrase typed with or without "of" still matches), the ``positions``,
    ``chars``, ``removestops``, ``mode``, ``tokenize`` and ``no_morph``
    options the query parser and highlighter pass, and ``stopped`` tokens
    when stop words are kept.  It is one loop over one regex instead of four
    chained generators, and each distinct raw word is normalised once.

    :meth:`term_positions` is the indexing fast path: no Token objects, and
    whole whitespace-separated chunks ("However,", "(LLMs)") looked up at
    once, since a word never spans whitespace.
    """

    # Pickled into indexes under the package's name (see readinglist/search/__init__.py).
    __module__ = "readinglist.search"

    def __init__(
        self,
        expression: str = _WORD,
        *,
        stoplist: Iterable[str] | None = None,
        minsize: int = 2,
        stem: bool = False,
    ) -> None:
        self.expression = expression
        # None: no stop filter at all (so no minimum word length either).
        self.stoplist = frozenset(stoplist) if stoplist is not None else None
        self.minsize = minsize
        self.stem = stem
        self._setup()

    def _setup(self) -> None:
        self._regex = re.compile(self.expression)
        self._terms: _TermCache[str | None] = _TermCache(self._normalise)
        self._bterms: _TermCache[bytes | None] = _TermCache(self._normalise_bytes)
        self._chunks: _TermCache[tuple[bytes, ...]] = _TermCache(self._chunk_terms)

    # The schema (so this analyzer) is pickled into the index's table of
    # contents: keep the configuration, not the compiled regex or the caches.
    def __getstate__(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "stoplist": self.stoplist,
            "minsize": self.minsize,
            "stem": self.stem,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordAnalyzer) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash((self.expression, self.stoplist, self.minsize, self.stem))

    def __repr__(self) -> str:
        return (
            f"WordAnalyzer({self.expression!r}, stops={self.stoplist is not None}, "
            f"minsize={self.minsize}, stem={self.stem})"
        )

    def has_morph(self) -> bool:
        return self.stem

    def _normalise(self, raw: str) -> str | None:
        """The term for the word *raw*, or None for a stop word."""
        low = raw.lower()
        if self.stoplist is not None and (len(low) < self.minsize or low in self.stoplist):
            return None
        return porter_stem(low) if self.stem else low

    def _normalise_bytes(self, raw: str) -> bytes | None:
        term = self._terms[raw]
        return None if term is None else term.encode("utf-8")

    def _chunk_terms(self, chunk: str) -> tuple[bytes, ...]:
        bterms = self._bterms
        return tuple(t for t in map(bterms.__getitem__, self._regex.findall(chunk)) if t)

    def chunk_terms(self, chunk: str) -> tuple[bytes, ...]:
        """The terms (UTF-8) of the words in *chunk*, a whitespace-free piece of text.

        Stop words are left out.  Cached: a text's chunks ("However,",
        "(LLMs)") repeat across papers far more than they vary.
        """
        return self._chunks[chunk]

    def first_position(self, chunks: Sequence[str]) -> int:
        """The position of the first indexed word of the text split into *chunks*.

        StopFilter's renumbering: the first kept word keeps its position
        (stop words before it count), and the words after it follow on
        without gaps, so the k-th indexed word is at ``first_position + k``.
        """
        if self.stoplist is None:
            return 0
        pos = 0
        for chunk in chunks:
            for word in self._regex.findall(chunk):
                if self._bterms[word] is not None:
                    return pos
                pos += 1
        return pos

    def term_positions(self, text: str) -> tuple[int, dict[bytes, list[int]]]:
        """Return the number of indexed words and ``{term: [positions]}`` for *text*.

        Exactly what ``__call__(text, positions=True)`` yields, grouped by
        term, with terms UTF-8 encoded as the index stores them.  Built from
        :meth:`chunk_terms` and :meth:`first_position`, as the bulk writer
        builds its postings.
        """
        chunks = text.split()
        terms = list(itertools.chain.from_iterable(map(self._chunks.__getitem__, chunks)))
        if not terms:
            return 0, {}
        out: dict[bytes, list[int]] = {}
        get = out.get
        for pos, term in enumerate(terms, self.first_position(chunks)):
            seen = get(term)
            if seen is None:
                out[term] = [pos]
            else:
                seen.append(pos)
        return len(terms), out

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        no_morph: bool = False,
        **kwargs: Any,
    ) -> Iterator[Any]:
        # One Token, reused for every word, as Whoosh's own tokenizers do.
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if tokenize:
            spans: Iterator[tuple[str, int, int]] = (
                (m.group(), m.start(), m.end()) for m in self._regex.finditer(value)
            )
        else:
            spans = iter([(value, 0, len(value))])
            keeporiginal = True
            # The parser hands over prefix and wildcard text untokenized: it is
            # what the user typed, matched against the words, so never stemmed
            # ("analy*" must not become "anali*").
            no_morph = no_morph or mode == "query"
        terms = self._terms
        has_stops = self.stoplist is not None
        renumbered: int | None = None
        for n, (raw, start, end) in enumerate(spans):
            term = terms[raw]
            stopped = term is None  # Only ever None for a stop word.
            if stopped and removestops:
                continue
            t.text = raw.lower() if stopped or no_morph else term
            t.stopped = stopped
            t.boost = 1.0
            if keeporiginal:
                t.original = raw
            if positions:
                pos = start_pos + n
                if has_stops and not stopped:
                    renumbered = pos if renumbered is None else renumbered + 1
                    pos = renumbered
                t.pos = pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


_BIG_ENDIAN = sys.byteorder == "big"
_FIRST_BYTE = operator.itemgetter(0)
# By count: the packer of a count byte and that many little-endian uint16s.
_PACK_POSITIONS = [struct.Struct(f"<B{n}H").pack for n in range(255)]


class PositionsFormat(formats.Positions):  # type: ignore[misc]  # Whoosh is untyped.
    """Whoosh's Positions format with a compact, C-speed posting value.

    A value is one byte of frequency then the positions as little-endian
    uint16 (or, past 254 occurrences or position 65535, a 255 byte and
    uint32s).  Whoosh's own value is a 4-byte count and a pickled list of
    deltas (about 16 bytes for one position) that takes a Python loop to
    build and a pickle load to read; this one is 3 bytes for one position,
    made and read by ``array``, and its frequency (the posting's weight) is
    just the first byte.
    """

    # Pickled into indexes under the package's name (see readinglist/search/__init__.py).
    __module__ = "readinglist.search"

    def encode(self, poslist: Sequence[int]) -> bytes:
        count = len(poslist)
        if count < 255 and poslist[-1] < 65536:
            return _PACK_POSITIONS[count](count, *poslist)
        packed = array("I", poslist)
        if _BIG_ENDIAN:
            packed.byteswap()
        return b"\xff" + packed.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        packed = array("H" if valuestring[0] != 255 else "I", valuestring[1:])
        if _BIG_ENDIAN:
            packed.byteswap()
        return packed.tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        count = valuestring[0]
        return count if count != 255 else (len(valuestring) - 1) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * float(self.field_boost)

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(pos, 1.0) for pos in self.decode_positions(valuestring)]

    def combine(self, vs: Iterable[bytes]) -> bytes:
        merged: set[int] = set()
        for v in vs:
            merged.update(self.decode_positions(v))
        return self.encode(sorted(merged))

    def weights(self, values: Sequence[bytes]) -> array[float]:
        """The weights (frequencies) of postings with *values*, in bulk."""
        weights = array("f", list(map(_FIRST_BYTE, values)))
        if 255.0 in weights:  # Rare: count the long ones properly.
            weights = array("f", map(self.decode_weight, values))
        elif self.field_boost != 1.0:
            weights = array("f", (w * self.field_boost for w in weights))
        return weights


_TEXT_ANALYZER = WordAnalyzer(_WORD, stoplist=STOP_WORDS, minsize=2, stem=True)
_NAME_ANALYZER = WordAnalyzer(_WORD)
_ID_ANALYZER = IDTokenizer() | LowercaseFilter()


def _lower_utf8(value: str) -> bytes:
    """The term _ID_ANALYZER makes of *value*."""
    return value.lower().encode("utf-8")


# Fields searched when the query names none, with their weights.
DEFAULT_FIELDS = ("title", "abstract", "authors", "tags", "note", "links", "citekey")
FIELD_BOOSTS = {"title": 3.0, "authors": 2.0, "tags": 2.0, "citekey": 2.0}
# Friendly names users type, mapped to the schema's fields.
FIELD_ALIASES = {
    "tags": ["tag"],
    "authors": ["author", "by"],
    "links": ["link", "url"],
    "note": ["notes", "annotation"],
    "citekey": ["key"],
}


def _text(analyzer: WordAnalyzer) -> fields.TEXT:
    fieldtype = fields.TEXT(analyzer=analyzer, phrase=True)
    fieldtype.format = PositionsFormat()
    return fieldtype


def _schema() -> fields.Schema:
    # Nothing is stored: ids and revisions are read from columns, and every
    # stored field costs a pickle per document.
    return fields.Schema(
        # One term per id (no numeric range tiers): only ever looked up exactly.
        pid=fields.NUMERIC(int, bits=64, unique=True, sortable=True, shift_step=0),
        # Only read back through its column, never searched.
        rev=fields.COLUMN(columns.NumericColumn("q")),
        title=_text(_TEXT_ANALYZER),
        abstract=_text(_TEXT_ANALYZER),
        authors=_text(_NAME_ANALYZER),
        tags=fields.KEYWORD(lowercase=True, commas=True, scorable=True),
        note=_text(_TEXT_ANALYZER),
        links=_text(_NAME_ANALYZER),
        # Lowercased on both sides, so "key:Smith2020" finds "smith2020".
        citekey=fields.ID(analyzer=_ID_ANALYZER),
    )


@dataclass(frozen=True)
class IndexDoc:
    """What the index needs of one paper."""

    id: int
    revision: int
    title: str
    abstract: str = ""
    authors: Sequence[str] = ()
    tags: Sequence[str] = ()
    note: str = ""
    links: Sequence[str] = ()
    citekey: str = ""
