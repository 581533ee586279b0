"""Whoosh's stored postings and columns, read as whole NumPy arrays.

This module owns :class:`Postings` (one searcher's posting lists, decoded a
block at a time and kept in a bounded cache; per-document field lengths;
deleted documents) and the bulk readers of numeric columns.  It reads Whoosh
internals (``W3LeafMatcher`` block fields, the lengths column, a segment's
deleted documents): ``tests/test_search_contract.py`` compares what it reads
with Whoosh's own per-document reads and scores.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

from .trust import data_loads

__all__ = ["Floats", "Postings", "numeric_column", "pid_column", "position_keys"]

Floats = npt.NDArray[np.float64]
# Postings kept decoded per searcher (16 bytes each: about 32 MB at most).
_CACHED_POSTINGS = 2_000_000
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)

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


class Postings:
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


def position_keys(docs: npt.NDArray[np.int64], values: list[bytes], fmt: Any) -> Any:
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
    ids, weights, values = data_loads(data)
    return int(m._blocklength), ids, weights, values
