"""Reading a whole index to find damage: what ``doctor`` runs.

:func:`damage` checks every file of every segment against the signature
recorded when it was written (:mod:`.stamp`), then decodes everything a
search can read: each term's postings (inlined or in blocks: every block's
header, compressed data and document numbers) and every column (paper ids,
revisions, field lengths, stored fields).  Whoosh itself never checks a
segment: a flipped byte shows up as a wrong result or an exception
(``zlib.error``, ``struct.error``, ``UnpicklingError``, ...) in the middle
of a search.  **This module reads Whoosh 3 codec internals** (the term
table, posting blocks, per-document columns), like :mod:`.postings`.
"""

from __future__ import annotations

import zlib
from typing import Any

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    STORED_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3TermInfo,
    _lenfield,
)

from .stamp import Stamp
from .trust import data_loads, sign_file

__all__ = ["damage"]

# At most this many problems are listed (a rebuild fixes them all anyway).
_MAX_PROBLEMS = 20


def damage(ix: Any, stamp: Stamp) -> list[str]:
    """What is wrong with the segments of *ix* (empty when every byte reads back as written)."""
    problems: list[str] = []
    segments = ix._segments()
    signatures = stamp.file_signatures()
    for segment in segments:
        problems += _files_changed(segment.segment_id(), stamp, signatures)
    with ix.reader() as reader:
        for leaf, _base in reader.leaf_readers():
            if not hasattr(leaf, "_segment"):
                continue  # Whoosh's reader of an index without segments.
            name = leaf._segment.segment_id()
            try:
                _read_terms(leaf)
                _read_columns(leaf)
            except Exception as exc:  # Damage shows as any kind of error.
                problems.append(f"segment {name}: unreadable ({type(exc).__name__}: {exc})")
    return problems[:_MAX_PROBLEMS]


def _files_changed(segment_id: str, stamp: Stamp, signatures: dict[str, str]) -> list[str]:
    found = {p.name: p for p in stamp.segment_files([segment_id])}
    recorded = {n for n in signatures if n.startswith(f"{segment_id}.")}
    problems = [f"{n}: missing" for n in sorted(recorded - set(found))]
    for name, path in sorted(found.items()):
        expected = signatures.get(name)
        if expected is None:
            problems.append(f"{name}: no checksum was recorded for it")
        elif sign_file(stamp.key, path) != expected:
            problems.append(f"{name}: changed since it was written")
    return problems


def _read_terms(leaf: Any) -> None:
    """Decode every term's postings of one segment, checking document numbers."""
    terms = leaf._terms
    postfile = terms._postfile
    count = leaf.doc_count_all()
    for key, value in terms._tindex.items():
        info = W3TermInfo.from_bytes(value)
        if info.is_inlined():
            ids = info._inlined[0]
            _check_ids(key, ids, count, info.doc_frequency())
            continue
        _read_blocks(key, postfile, info, count)


def _read_blocks(key: bytes, postfile: Any, info: Any, count: int) -> None:
    """Decode the blocks of one term: sizes, headers, data, ascending document numbers."""
    # Whoosh's from_bytes() leaves the length as unpack_int() returns it: a 1-tuple.
    length = info._length[0] if isinstance(info._length, tuple) else info._length
    start, end = info._offset, info._offset + length
    if postfile.get(start, 4) != WHOOSH3_HEADER_MAGIC:
        raise ValueError(f"term {key!r}: no block header at {start}")
    pos = start + 4
    total = 0
    while True:
        if pos + 4 > end:
            raise ValueError(f"term {key!r}: its blocks run past their end")
        postfile.seek(pos)
        size = postfile.read_int()
        lastblock = size < 0
        size = abs(size)
        blocklength, maxid, _weight, compression, _short, _long = postfile.read_pickle()
        dataoffset = postfile.tell()
        data = postfile.get(dataoffset, pos + 4 + size - dataoffset)
        if compression:
            data = zlib.decompress(data)
        deltas, _weights, _values = data_loads(data)
        # A block's first document number is whole, the others are deltas.
        if (
            len(deltas) != blocklength
            or not deltas
            or deltas[0] < 0
            or min(deltas[1:], default=1) <= 0
            or sum(deltas) != maxid
            or maxid >= count
        ):
            raise ValueError(f"term {key!r}: a block's document numbers are out of order")
        total += blocklength
        pos += 4 + size
        if lastblock:
            break
    if pos != end or total != info.doc_frequency():
        raise ValueError(f"term {key!r}: {total} postings, its entry says {info.doc_frequency()}")


def _check_ids(key: bytes, ids: Any, count: int, frequency: int) -> None:
    if len(ids) != frequency or any(not 0 <= i < count for i in ids):
        raise ValueError(f"term {key!r}: inlined postings out of range")


def _read_columns(leaf: Any) -> None:
    """Read every value of every column of one segment."""
    perdoc = leaf._perdoc
    count = leaf.doc_count_all()
    schema = leaf.schema
    names: list[tuple[str, Any]] = [("_stored", STORED_COLUMN)]
    for fieldname, fieldobj in schema.items():
        if fieldobj.column_type is not None:
            names.append((fieldname, fieldobj.column_type))
        if fieldobj.scorable:
            names.append((_lenfield(fieldname), LENGTHS_COLUMN))
    for name, column in names:
        if not perdoc.has_column(name):
            continue
        reader = perdoc._cached_reader(name, column)
        if reader is None:
            continue
        if name == "_stored":
            # One by one: Whoosh's iterator of compressed values fails on the
            # empty ones (every document here: nothing is stored).
            for docnum in range(count):
                reader[docnum]
            continue
        values = 0
        for _value in reader:
            values += 1
        if values != count:
            raise ValueError(f"column {name}: {values} values for {count} documents")
