"""A query executor that reads Whoosh's postings a block at a time and scores with NumPy.

Whoosh's own matchers walk postings one document at a time through a chain
of Python calls; at 100,000 papers a three-word search scored that way took
over a second.  Here each term's posting list is read whole (one decode per
block of ~128 postings, Whoosh's own on-disk blocks), turned into arrays,
scored with Whoosh's BM25F formula (the same idf, average field length,
``B`` and ``K1``, so a term's score equals Whoosh's), and combined as dense
per-document arrays: AND, OR, NOT and AND-NOT are array operations.  Prefix
queries expand to the stems of the words that begin with the typed prefix
(:func:`prefix_stems`).  Any other node (phrases, wildcards, ranges) falls
back to Whoosh's matcher for that node alone, so the query syntax users have
keeps working.

This module reads Whoosh internals (``W3LeafMatcher`` block fields, the
per-document lengths column, a segment's deleted documents); the tests in
``tests/test_search.py`` compare its scores with Whoosh's exhaustive scoring
and fail loudly if a Whoosh release changes them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pickle import loads
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

__all__ = ["Dense", "Executor", "numeric_column", "pid_column", "prefix_stems"]

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
# A node's outcome over every document of the searcher: (matched, score).
Dense = tuple[Bools, Floats]

# Word endings a typed prefix may stop inside of.  Porter's stemmer rewrites
# these (efficiency -> effici, organization -> organ), so the stem of a word
# need not begin with what the user has typed so far; the stem of the prefix
# plus the rest of one of these endings finds it.
_ENDINGS = [
    "e",
    "es",
    "ed",
    "ing",
    "ings",
    "s",
    "y",
    "ies",
    "ied",
    "ier",
    "iest",
    "ly",
    "ily",
    "ion",
    "ions",
    "ation",
    "ations",
    "ization",
    "izations",
    "isation",
    "isations",
    "ational",
    "ationally",
    "alization",
    "alizations",
    "ity",
    "ities",
    "ability",
    "abilities",
    "ibility",
    "ibilities",
    "ness",
    "nesses",
    "ment",
    "ments",
    "ence",
    "ences",
    "ency",
    "encies",
    "ance",
    "ances",
    "ancy",
    "ancies",
    "ent",
    "ents",
    "ant",
    "ants",
    "ive",
    "ives",
    "ively",
    "iveness",
    "ize",
    "izes",
    "ized",
    "izing",
    "izer",
    "izers",
    "ise",
    "ises",
    "ised",
    "ising",
    "al",
    "als",
    "ally",
    "alism",
    "alist",
    "alists",
    "ality",
    "ic",
    "ics",
    "ical",
    "ically",
    "icity",
    "er",
    "ers",
    "est",
    "or",
    "ors",
    "ful",
    "fully",
    "fulness",
    "ous",
    "ously",
    "ousness",
    "able",
    "ably",
    "ible",
    "ibly",
    "ism",
    "isms",
    "ist",
    "ists",
    "ate",
    "ates",
    "ated",
    "ating",
    "ator",
    "ators",
    "ative",
    "atively",
    "logy",
    "logies",
    "ular",
    "ularly",
]
_TAILS = sorted({end[i:] for end in _ENDINGS for i in range(len(end))}, key=len)
# Postings kept decoded per searcher (16 bytes each: about 32 MB at most).
_CACHED_POSTINGS = 2_000_000
# Prefixes expanded per searcher before the cache starts over (bounds memory).
_PREFIX_CACHE_LIMIT = 2_000
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


def prefix_stems(
    prefix: str,
    stem: Callable[[str], str | None],
    expand: Callable[[str], list[str]],
    exists: Callable[[str], bool],
) -> list[str]:
    """The index terms a typed *prefix* stands for: stems of words it begins.

    ``expand(p)`` lists the index's (stemmed) terms that start with ``p``;
    ``exists(t)`` says whether a term is in the index.  A word whose stem
    keeps the typed letters is found by expansion; one whose stem drops or
    rewrites them (``efficienc`` of "efficiency", stem ``effici``) by
    stemming the prefix completed with the rest of a common ending.
    """
    found = dict.fromkeys(expand(prefix))
    for tail in ("", *_TAILS):
        term = stem(prefix + tail)
        if term and term not in found and exists(term):
            found[term] = None
    return list(found)


_NUMPY_CODES = {"B": ">u1", "H": ">u2", "I": ">u4", "Q": ">u8", "b": ">i1", "i": ">i4", "q": ">i8"}


def numeric_column(column: Any, count: int) -> npt.NDArray[Any] | None:
    """All *count* values of a Whoosh ``NumericColumn`` reader as raw integers, or None.

    The values sit back to back in the segment file; reading them as one
    buffer replaces *count* Python calls (0.1 s per 100,000 documents).
    Values past the written ones are the column's default.
    """
    code = _NUMPY_CODES.get(getattr(column, "_typecode", ""))
    if code is None or not hasattr(column, "_basepos"):
        return None
    written = min(int(column._count), count)
    raw = column._dbfile.get(column._basepos, written * column._fixedlen)
    values = np.frombuffer(raw, dtype=code).astype(np.int64 if code != ">u8" else np.uint64)
    if written < count:
        values = np.concatenate([values, np.full(count - written, column._default, values.dtype)])
    return values


def pid_column(reader: Any) -> npt.NDArray[np.int64]:
    """The ``pid`` of every document of *reader* (deleted ones included), in docnum order."""
    parts = []
    for leaf, _offset in reader.leaf_readers():
        column = leaf.column_reader("pid")
        count = leaf.doc_count_all()
        raw = numeric_column(getattr(column, "_reader", None), count)
        field = leaf.schema["pid"]
        if raw is not None and field.numtype is int and not field.decimal_places:
            # Whoosh's from_sortable() for integers, on the whole array.
            shift = np.uint64(1 << (field.bits - 1)) if field.signed else np.uint64(0)
            parts.append((raw.astype(np.uint64) - shift).astype(np.int64))
        else:
            parts.append(np.fromiter(column, dtype=np.int64, count=count))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


class _Postings:
    """Reads whole posting lists and per-document field lengths of one searcher."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves: list[tuple[Any, int]] = list(self.reader.leaf_readers())
        self.size = int(self.reader.doc_count_all())
        self._lengths: dict[str, Floats] = {}
        self._cache: dict[tuple[str, bytes], tuple[npt.NDArray[np.int64], Floats]] = {}
        self._cached = 0
        self.live = np.ones(self.size, dtype=np.bool_)
        for leaf, offset in self.leaves:
            if leaf.has_deletions():
                gone = np.fromiter(leaf._perdoc.deleted_docs(), dtype=np.int64)
                self.live[gone + offset] = False

    def lengths(self, field: str) -> Floats:
        """Every document's length in *field*, as Whoosh stores it (byte-coded)."""
        found = self._lengths.get(field)
        if found is None:
            parts = []
            for leaf, _offset in self.leaves:
                column = leaf._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
                count = leaf.doc_count_all()
                if column is None:
                    parts.append(np.zeros(count, dtype=np.uint8))
                    continue
                raw = numeric_column(column, count)
                if raw is None:
                    raw = np.fromiter(column, dtype=np.uint8, count=count)
                parts.append(raw.astype(np.uint8))
            codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)
            found = self._lengths[field] = _LENGTH_OF_BYTE[codes]
        return found

    def term(self, field: str, text: bytes) -> tuple[npt.NDArray[np.int64], Floats]:
        """Global document numbers and weights of one term's postings.

        Recently read lists are kept (least recently used dropped first, at
        most :data:`_CACHED_POSTINGS` postings): each keystroke of a search
        re-reads the words typed before it.
        """
        key = (field, text)
        found = self._cache.pop(key, None)
        if found is None:
            ids, weights, _values = self.term_values(field, text, values=False)
            found = (ids, weights)
            self._cached += len(ids)
            while self._cache and self._cached > _CACHED_POSTINGS:
                _old_key, (old_ids, _w) = next(iter(self._cache.items()))
                del self._cache[_old_key]
                self._cached -= len(old_ids)
        self._cache[key] = found  # re-inserted: now the most recently used
        return found

    def term_values(
        self, field: str, text: bytes, *, values: bool = True
    ) -> tuple[npt.NDArray[np.int64], Floats, list[Any]]:
        """Document numbers, weights and (if asked) the encoded values of one term."""
        ids: list[Any] = []
        weights: list[Floats] = []
        vals: list[Any] = []
        for leaf, offset in self.leaves:
            if (field, text) not in leaf:
                continue
            m = leaf.postings(field, text)
            # A segment with deletions wraps its matcher in a filter: deleted
            # documents are masked out by ``live`` instead.
            while not hasattr(m, "_postfile") and hasattr(m, "child"):
                m = m.child
            if not hasattr(m, "_postfile"):
                # Short lists are kept inline in the term's info, not in blocks.
                doc_ids, doc_weights, doc_values = _walk(m, values)
                ids.append(np.asarray(doc_ids, dtype=np.int64) + offset)
                weights.append(np.asarray(doc_weights, dtype=np.float64))
                vals.extend(doc_values)
                continue
            while True:
                count, block_ids, block_weights, block_values = _read_block(m)
                if values:
                    vals.extend(block_values)
                ids.append(np.cumsum(np.asarray(block_ids, dtype=np.int64)) + offset)
                if block_weights is None:
                    weights.append(np.ones(count, dtype=np.float64))
                elif isinstance(block_weights, float):
                    weights.append(np.full(count, block_weights, dtype=np.float64))
                else:
                    weights.append(np.asarray(block_weights, dtype=np.float64))
                if m._lastblock:
                    break
                m._goto(m._nextoffset)
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), []
        return np.concatenate(ids), np.concatenate(weights), vals


def _position_keys(docs: npt.NDArray[np.int64], values: list[bytes], fmt: Any) -> Any:
    """``doc << 32 | position`` of every occurrence in *values* (PositionsFormat).

    Values are one count byte then little-endian uint16 positions; they are
    decoded all at once.  The rare long form (a 255 byte, uint32s) is decoded
    one by one by the format itself.
    """
    if not values:
        return np.zeros(0, dtype=np.int64)
    buf = np.frombuffer(b"".join(values), dtype=np.uint8)
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    heads = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    counts = buf[heads].astype(np.int64)
    if (counts == 255).any():
        pairs = [
            (int(d), p) for d, v in zip(docs, values, strict=True) for p in fmt.decode_positions(v)
        ]
        return np.array([(d << 32) | p for d, p in pairs], dtype=np.int64)
    body = np.ones(len(buf), dtype=np.bool_)
    body[heads] = False
    rest = buf[body].astype(np.int64)
    positions = rest[0::2] | (rest[1::2] << 8)
    return (np.repeat(docs, counts) << 32) | positions


def _walk(m: Any, values: bool) -> tuple[list[int], list[float], list[Any]]:
    """Ids, weights and values of a matcher that is not block-based, one at a time."""
    ids: list[int] = []
    weights: list[float] = []
    vals: list[Any] = []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        if values:
            vals.append(m.value())
        m.next()
    return ids, weights, vals


def _read_block(m: Any) -> tuple[int, Any, Any, Any]:
    """The current block of a ``W3LeafMatcher``: count, id deltas, weights, values."""
    data = m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
    if m._compression:
        data = zlib.decompress(data)
    ids, weights, values = loads(data)
    return int(m._blocklength), ids, weights, values


class Executor:
    """Runs a parsed Whoosh query over one searcher into dense scores.

    One executor lives as long as its searcher; it caches prefix expansions
    (bounded) and per-field lengths.  Scores follow Whoosh's BM25F: a term's
    score is ``boost * bm25(idf, tf, length, avg length, B, K1)``; AND and OR
    add their children's scores, NOT and AND-NOT keep the positive side's.
    """

    def __init__(
        self,
        searcher: Any,
        prefix_terms: Callable[[Any, str, str], list[str]],
        weighting: BM25F | None = None,
    ) -> None:
        self.searcher = searcher
        self.postings = _Postings(searcher)
        self.size = self.postings.size
        self.weighting = weighting or BM25F()
        self._prefix_terms = prefix_terms
        self._prefixes: dict[tuple[str, str], list[str]] = {}

    # --- nodes ---------------------------------------------------------------------

    def run(self, q: wq.Query) -> Dense:
        """Matched documents and their scores for *q* (deleted documents excluded)."""
        matched, scores = self._node(q)
        return matched & self.postings.live, scores

    def _empty(self) -> Dense:
        return np.zeros(self.size, dtype=np.bool_), np.zeros(self.size, dtype=np.float64)

    def _node(self, q: wq.Query) -> Dense:
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if isinstance(q, wq.AndNot):
            pos, scores = self._node(q.a)
            neg, _ = self._node(q.b)
            return pos & ~neg, scores
        if isinstance(q, wq.AndMaybe):
            req, scores = self._node(q.a)
            _opt, extra = self._node(q.b)
            return req, scores + extra
        if isinstance(q, wq.Not):
            matched, _ = self._node(q.query)
            return ~matched, np.zeros(self.size, dtype=np.float64)
        if isinstance(q, wq.And | wq.Or) and not isinstance(q, wq.DisjunctionMax):
            return self._compound(q)
        if isinstance(q, wq.Prefix):
            return self._prefix(q)
        if isinstance(q, wq.Phrase) and q.slop == 1 and len(q.words) > 1:
            return self._phrase(q)
        if q is wq.NullQuery or isinstance(q, wq.NullQuery.__class__):
            return self._empty()
        if isinstance(q, wq.Every):
            return np.ones(self.size, dtype=np.bool_), np.ones(self.size, dtype=np.float64)
        return self._fallback(q)

    def _compound(self, q: wq.And | wq.Or) -> Dense:
        children = [self._node(c) for c in q.subqueries]
        if not children:
            return self._empty()
        matched = children[0][0].copy()
        scores = children[0][1].copy()
        for m, s in children[1:]:
            if isinstance(q, wq.And):
                matched &= m
            else:
                matched |= m
            scores += s
        if isinstance(q, wq.Or) and q.minmatch > 1:
            count = np.sum([m.astype(np.int32) for m, _ in children], axis=0)
            matched &= count >= q.minmatch
        if q.boost != 1.0:
            scores *= q.boost
        return matched, scores

    def _term(
        self,
        field: str,
        text: Any,
        boost: float,
        read: tuple[npt.NDArray[np.int64], Floats] | None = None,
    ) -> Dense:
        """One term's matches and BM25 scores (*read*: its postings, if already read)."""
        matched, scores = self._empty()
        schema = self.searcher.schema
        if field not in schema:
            return matched, scores
        fieldobj = schema[field]
        try:
            btext = fieldobj.to_bytes(text)
        except ValueError:
            return matched, scores
        ids, weights = read if read is not None else self.postings.term(field, btext)
        if not len(ids):
            return matched, scores
        matched[ids] = True
        if fieldobj.scorable:
            w = self.weighting
            parent = self.searcher.get_parent()
            idf = parent.idf(field, btext)
            avg = parent.avg_field_length(field) or 1
            b = w._field_B.get(field, w.B)
            k1 = w.K1
            lengths = self.postings.lengths(field)[ids]
            # Whoosh's bm25(), vectorised; a length of 0 is read as 1 as its scorer does.
            lengths[lengths == 0] = 1
            scores[ids] = (
                idf * (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / avg))
            )
        else:
            scores[ids] = weights
        if boost != 1.0:
            scores *= boost
        return matched, scores

    def _prefix(self, q: wq.Prefix) -> Dense:
        key = (q.fieldname, str(q.text))
        terms = self._prefixes.get(key)
        if terms is None:
            if len(self._prefixes) >= _PREFIX_CACHE_LIMIT:
                self._prefixes.clear()
            terms = self._prefixes[key] = self._prefix_terms(self.searcher, *key)
        matched, scores = self._empty()
        for term in terms:
            m, s = self._term(q.fieldname, term, q.boost)
            matched |= m
            scores += s
        return matched, scores

    def _phrase(self, q: wq.Phrase) -> Dense:
        """Documents holding the words next to each other, scored as their terms.

        The documents holding every word are found with arrays; only their
        positions are decoded (in bulk) and checked.
        """
        schema = self.searcher.schema
        if q.fieldname not in schema or not schema[q.fieldname].format.supports("positions"):
            return self._fallback(q)
        fieldobj = schema[q.fieldname]
        matched, scores = np.ones(self.size, dtype=np.bool_), np.zeros(self.size)
        lists = []
        for word in q.words:
            postings = self.postings.term_values(q.fieldname, fieldobj.to_bytes(word))
            m, sc = self._term(q.fieldname, word, q.boost, postings[:2])
            matched &= m
            scores += sc
            if not matched.any():
                return matched, scores
            lists.append(postings)
        # Keys doc << 32 | position: "word k follows word 0" is key0 + k in keys_k.
        keys = []
        for ids, _weights, values in lists:
            keep = np.flatnonzero(matched[ids])
            keys.append(_position_keys(ids[keep], [values[i] for i in keep], fieldobj.format))
        starts = keys[0]
        for k, later in enumerate(keys[1:], 1):
            # Keys come sorted (documents, then positions, ascending): a binary
            # search beats a hash-based isin by far.
            wanted = starts + k
            at = np.minimum(np.searchsorted(later, wanted), max(len(later) - 1, 0))
            starts = starts[later[at] == wanted] if len(later) else starts[:0]
        found = np.zeros(self.size, dtype=np.bool_)
        found[np.unique(starts >> 32)] = True
        return found, scores

    def _fallback(self, q: wq.Query) -> Dense:
        """Whoosh's own matcher for node types this executor does not know."""
        matched, scores = self._empty()
        m = q.matcher(self.searcher)
        while m.is_active():
            doc = m.id()
            matched[doc] = True
            scores[doc] = m.score()
            m.next()
        return matched, scores
