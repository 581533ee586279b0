"""The Whoosh 3 codec that :class:`~.bulkwriter._BulkWriter` writes segments with.

**This module depends on Whoosh 3 codec internals.**  Its classes subclass
``W3Codec``, ``W3FieldWriter`` and ``W3PostingsWriter`` from
``whoosh.codec.whoosh3`` and write their private state (block buffers, the
term table and its hash index, ``W3TermInfo``'s struct) directly,
re-implementing the on-disk format: a field's terms are written a run at a
time (their statistics computed with NumPy), rare terms are inlined in the
term table, and posting blocks are pickled with protocol 4.  Reading is
entirely Whoosh's.  tests/test_search.py checks the result posting by
posting against what Whoosh's own writer and codec write.

:class:`_Codec` is pickled with every segment under the name
``readinglist.search._Codec``: that name must keep resolving, or existing
indexes are moved aside and rebuilt.
"""

from __future__ import annotations

import itertools
import operator
import zlib
from array import array
from collections.abc import Sequence
from pickle import dumps
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
)
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.filetables import _lengths as _PAIR_LENGTHS
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import _length_byte_cache, length_to_byte


class _FieldWriter(W3FieldWriter):  # type: ignore[misc]  # Whoosh is untyped.
    """Whoosh 3 field writer taking a run of a field's terms at once.

    Terms with fewer than the codec's ``inlinelimit`` postings (most terms:
    ids, cite keys, names, rare words) are stored in the term table rather
    than as a pickled, compressed block of their own, which would be most of
    what writing a segment costs.  Whoosh's reader handles such terms, but
    its writer calls a misspelt method (``set_inline``), so it never inlines.
    The other terms' blocks are written as ``W3PostingsWriter`` writes them.
    Statistics (per term, per block) are computed for the whole run with
    NumPy, and the term table gets the run's entries in one write; what is
    left per term and block is pickling and compressing.
    """

    def add_terms(
        self,
        terms: Sequence[bytes],
        bounds: npt.NDArray[np.int64],
        ids: npt.NDArray[np.uint32],
        weights: npt.NDArray[np.float32],
        values: list[bytes] | None,
        lengths: npt.NDArray[np.uint32] | None,
    ) -> None:
        """Write *terms* (ascending, after the field's earlier ones) with their postings.

        Term ``i``'s postings are ``bounds[i]:bounds[i + 1]`` of the
        parallel *ids* (ascending per term), *weights*, *values* (None for
        formats without values) and *lengths* (each posting's document
        length in the field; None for unscored fields).
        """
        # Blocks: each term's postings in runs of blocklimit; a term below
        # the inline limit is one run, kept in the term table.
        limit = self._codec._blocklimit
        counts = np.diff(bounds)
        nblocks = (counts + (limit - 1)) // limit
        block_term = np.repeat(np.arange(len(terms)), nblocks)
        block_first = np.cumsum(nblocks) - nblocks
        blocks = bounds[block_term] + limit * (np.arange(len(block_term)) - block_first[block_term])
        # What W3PostingsWriter gathers per block and W3TermInfo per term.
        # (Whoosh sums a term's weights block by block; with this schema's
        # whole-number weights the order of the additions makes no difference.)
        block_tops = np.maximum.reduceat(weights, blocks)
        block_lows = np.minimum.reduceat(weights, blocks)
        ones = ((block_tops == 1.0) & (block_lows == 1.0)).tolist()
        same = (block_tops == block_lows).tolist()
        totals = np.add.reduceat(weights, bounds[:-1], dtype=np.float64).tolist()
        tops = np.maximum.reduceat(block_tops, block_first).tolist()
        if lengths is None:
            block_short = block_long = [0] * len(block_term)
            shortest = longest = [0] * len(terms)
        else:
            short = np.minimum.reduceat(lengths, blocks)
            long = np.maximum.reduceat(lengths, blocks)
            block_short = _length_bytes(short).tolist()
            block_long = _length_bytes(long).tolist()
            shortest = _length_bytes(np.minimum.reduceat(short, block_first)).tolist()
            longest = _length_bytes(np.maximum.reduceat(long, block_first)).tolist()
        # Doc numbers in blocks are deltas from the previous one (from 0 in a block's first).
        deltas = np.diff(ids, prepend=np.uint32(0)).astype(np.int64)
        deltas[blocks] = ids[blocks]
        delta_list = deltas.tolist()
        id_list = ids.tolist()
        weight_list = weights.tolist()
        block_list = [*blocks.tolist(), len(ids)]
        top_list = block_tops.tolist()
        firsts = bounds.tolist()
        count_list = counts.tolist()
        block_firsts = block_first.tolist()
        inline = self._codec._inlinelimit
        fixed = self._fieldobj.format.fixed_value_size()
        pack = _TERM_INFO.pack
        fieldkey = self._fieldkey
        postfile = self._postfile
        comp = self._codec._compression
        keys: list[bytes] = []
        entries: list[bytes] = []
        for i, term in enumerate(terms):
            a = firsts[i]
            b = firsts[i + 1]
            count = count_list[i]
            keys.append(fieldkey + term)
            # The term's statistics, in W3TermInfo's order after its inlined flag.
            stats = (totals[i], count, shortest[i], longest[i], tops[i], id_list[a], id_list[b - 1])
            if count < inline:
                # W3TermInfo.to_bytes() of an inlined term: flag, stats, then
                # the postings pickled.  Whoosh's ListMatcher gives "" (a str)
                # for postings without values, which its own merging rejects:
                # give each an empty bytes value.
                inlined = (
                    tuple(id_list[a:b]),
                    tuple(weight_list[a:b]),
                    tuple(values[a:b]) if values is not None else (b"",) * count,
                )
                entries.append(pack(True, *stats) + dumps(inlined, _PICKLE_PROTOCOL))
                continue
            # W3PostingsWriter: a header, then per block its size (negative
            # for the last), a pickled summary and the pickled, compressed
            # postings; the term table points at the whole.
            start = postfile.tell()
            postfile.write(WHOOSH3_HEADER_MAGIC)
            first_block = block_firsts[i]
            last_block = first_block + (count + limit - 1) // limit - 1
            for k in range(first_block, last_block + 1):
                c = block_list[k]
                d = block_list[k + 1]
                if ones[k]:
                    mini_weights: Any = None
                elif same[k]:
                    mini_weights = weight_list[c]
                else:
                    mini_weights = tuple(weight_list[c:d])
                if values is None or fixed == 0:
                    mini_values: Any = None
                elif fixed is None or fixed < 0:
                    mini_values = tuple(values[c:d])
                else:
                    mini_values = b"".join(values[c:d])
                data = dumps((tuple(delta_list[c:d]), mini_weights, mini_values), _PICKLE_PROTOCOL)
                if comp:
                    data = zlib.compress(data, comp)
                summary = dumps(
                    (d - c, id_list[d - 1], top_list[k], comp, block_short[k], block_long[k]),
                    _PICKLE_PROTOCOL,
                )
                size = len(summary) + len(data)
                postfile.write_int(-size if k == last_block else size)
                postfile.write(summary)
                postfile.write(data)
            entries.append(
                pack(False, *stats) + pack_long(start) + pack_int(postfile.tell() - start)
            )
        _add_entries(self._tindex, keys, entries)

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        super().start_field(fieldname, fieldobj)
        # Term table keys are the field's number then the term.
        self._fieldkey = pack_ushort(self._fieldid)


class _PostingsWriter(W3PostingsWriter):  # type: ignore[misc]  # Whoosh is untyped.
    """Whoosh 3 postings writer pickling blocks with protocol 4.

    Only for Whoosh's posting-at-a-time paths (term vectors, were there
    any): :meth:`_FieldWriter.add_terms` writes the blocks of whole terms.
    """

    # The block buffer and term state W3PostingsWriter keeps (untyped there).
    _ids: Any
    _weights: Any
    _values: Any
    _terminfo: Any

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

    # Pickled into indexes under the package's name (see readinglist/search/__init__.py).
    __module__ = "readinglist.search"

    def field_writer(self, storage: Any, segment: Any) -> _FieldWriter:
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> _PostingsWriter:
        # Posting at a time (term vectors, were there any) never inlines: the
        # vector reader cannot read inlined postings, and Whoosh's inlining
        # there is broken anyway.  _FieldWriter.add_terms inlines itself.
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=1,
        )


_TERM_INFO = W3TermInfo._struct
# Terms with fewer postings than this are kept in the term table.
_INLINE_LIMIT = 8
_BLOCK_LIMIT = 256
_COMPRESSION = 1
_PICKLE_PROTOCOL = 4


def _add_entries(table: OrderedHashWriter, keys: list[bytes], values: list[bytes]) -> None:
    """``table.add(key, value)`` for each pair (keys ascending), in one write.

    What ``OrderedHashWriter.add`` does a pair at a time: the pair after its
    lengths, its position in the index of keys, its hash and position in
    the hash table's bucket.
    """
    if not keys:
        return
    if keys[0] <= table.lastkey:
        raise ValueError(f"Keys must increase: {table.lastkey!r}..{keys[0]!r}")
    dbfile = table.dbfile
    heads = list(map(_PAIR_LENGTHS.pack, map(len, keys), map(len, values)))
    sizes = np.fromiter(map(len, values), np.int64, len(values))
    sizes += np.fromiter(map(len, keys), np.int64, len(keys)) + _PAIR_LENGTHS.size
    positions = (np.cumsum(sizes) - sizes + dbfile.tell()).tolist()
    dbfile.write(b"".join(itertools.chain.from_iterable(zip(heads, keys, values, strict=True))))
    index = table.index  # A GrowableArray: its type widens as positions grow.
    try:
        widened = array(index.array.typecode, positions)
    except OverflowError:  # Past its type: GrowableArray.append() widens it.
        index.extend(positions)
    else:
        index.array.extend(widened)
    buckets = table.buckets
    for h, pos in zip(map(table.hashfn, keys), positions, strict=True):
        buckets[h & 255].append((h, pos))
    table.lastkey = keys[-1]


def _length_bytes(lengths: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """Whoosh's ``length_to_byte`` of every one of *lengths*."""
    return np.minimum(np.searchsorted(_LENGTH_BYTES, lengths, side="left"), 255)


_LENGTH_BYTES = np.array(_length_byte_cache, dtype=np.int64)


def _codec() -> _Codec:
    return _Codec(blocklimit=_BLOCK_LIMIT, compression=_COMPRESSION, inlinelimit=_INLINE_LIMIT)
