"""The full-text index: everything Whoosh lives behind :class:`SearchIndex`.

The rest of the program sees plain ids, revisions and highlight spans, never a
Whoosh object, so another engine could be swapped in.  The index is derived
from the database: it can always be dropped and rebuilt from it.

Searching is plain Whoosh.  Writing is not: Whoosh's own writer spends a
chain of Python calls on every token and every posting, which made indexing
the slowest part of an import by far.  :class:`WordAnalyzer` tokenises in one
pass with cached words, :class:`PositionsFormat` stores positions compactly,
and :class:`_BulkWriter` builds each segment's posting lists directly; what
lands on disk is an ordinary Whoosh segment (tests/test_search.py compares it
posting by posting with what Whoosh itself writes).
"""

from __future__ import annotations

import functools
import gc
import itertools
import json
import operator
import re
import shutil
import struct
import sys
import threading
import time
import warnings
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from pickle import dumps
from typing import Any, TypeAlias, TypeVar

from whoosh import collectors, columns, fields, formats, index, qparser
from whoosh import query as wq
from whoosh.analysis import STOP_WORDS, Analyzer, IDTokenizer, LowercaseFilter, Token
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
)
from whoosh.lang.porter import stem as porter_stem
from whoosh.reading import TermNotFound
from whoosh.system import pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

# Bump when the schema below changes: an index built with another version is rebuilt.
# 2: WordAnalyzer, compact positions, rev only a column, nothing stored,
#    citekey lowercased at query time too, pickle protocol 4 posting blocks.
INDEX_SCHEMA_VERSION = 2
STAMP_FILE = "readinglist-stamp.json"

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

    def _first_kept(self, chunks: list[str]) -> int:
        """Position of the first word that is not a stop word (counting stop words)."""
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
        term, with terms UTF-8 encoded as the index stores them.
        """
        chunks = text.split()
        terms = list(itertools.chain.from_iterable(map(self._chunks.__getitem__, chunks)))
        if not terms:
            return 0, {}
        # StopFilter's renumbering: the first kept word keeps its position,
        # the rest follow on without gaps.
        start = self._first_kept(chunks) if self.stoplist is not None else 0
        out: dict[bytes, list[int]] = {}
        get = out.get
        for pos, term in enumerate(terms, start):
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


class _SinglePositions(dict[int, bytes]):
    """``position -> PositionsFormat value`` for a word seen once, made on first use."""

    def __missing__(self, pos: int) -> bytes:
        value = self[pos] = _POSITIONS.encode((pos,))
        return value


# A term's postings while a segment is built: doc numbers, values and, for
# formats whose values do not carry it, weights.
_Postings: TypeAlias = "tuple[array[int], list[bytes], array[float] | None]"


class _BulkWriter(SegmentWriter):  # type: ignore[misc]  # Whoosh is untyped.
    """A Whoosh segment writer that builds the posting lists itself.

    Whoosh's ``add_document`` pushes every posting through a generic pool (a
    tuple each, sorted at commit), and at commit its codec looks each
    posting's document length up again, one Python call chain per posting.
    Here postings go straight into per-term arrays (documents arrive in
    order, so they are already sorted), lengths are known from the analysis,
    and at commit each term goes to the postings writer whole.  The segment
    is an ordinary Whoosh segment: searching, merging and deleting are
    Whoosh's own (tests/test_search.py checks the postings against Whoosh's
    writer).

    Fields analysed by a :class:`WordAnalyzer` into a :class:`PositionsFormat`
    take the fast path; any other field goes through its own ``index()``.
    """

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        # Our codec: its postings writer takes whole terms and inlines rare ones.
        super().__init__(ix, codec=_codec(), **kwargs)
        self._postings: dict[str, dict[bytes, _Postings]] = {}
        # Per field, each document's length (words indexed), by doc number.
        self._lengths: dict[str, array[int]] = {}
        # The encoded value of a word seen once, by position: most postings.
        self._single = _SinglePositions()
        # Per field, in name order: how to add its postings, where its
        # lengths go, its column and whether it is stored.
        self._plan: list[tuple[str, Any, Callable[[Any, int], int] | None, Any, Any, bool]] = []
        for name in sorted(self.schema.names()):
            fobj = self.schema[name]
            adder = lengths = None
            if fobj.indexed:
                self._postings[name] = {}
                lengths = self._lengths[name] = array("I")
                adder = self._adder(name, fobj)
            self._plan.append((name, fobj, adder, lengths, fobj.column_type, fobj.stored))

    def _adder(self, name: str, fobj: Any) -> Callable[[Any, int], int]:
        """The function adding a value's postings for a document; it returns the length."""
        postings = self._postings[name]
        fmt = fobj.format
        if type(fmt) is PositionsFormat and isinstance(fobj.analyzer, WordAnalyzer):
            return functools.partial(self._add_positions, postings, fobj.analyzer)
        if type(fmt) is formats.Existence and fmt.field_boost == 1.0:
            # One term, weight 1, no value: ids and cite keys.
            if type(fobj) is fields.NUMERIC and not fobj.shift_step:
                return functools.partial(self._add_term, postings, fobj.to_bytes)
            if type(fobj) is fields.ID and fobj.analyzer == _ID_ANALYZER:
                return functools.partial(self._add_term, postings, _lower_utf8)
        return functools.partial(self._add_generic, postings, fobj)

    def add_fields(self, values: dict[str, Any]) -> None:
        """Add one document; *values* maps field names to values (None: absent).

        If a value cannot be indexed, the error is raised with nothing of the
        document kept, and the writer can go on.
        """
        self._check_state()
        docnum = self.docnum
        # Postings first: they can be taken back.  Whoosh's per-document
        # writer cannot (cancel_doc() leaves column values behind), so it is
        # only given values that are ready.
        perdoc = []
        try:
            for name, fobj, adder, lengths, column, stored in self._plan:
                value = values.get(name)
                length = 0
                if adder is not None:
                    if value is not None and value != "":
                        length = adder(value, docnum)
                    # Looked up by doc number when the blocks are written.
                    lengths.append(length)
                if value is None:
                    continue
                if length or stored or column:
                    colvalue = fobj.to_column_value(value) if column else None
                    perdoc.append((name, fobj, value if stored else None, length, column, colvalue))
        except BaseException:
            self._forget(docnum)
            raise
        pdw = self.perdocwriter
        try:
            pdw.start_doc(docnum)
            for name, fobj, stored_value, length, column, colvalue in perdoc:
                if length or stored_value is not None:
                    pdw.add_field(name, fobj, stored_value, length)
                if column:
                    pdw.add_column_value(name, column, colvalue)
            pdw.finish_doc()
        except BaseException:
            self.cancel()  # Half a document in the columns: this segment is lost.
            raise
        self._added = True
        self.docnum += 1

    def _forget(self, docnum: int) -> None:
        """Take back what a failed add_fields() added for *docnum* (the last document)."""
        for lengths in self._lengths.values():
            del lengths[docnum:]
        for postings in self._postings.values():
            for term, (ids, values, weights) in list(postings.items()):
                if ids and ids[-1] == docnum:
                    ids.pop()
                    if len(values) > len(ids):
                        values.pop()
                    if weights is not None:
                        weights.pop()
                    if not ids:
                        del postings[term]

    def _add_term(
        self,
        postings: dict[bytes, _Postings],
        term_of: Callable[[Any], bytes],
        value: Any,
        docnum: int,
    ) -> int:
        term = term_of(value)
        try:
            entry = postings[term]
        except KeyError:
            postings[term] = (array("I", (docnum,)), [], array("f", (1.0,)))
        else:
            entry[0].append(docnum)
            entry[2].append(1.0)  # type: ignore[union-attr]  # Existence: has weights.
        return 0

    def _add_positions(
        self, postings: dict[bytes, _Postings], analyzer: WordAnalyzer, text: str, docnum: int
    ) -> int:
        length, term_positions = analyzer.term_positions(text)
        single = self._single
        encode = _POSITIONS.encode
        # The hottest loop of indexing: subscripts and try rather than .get().
        for term, positions in term_positions.items():
            value = single[positions[0]] if len(positions) == 1 else encode(positions)
            try:
                entry = postings[term]
            except KeyError:
                postings[term] = (array("I", (docnum,)), [value], None)
            else:
                entry[0].append(docnum)
                entry[1].append(value)
        return length

    def _add_generic(
        self, postings: dict[bytes, _Postings], fobj: Any, value: Any, docnum: int
    ) -> int:
        keep_values = fobj.format.fixed_value_size() != 0
        length = 0
        for term, freq, weight, vbytes in fobj.index(value):
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = (array("I"), [], array("f"))
            entry[0].append(docnum)
            if keep_values:
                entry[1].append(vbytes or b"")
            entry[2].append(weight)  # type: ignore[union-attr]  # Generic: has weights.
            if fobj.scorable:
                length += freq
        return length

    def delete_unique(self, fieldname: str, values: Iterable[Any]) -> None:
        """Delete the committed documents whose unique *fieldname* is one of *values*.

        What ``update_document`` does one search at a time, as one batch of
        term lookups per segment.  Documents added by this writer stay.
        """
        fobj = self.schema[fieldname]
        terms = sorted({fobj.to_bytes(value) for value in values})
        if not terms or not self.segments:
            return
        with self.reader() as reader:
            for leaf, base in reader.leaf_readers():
                for term in terms:
                    try:
                        docnums = leaf.postings(fieldname, term).all_ids()
                    except TermNotFound:
                        continue
                    for docnum in docnums:
                        self.delete_document(base + docnum)

    # --- merging ----------------------------------------------------------

    def add_postings_to_pool(self, reader: Any, startdoc: int, docmap: Any) -> None:
        # Called by add_reader() when the merge policy merges a segment into
        # this one: its postings go to our arrays, not through Whoosh's pool.
        # The merge happens at commit, after our documents, so its documents
        # are numbered after ours and appending keeps every term in order.
        schema = self.schema
        for fieldname, term, docnum, weight, vbytes in self._process_posts(
            reader.iter_postings(), startdoc, docmap
        ):
            postings = self._postings.get(fieldname)
            if postings is None:
                continue
            fmt = schema[fieldname].format
            entry = postings.get(term)
            if entry is None:
                weights = None if type(fmt) is PositionsFormat else array("f")
                entry = postings[term] = (array("I"), [], weights)
            entry[0].append(docnum)
            if fmt.fixed_value_size() != 0:
                entry[1].append(vbytes or b"")
            if entry[2] is not None:
                entry[2].append(weight)

    # --- commit ------------------------------------------------------------

    def _flush_segment(self) -> None:
        # Replaces SegmentWriter._flush_segment: the same files, from our arrays.
        self.perdocwriter.close()
        ours = min((len(lengths) for lengths in self._lengths.values()), default=0)
        if ours < self.docnum:
            # Merged documents: their lengths, from what write_per_doc() wrote.
            pdr = self.per_document_reader()
            try:
                for fieldname, lengths in self._lengths.items():
                    lengths.extend(
                        pdr.doc_field_length(d, fieldname, 0) or 0 for d in range(ours, self.docnum)
                    )
            finally:
                pdr.close()
        for name in sorted(self._postings):
            if self._postings[name]:
                self._write_field(name)
        self.fieldwriter.close()

    def _write_field(self, name: str) -> None:
        fobj = self.schema[name]
        fmt = fobj.format
        terms = self._postings[name]
        lengths = self._lengths[name] if fobj.scorable else None
        fw = self.fieldwriter
        fw.start_field(name, fobj)
        for term in sorted(terms):
            ids, values, weights = terms[term]
            fw.add_term(term, ids, values, weights if weights is not None else fmt, lengths)
        fw.finish_field()


class _FieldWriter(W3FieldWriter):  # type: ignore[misc]  # Whoosh is untyped.
    """Whoosh 3 field writer taking a term's postings whole.

    Terms with fewer than the codec's ``inlinelimit`` postings (most terms:
    ids, cite keys, names, rare words) are stored in the term table rather
    than as a pickled, compressed block of their own, which would be most of
    what writing a segment costs.  Whoosh's reader handles such terms, but
    its writer calls a misspelt method (``set_inline``), so it never inlines.
    """

    def add_term(
        self,
        term: bytes,
        ids: array[int],
        values: list[bytes],
        weights: array[float] | PositionsFormat,
        lengths: array[int] | None,
    ) -> None:
        """Write one term's postings, doc numbers ascending; *weights* may be the format."""
        if len(ids) >= self._codec._inlinelimit:
            self.start_term(term)
            self._postwriter.add_postings(ids, values, weights, lengths)
            self.finish_term()
            return
        if isinstance(weights, PositionsFormat):
            weights = weights.weights(values)
        if lengths is None:
            minlength = maxlength = 0
        else:
            block_lengths = list(map(lengths.__getitem__, ids))
            minlength = length_to_byte(min(block_lengths))
            maxlength = length_to_byte(max(block_lengths))
        # W3TermInfo.to_bytes() of an inlined term (flag, stats, then the
        # postings pickled), without building the object; pickle protocol as
        # in _PostingsWriter._write_block.
        info = _TERM_INFO.pack(
            True, sum(weights), len(ids), minlength, maxlength, max(weights), ids[0], ids[-1]
        )
        # Whoosh's ListMatcher gives "" (a str) for postings without values,
        # which its own merging rejects: give each an empty bytes value.
        inline_values = tuple(values) if values else (b"",) * len(ids)
        postings = dumps((tuple(ids), tuple(weights), inline_values), _PICKLE_PROTOCOL)
        self._tindex.add(self._fieldkey + term, info + postings)

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        super().start_field(fieldname, fieldobj)
        # Term table keys are the field's number then the term.
        self._fieldkey = pack_ushort(self._fieldid)


class _PostingsWriter(W3PostingsWriter):  # type: ignore[misc]  # Whoosh is untyped.
    """Whoosh 3 postings writer taking a term's postings whole, blocks at a time."""

    # The block buffer and term state W3PostingsWriter keeps (untyped there).
    _ids: Any
    _weights: Any
    _values: Any
    _terminfo: Any

    def add_postings(
        self,
        ids: array[int],
        values: list[bytes],
        weights: array[float] | PositionsFormat,
        lengths: array[int] | None,
    ) -> None:
        """Add one term's postings, doc numbers ascending; *weights* may be the format."""
        limit = self._blocklimit
        count = len(ids)
        for start in range(0, count, limit):
            if self._ids:
                self._write_block()
            end = start + limit
            # Fill the buffer add_posting() would have filled one by one.
            block = self._ids = ids[start:end]
            self._values = values[start:end]
            if isinstance(weights, PositionsFormat):
                self._weights = weights.weights(self._values)
            else:
                self._weights = weights[start:end]
            self._maxweight = max(self._weights)
            if lengths is None:
                self._minlength, self._maxlength = None, 0
            else:
                block_lengths = list(map(lengths.__getitem__, block))
                self._minlength = min(block_lengths)
                self._maxlength = max(block_lengths)
        # The last block stays buffered: finish_postings() writes or inlines it.

    def _write_block(self, last: bool = False) -> None:
        # Whoosh's _write_block but for the pickle protocol: protocol 2 (Whoosh's
        # choice) has no bytes opcode, so it pickles each posting value as a
        # call to _codecs.encode - half a block's bytes and most of its pickling
        # and compressing time.  The reader unpickles any protocol.
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = dumps(
            (self._mini_ids(), self._mini_weights(), self._mini_values()), _PICKLE_PROTOCOL
        )
        comp = self._compression
        if comp:
            data = zlib.compress(data, comp)
        ids = self._ids
        info = dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                comp,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            _PICKLE_PROTOCOL,
        )
        size = len(info) + len(data)
        postfile = self._postfile
        postfile.write_int(-size if last else size)  # Negative: the term's last block.
        postfile.write(info)
        postfile.write(data)
        self._blockcount += 1
        self._new_block()

    def _mini_ids(self) -> tuple[int, ...]:
        ids = self._ids
        if self._byteids:
            return tuple(ids)
        # Deltas from the previous id, as Whoosh's delta_encode, but in C.
        return tuple(map(operator.sub, ids, itertools.chain((0,), ids)))

    def _mini_weights(self) -> Any:
        weights = self._weights
        count = len(weights)
        if weights.count(1.0) == count:
            return None
        if weights.count(weights[0]) == count:
            return weights[0]
        return tuple(weights)


class _Codec(W3Codec):  # type: ignore[misc]  # Whoosh is untyped.
    """Whoosh's default codec, writing with :class:`_FieldWriter` and :class:`_PostingsWriter`.

    Segments keep their codec (it is pickled with them), so this class must
    stay importable under this name; reading is entirely Whoosh's.
    """

    def field_writer(self, storage: Any, segment: Any) -> _FieldWriter:
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> _PostingsWriter:
        # Posting at a time (term vectors, were there any) never inlines: the
        # vector reader cannot read inlined postings, and Whoosh's inlining
        # there is broken anyway.  _FieldWriter.add_term inlines itself.
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=1,
        )


_POSITIONS = PositionsFormat()
_TERM_INFO = W3TermInfo._struct
# Terms with fewer postings than this are kept in the term table.
_INLINE_LIMIT = 8
_BLOCK_LIMIT = 256
_COMPRESSION = 1
_PICKLE_PROTOCOL = 4


def _codec() -> _Codec:
    return _Codec(blocklimit=_BLOCK_LIMIT, compression=_COMPRESSION, inlinelimit=_INLINE_LIMIT)


def _fields_of(doc: IndexDoc) -> dict[str, Any]:
    """The schema's field values for *doc*."""
    return {
        "pid": doc.id,
        "rev": doc.revision,
        "title": doc.title,
        "abstract": doc.abstract,
        "authors": " ; ".join(doc.authors),
        "tags": ",".join(doc.tags),
        "note": doc.note,
        "links": " ".join(doc.links),
        "citekey": doc.citekey,
    }


class QuerySyntaxError(ValueError):
    """The user's query cannot be understood; the message is a short hint."""


@dataclass
class SearchResult:
    """Matching paper ids, best first, and the terms used for highlighting."""

    ids: list[int]
    terms: dict[str, set[str]] = field(default_factory=dict)
    prefixes: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class IndexCheck:
    """Differences between the index and the database."""

    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


_FIELD_RE = re.compile(r"(?<![\w\"])([A-Za-z_]+):")


class _AllHitsCollector(collectors.UnlimitedCollector):  # type: ignore[misc]  # untyped
    """Whoosh's collector of every hit, sorted without a Python key function.

    Whoosh sorts all hits with a lambda key: at 100,000 papers that one sort
    held the GIL for 100-600 ms and froze the window while a search ran in
    its worker.  Storing (negated score, docnum) lets the sort run in C.
    """

    def _collect(self, global_docnum: int, score: float) -> float:
        self.items.append((0 - score, global_docnum))
        self.docset.add(global_docnum)
        return 0 - score

    def results(self) -> Any:
        self.items.sort()
        items = [(0 - score, docnum) for score, docnum in self.items]
        return self._results(items, docset=self.docset)


class SearchIndex:
    """The Whoosh index in a folder of the library.

    Opening never fails on a damaged index: a missing, unreadable or outdated
    index folder is moved aside and recreated empty, and :attr:`needs_rebuild`
    tells the owner to refill it from the database.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.needs_rebuild = False
        self.repairs: list[str] = []
        self._ix = self._open()
        # One searcher is kept open and refreshed when the index changes:
        # opening one per keystroke re-reads every segment's files, and its
        # paper-id column is turned into a list once instead of per hit.
        self._searcher: Any = None
        self._pid_list: list[int] = []
        self._search_lock = threading.Lock()
        self._parser = self._make_parser()

    # --- opening -----------------------------------------------------------

    def _open(self) -> Any:
        # A damaged index makes Whoosh leave files open when it gives up.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                return self._open_or_create()
            finally:
                gc.collect()

    def _open_or_create(self) -> Any:
        stamp = self._read_stamp()
        try:
            exists = index.exists_in(str(self.folder))
        except Exception as exc:  # A garbled table of contents fails here.
            self._move_aside(f"unreadable ({type(exc).__name__}: {exc})")
            return self._create()
        if exists:
            if stamp.get("schema") == INDEX_SCHEMA_VERSION:
                try:
                    ix = index.open_dir(str(self.folder))
                    # Touch the reader: a truncated segment fails here, not at open.
                    with ix.reader() as reader:
                        reader.doc_count()
                    return ix
                except Exception as exc:  # Whoosh raises many kinds on damage.
                    self._move_aside(f"unreadable ({type(exc).__name__}: {exc})")
            else:
                self._move_aside("built by another version")
        elif self.folder.exists() and any(self.folder.iterdir()):
            self._move_aside("incomplete")
        elif stamp or not self.folder.exists():
            self.repairs.append("search index missing: rebuilding")
        return self._create()

    def _move_aside(self, why: str) -> None:
        aside = self.folder.with_name(f"{self.folder.name}.broken-{int(time.time())}")
        try:
            self.folder.rename(aside)
            # Keep only the newest broken copy, for diagnosis, not forever.
            for old in self.folder.parent.glob(f"{self.folder.name}.broken-*"):
                if old != aside:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.repairs.append(f"search index {why}: rebuilding")

    def _create(self) -> Any:
        self.folder.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(self.folder), _schema())
        self.needs_rebuild = True
        self._write_stamp(-1)
        return ix

    def _read_stamp(self) -> dict[str, Any]:
        try:
            data = json.loads((self.folder / STAMP_FILE).read_text("utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write_stamp(self, changes: int) -> None:
        tmp = self.folder / (STAMP_FILE + ".tmp")
        tmp.write_text(json.dumps({"schema": INDEX_SCHEMA_VERSION, "changes": changes}))
        tmp.replace(self.folder / STAMP_FILE)

    @property
    def seen_changes(self) -> int:
        """The database change counter the index was last brought up to."""
        value = self._read_stamp().get("changes", -1)
        return int(value) if isinstance(value, int) else -1

    def mark_in_step(self, changes: int) -> None:
        """Record that the index reflects the database at change counter *changes*."""
        self._write_stamp(changes)
        self.needs_rebuild = False

    # --- writing -----------------------------------------------------------

    def _writer(self) -> _BulkWriter:
        # One writer per operation; a second process holding the lock gets a
        # few seconds before we give up with Whoosh's LockError.  Ours even
        # for deletes: a commit may merge small segments, which it does fast.
        return _BulkWriter(self._ix, timeout=10.0)

    def index(
        self,
        docs: Iterable[IndexDoc],
        *,
        progress: Callable[[int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        replace: bool = True,
    ) -> int:
        """Add or replace *docs* in one writer; return how many were written.

        With ``replace=False`` (a fresh index or new papers) documents are
        added without the per-document delete that an update costs.
        """
        writer = self._writer()
        count = 0
        replaced: list[int] = []
        try:
            for doc in docs:
                if cancelled is not None and count % 500 == 0 and cancelled():
                    writer.cancel()
                    return 0
                if replace:
                    replaced.append(doc.id)
                writer.add_fields(_fields_of(doc))
                count += 1
                if progress is not None and count % 1000 == 0:
                    progress(count)
            # The old versions, all at once (they are in committed segments only).
            writer.delete_unique("pid", replaced)
        except BaseException:
            if not writer.is_closed:  # add_fields() may have given up on it already.
                writer.cancel()
            raise
        writer.commit()
        return count

    def delete(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if not ids:
            return
        writer = self._writer()
        try:
            writer.delete_unique("pid", ids)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def clear(self) -> None:
        """Drop every document (the schema stays)."""
        self._drop_searcher()
        self._ix.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        self._ix = self._create()

    # --- reading -----------------------------------------------------------

    def doc_count(self) -> int:
        with self._ix.reader() as reader:
            return int(reader.doc_count())

    def revisions(self) -> dict[int, int]:
        """Return ``{paper id: revision}`` for every live document."""
        with self._ix.reader() as reader:
            if reader.doc_count() == 0:
                return {}
            pids = reader.column_reader("pid")
            revs = reader.column_reader("rev")
            return {int(pids[n]): int(revs[n]) for n in reader.all_doc_ids()}

    def compare(self, expected: dict[int, int]) -> IndexCheck:
        """Compare the index with ``{paper id: revision}`` from the database."""
        have = self.revisions()
        check = IndexCheck()
        for pid, rev in expected.items():
            got = have.get(pid)
            if got is None:
                check.missing.append(pid)
            elif got != rev:
                check.stale.append(pid)
        check.extra = [pid for pid in have if pid not in expected]
        return check

    def _make_parser(self) -> qparser.QueryParser:
        parser = qparser.MultifieldParser(
            list(DEFAULT_FIELDS), self._ix.schema, fieldboosts=FIELD_BOOSTS
        )
        parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
        return parser

    def parse(self, text: str) -> wq.Query:
        """Parse the user's query, raising :class:`QuerySyntaxError` with a hint."""
        known = set(self._ix.schema.names()) | {a for v in FIELD_ALIASES.values() for a in v}
        for name in _FIELD_RE.findall(text):
            if name.lower() not in known and name.lower() not in {"http", "https", "doi"}:
                fields_hint = ", ".join(sorted(["title", "abstract", "author", "tag", "note"]))
                raise QuerySyntaxError(f"unknown field '{name}:' (try {fields_hint})")
        if text.count('"') % 2:
            raise QuerySyntaxError("a phrase is missing its closing quote")
        if text.count("(") != text.count(")"):
            raise QuerySyntaxError("unbalanced parentheses")
        try:
            parsed: wq.Query = self._parser.parse(text)
        except Exception as exc:  # Whoosh's parser raises assorted errors.
            raise QuerySyntaxError(f"cannot read this query ({exc})") from exc
        return self._phrases_to_terms(parsed)

    def _phrases_to_terms(self, q: wq.Query) -> wq.Query:
        """Turn phrases on fields without positions (tags, citekey) into whole terms.

        A phrase typed without a field is tried on every default field, and
        Whoosh refuses a phrase on a field that stores no positions; for a
        tag, the phrase's words joined by a space are the whole tag.
        """
        if isinstance(q, wq.Phrase):
            fmt = self._ix.schema[q.fieldname].format
            if not fmt.supports("positions"):
                return wq.Term(q.fieldname, " ".join(str(w) for w in q.words))
            return q
        result: wq.Query = q.apply(self._phrases_to_terms)
        return result

    def search(self, text: str, limit: int | None = None, *, scored: bool = True) -> SearchResult:
        """Return ids matching *text*, best first when *scored*."""
        parsed = self.parse(text)
        result = SearchResult(ids=[])
        _collect_terms(parsed, result)
        if parsed is wq.NullQuery:
            return result
        with self._search_lock:
            searcher = self._fresh_searcher()
            pids = self._pid_list
            if scored and limit is None:
                collector = _AllHitsCollector()
                searcher.search_with_collector(parsed, collector)
                result.ids = [pids[d] for d in collector.results().docs()]
            elif scored:
                hits = searcher.search(parsed, limit=limit)
                result.ids = [pids[d] for d in hits.docs()]
            else:
                docnums = searcher.docs_for_query(parsed)
                result.ids = [pids[d] for d in docnums]
                if limit is not None:
                    result.ids = result.ids[:limit]
        return result

    def _drop_searcher(self) -> None:
        with self._search_lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def _fresh_searcher(self) -> Any:
        """The kept searcher, brought up to date (call with the search lock held).

        Whoosh's own ``refresh()`` reuses the readers of unchanged segments
        and so misses deletions made in them; a changed index gets a new
        searcher instead.
        """
        if self._searcher is not None:
            if self._ix.latest_generation() == self._searcher.reader().generation():
                return self._searcher
            self._searcher.close()
        self._searcher = self._ix.searcher()
        self._pid_list = [int(v) for v in self._searcher.reader().column_reader("pid")]
        return self._searcher

    def close(self) -> None:
        self._drop_searcher()
        self._ix.close()


def _collect_terms(q: wq.Query, result: SearchResult) -> None:
    """Gather plain and prefix terms per field, for highlighting."""
    if isinstance(q, wq.Prefix | wq.Wildcard):
        stem = str(q.text).rstrip("*?")
        result.prefixes.setdefault(q.fieldname, set()).add(stem.lower())
        return
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.Term):
        value = q.text.decode("utf-8") if isinstance(q.text, bytes) else str(q.text)
        result.terms.setdefault(q.fieldname, set()).add(value)
        return
    if isinstance(q, wq.Phrase):
        for word in q.words:
            result.terms.setdefault(q.fieldname, set()).add(str(word))
        return
    for child in q.children():
        _collect_terms(child, result)


def highlight_spans(text: str, fieldname: str, result: SearchResult) -> list[tuple[int, int]]:
    """Return ``(start, end)`` character spans of *text* that matched the search."""
    terms = result.terms.get(fieldname, set())
    prefixes = result.prefixes.get(fieldname, set())
    if not (terms or prefixes) or not text:
        return []
    analyzer = _TEXT_ANALYZER if fieldname in {"title", "abstract", "note"} else _NAME_ANALYZER
    spans: list[tuple[int, int]] = []
    # Prefixes match the unstemmed word, as Whoosh does at search time; the
    # same word pattern as the index, so "**bold**" is the word "bold".
    if prefixes:
        for tok in _NAME_ANALYZER(text, chars=True):
            if any(tok.text.startswith(p) for p in prefixes):
                spans.append((tok.startchar, tok.endchar))
    if terms:
        for tok in analyzer(text, chars=True, removestops=False):
            if tok.text in terms:
                spans.append((tok.startchar, tok.endchar))
    return sorted(set(spans))
