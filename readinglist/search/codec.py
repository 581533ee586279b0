"""The Whoosh 3 codec that :class:`~.bulkwriter._BulkWriter` writes segments with.

**This module depends on Whoosh 3 codec internals.**  Its classes subclass
``W3Codec``, ``W3FieldWriter`` and ``W3PostingsWriter`` from
``whoosh.codec.whoosh3`` and write their private state (block buffers, the
term table, ``W3TermInfo``'s struct) directly, re-implementing the on-disk
format: terms go to the postings writer whole, rare terms are inlined in the
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
from pickle import dumps
from typing import Any

from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
)
from whoosh.system import pack_ushort
from whoosh.util.numeric import length_to_byte

from .analysis import PositionsFormat


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

    # Pickled into indexes under the package's name (see readinglist/search/__init__.py).
    __module__ = "readinglist.search"

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


_TERM_INFO = W3TermInfo._struct
# Terms with fewer postings than this are kept in the term table.
_INLINE_LIMIT = 8
_BLOCK_LIMIT = 256
_COMPRESSION = 1
_PICKLE_PROTOCOL = 4


def _codec() -> _Codec:
    return _Codec(blocklimit=_BLOCK_LIMIT, compression=_COMPRESSION, inlinelimit=_INLINE_LIMIT)
