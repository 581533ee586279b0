"""The bulk segment writer: Whoosh segments written without Whoosh's per-posting path.

**This module depends on Whoosh 3 internals.**  :class:`_BulkWriter`
subclasses Whoosh's ``SegmentWriter`` and replaces its private
``_flush_segment`` and ``add_postings_to_pool``, reaching into its
per-document writer, field writer and state; with :mod:`.codec` (its field
and postings writers) it re-implements what Whoosh 3's codec puts on disk.
A Whoosh upgrade can break it silently, so tests/test_search.py writes the
same documents with this writer and with Whoosh's own writer and codec and
checks the two indexes posting by posting (and after a failed document).

Why: Whoosh's own writer spends a chain of Python calls on every token and
every posting, which made indexing the slowest part of an import by far.
Here postings go straight into per-term arrays and each term is written
whole at commit.  What lands on disk is an ordinary Whoosh segment:
searching, merging and deleting stay Whoosh's own.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

from whoosh import fields, formats
from whoosh.reading import TermNotFound
from whoosh.writing import SegmentWriter

from .analysis import _ID_ANALYZER, IndexDoc, PositionsFormat, WordAnalyzer, _lower_utf8
from .codec import _codec


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


_POSITIONS = PositionsFormat()


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
