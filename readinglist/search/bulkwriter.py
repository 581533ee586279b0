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
Here a document's words become term ids in an array (a dict lookup per
whitespace-separated chunk, no Python code per word), and at commit the
posting lists are built from those arrays with NumPy and written a run of
terms at a time (:meth:`.codec._FieldWriter.add_terms`).  What lands on disk
is an ordinary Whoosh segment: searching, merging and deleting stay
Whoosh's own.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from whoosh import fields, formats
from whoosh.index import clean_files
from whoosh.reading import TermNotFound
from whoosh.writing import SegmentWriter

from .analysis import _ID_ANALYZER, IndexDoc, PositionsFormat, WordAnalyzer, _lower_utf8
from .codec import _codec

# A term's postings while a segment is built: doc numbers, values and, for
# formats whose values do not carry it, weights.
_Postings: TypeAlias = "tuple[array[int], list[bytes], array[float] | None]"
# One term's postings on their way to the codec: term, doc numbers, weights, values.
_Term: TypeAlias = "tuple[bytes, Sequence[int], Sequence[float], Sequence[bytes] | None]"
# A run of a field's terms for _FieldWriter.add_terms(): the terms, where each
# one's postings start (and the last ends), doc numbers, weights, values.
_Group: TypeAlias = (
    "tuple[list[bytes], npt.NDArray[np.int64], npt.NDArray[np.uint32], "
    "npt.NDArray[np.float32], list[bytes] | None]"
)
# Distinct chunks a writer maps to term ids before its cache starts over
# (bounds memory on odd input; the vocabulary itself is the segment's terms).
_CHUNK_LIMIT = 200_000
# Postings turned into Python objects at a time when a field is written.
_GROUP = 1 << 16


class _ChunkIds(dict[str, bytes]):
    """``chunk -> its words' term ids`` (native uint32s) for one analyzer and vocabulary.

    ``__missing__`` keeps a hit one C-level dict lookup, and the ids of a
    text's chunks are joined as bytes, so adding a text is ``split``, a
    lookup per chunk and a join: no Python code runs per word.
    """

    def __init__(self, analyzer: WordAnalyzer, vocabulary: dict[bytes, int]) -> None:
        super().__init__()
        self._analyzer = analyzer
        self._vocabulary = vocabulary

    def __missing__(self, chunk: str) -> bytes:
        vocabulary = self._vocabulary
        ids = array(
            "I",
            [
                vocabulary.setdefault(term, len(vocabulary))
                for term in self._analyzer.chunk_terms(chunk)
            ],
        ).tobytes()
        if len(self) >= _CHUNK_LIMIT:
            self.clear()
        self[chunk] = ids
        return ids


class _Words:
    """A positions field's words while a segment is built: one term id per word.

    Documents arrive in order; per document with words it keeps the doc
    number, the number of words and the position of the first (the others
    follow on, see :meth:`WordAnalyzer.first_position`).  The posting lists
    are built from these arrays when the segment is written
    (:func:`_word_groups`), in bulk instead of word by word.
    """

    def __init__(self, analyzer: WordAnalyzer, chunk_ids: _ChunkIds) -> None:
        self.analyzer = analyzer
        self.chunk_ids = chunk_ids
        self.terms = array("I")
        self.docs = array("I")
        self.counts = array("I")
        self.starts = array("I")
        # Words of the complete documents (terms may hold more after a failure).
        self.total = 0

    def add(self, text: str, docnum: int) -> int:
        """Add *text* as document *docnum*'s value; return its length (words indexed)."""
        chunks = text.split()
        terms = self.terms
        terms.frombytes(b"".join(map(self.chunk_ids.__getitem__, chunks)))
        count = len(terms) - self.total
        if count:
            start = self.analyzer.first_position(chunks)
            self.docs.append(docnum)
            self.counts.append(count)
            self.starts.append(start)
            self.total += count
        return count

    def forget(self, docnum: int) -> None:
        """Take back what a failed document *docnum* (the last one) added."""
        if self.docs and self.docs[-1] == docnum:
            self.docs.pop()
            self.starts.pop()
            self.total -= self.counts.pop()
        del self.terms[self.total :]


class _Keys:
    """A one-term-per-document field's terms while a segment is built (ids, cite keys).

    Kept as two parallel lists, sorted when the segment is written, instead
    of a posting list (three objects) per term: these fields have about one
    distinct term per document.
    """

    def __init__(self, term_of: Callable[[Any], bytes]) -> None:
        self.term_of = term_of
        self.terms: list[bytes] = []
        self.docs = array("I")

    def add(self, value: Any, docnum: int) -> int:
        """Add *value* as document *docnum*'s; its length is 0 (the field is not scored)."""
        term = self.term_of(value)
        self.docs.append(docnum)
        self.terms.append(term)
        return 0

    def forget(self, docnum: int) -> None:
        """Take back what a failed document *docnum* (the last one) added."""
        if self.docs and self.docs[-1] == docnum:
            self.docs.pop()
        del self.terms[len(self.docs) :]

    def postings(self) -> Iterator[_Term]:
        """``(term, doc numbers, weights, None)`` in term order (documents ascending)."""
        return _ungrouped(self.groups())

    def groups(self) -> Iterator[_Group]:
        """The postings in term order, runs of whole terms for the codec (weights 1, no values)."""
        terms = self.terms
        if not terms:
            return
        order = sorted(range(len(terms)), key=terms.__getitem__)  # Stable: docs stay ascending.
        ordered = [terms[i] for i in order]
        docs = np.frombuffer(self.docs, dtype=np.uint32)[order]
        # Where a new term starts (nearly everywhere: a term per document).
        firsts = [0, *(i for i in range(1, len(ordered)) if ordered[i] != ordered[i - 1])]
        firsts.append(len(ordered))
        nterms = len(firsts) - 1
        for t in range(0, nterms, _GROUP):
            end = min(t + _GROUP, nterms)
            lo, hi = firsts[t], firsts[end]
            yield (
                [ordered[i] for i in firsts[t:end]],
                np.array(firsts[t : end + 1], dtype=np.int64) - lo,
                docs[lo:hi],
                np.ones(hi - lo, dtype=np.float32),
                None,
            )


class _BulkWriter(SegmentWriter):  # type: ignore[misc]  # Whoosh is untyped.
    """A Whoosh segment writer that builds the posting lists itself.

    Whoosh's ``add_document`` pushes every posting through a generic pool (a
    tuple each, sorted at commit), and at commit its codec looks each
    posting's document length up again, one Python call chain per posting.
    Here fields analysed by a :class:`WordAnalyzer` into a
    :class:`PositionsFormat` keep their words as term ids (:class:`_Words`),
    ids and cite keys keep one term per document (:class:`_Keys`), and any
    other field goes through its own ``index()`` into per-term arrays
    (documents arrive in order, so they are already sorted).  At commit the
    posting lists are built in bulk and each field's terms go to the codec
    a run at a time, with the lengths known from the analysis.  The segment
    is an ordinary Whoosh segment: searching, merging and deleting are
    Whoosh's own (tests/test_search.py checks the postings against Whoosh's
    writer).
    """

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        # Our codec: its postings writer takes whole terms and inlines rare ones.
        super().__init__(ix, codec=_codec(), **kwargs)
        self._ix = ix
        self._postings: dict[str, dict[bytes, _Postings]] = {}
        # Per field, each document's length (words indexed), by doc number.
        self._lengths: dict[str, array[int]] = {}
        # Positions fields' words, by field, with term ids from one vocabulary.
        self._words: dict[str, _Words] = {}
        self._vocabulary: dict[bytes, int] = {}
        self._chunk_ids: dict[WordAnalyzer, _ChunkIds] = {}
        # One-term-per-document fields' terms, by field.
        self._keys: dict[str, _Keys] = {}
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
        analyzer = getattr(fobj, "analyzer", None)
        if type(fmt) is PositionsFormat and isinstance(analyzer, WordAnalyzer):
            chunk_ids = self._chunk_ids.get(analyzer)
            if chunk_ids is None:
                chunk_ids = self._chunk_ids[analyzer] = _ChunkIds(analyzer, self._vocabulary)
            words = self._words[name] = _Words(analyzer, chunk_ids)
            return words.add
        if type(fmt) is formats.Existence and fmt.field_boost == 1.0:
            # One term, weight 1, no value: ids and cite keys.
            term_of = None
            if type(fobj) is fields.NUMERIC and not fobj.shift_step:
                term_of = fobj.to_bytes
            elif type(fobj) is fields.ID and fobj.analyzer == _ID_ANALYZER:
                term_of = _lower_utf8
            if term_of is not None:
                keys = self._keys[name] = _Keys(term_of)
                return keys.add
        return functools.partial(_add_generic, postings, fobj)

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
        for words in self._words.values():
            words.forget(docnum)
        for keys in self._keys.values():
            keys.forget(docnum)
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

    def _commit_toc(self, segments: list[Any]) -> None:
        # Whoosh's, but a signed index signs the table of contents before
        # it appears (see .trust): readers check it before unpickling it.
        commit_toc = getattr(self._ix, "commit_toc", None)
        if commit_toc is None:
            super()._commit_toc(segments)
            return
        commit_toc(self.schema, segments, self.generation)
        clean_files(self.storage, self.indexname, self.generation, segments)

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

    def _finish(self) -> None:
        # Whoosh's last step of a commit or a cancel.
        try:
            super()._finish()
        finally:
            # Let go of the postings now rather than when the cyclic garbage
            # collector next looks at this writer: they are a few large
            # arrays, which never prompt a collection, so writer after writer
            # of a large import stayed in memory.
            self._words.clear()
            self._keys.clear()
            self._postings.clear()
            self._lengths.clear()
            self._vocabulary.clear()
            self._chunk_ids.clear()
            self._plan.clear()

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
        # Every positions field's postings are sorted by one ranking of the vocabulary.
        ranks = _ranks(self._vocabulary)
        for name in sorted(self._postings):
            words = self._words.get(name)
            keys = self._keys.get(name)
            if (
                self._postings[name]
                or (words is not None and words.total)
                or (keys is not None and keys.terms)
            ):
                self._write_field(name, words, keys, ranks)
        self.fieldwriter.close()

    def _write_field(
        self, name: str, words: _Words | None, keys: _Keys | None, ranks: _Ranks
    ) -> None:
        """Write field *name*'s terms: from *words* or *keys* (ours), and merged postings."""
        fobj = self.schema[name]
        fmt = fobj.format
        theirs = self._postings[name]
        has_values = fmt.fixed_value_size() != 0
        groups: Iterator[_Group]
        if words is not None and not theirs:
            groups = _word_groups(words, ranks, fmt.field_boost)
        elif keys is not None and not theirs:
            groups = keys.groups()
        else:
            # Merged segments' postings (or a generic field's): term by term.
            # Ours first: merged segments' documents are numbered after ours.
            ours: Iterator[_Term] = iter(())
            if words is not None:
                ours = _ungrouped(_word_groups(words, ranks, fmt.field_boost))
            elif keys is not None:
                ours = keys.postings()
            groups = _grouped(_merged(ours, theirs, fmt), has_values)
        lengths = np.frombuffer(self._lengths[name], dtype=np.uint32) if fobj.scorable else None
        fw = self.fieldwriter
        fw.start_field(name, fobj)
        for terms, bounds, ids, weights, values in groups:
            fw.add_terms(
                terms, bounds, ids, weights, values, None if lengths is None else lengths[ids]
            )
        fw.finish_field()


_POSITIONS = PositionsFormat()
# The vocabulary sorted (terms are written in byte order) and each term id's rank in it.
_Ranks: TypeAlias = "tuple[list[bytes], npt.NDArray[np.unsignedinteger[Any]]]"


def _ranks(vocabulary: dict[bytes, int]) -> _Ranks:
    """The terms of *vocabulary* (``term -> id``) sorted, and each id's rank among them."""
    ordered = sorted(vocabulary)
    # uint16 ranks when they fit: NumPy sorts those with a radix sort.
    dtype = np.uint16 if len(ordered) <= 1 << 16 else np.uint32
    ranks: npt.NDArray[np.unsignedinteger[Any]] = np.empty(len(ordered), dtype=dtype)
    ids = np.fromiter(map(vocabulary.__getitem__, ordered), np.int64, len(ordered))
    ranks[ids] = np.arange(len(ordered))
    return ordered, ranks


def _word_groups(words: _Words, ranks: _Ranks, boost: float) -> Iterator[_Group]:
    """The postings of *words* in term order, runs of whole terms for the codec.

    What grouping each document's words by term and encoding them one
    posting at a time gives, built with NumPy over all the words at once: a
    stable sort by term keeps each term's words in document and position
    order, so a posting is a run of equal (term, document).  Its value is
    PositionsFormat's and its weight the frequency times *boost* (the
    format's field boost).  Python objects are made a run at a time, which
    bounds memory.
    """
    n = words.total
    if not n:
        return
    # Sizes and order are chosen for memory: this runs over every word of a
    # field of DOCS_PER_COMMIT papers (millions), at the peak of an import's
    # memory.  Word indexes fit uint32: 2**32 words would be 16 GB of term
    # ids already.  (Measured: converting the sort's int64 order to uint32
    # at once, and so freeing the largest array first, raised the peak by
    # 30 MB, through what the C allocator then kept.)
    ordered, rank_of = ranks
    key = rank_of[np.frombuffer(words.terms, dtype=np.uint32, count=n)]
    order = np.argsort(key, kind="stable")
    key = key[order]
    counts = np.frombuffer(words.counts, dtype=np.uint32)
    docnums = np.frombuffer(words.docs, dtype=np.uint32)
    docs = np.repeat(docnums, counts)[order]
    # A word's position: its document's first position plus its index there,
    # that is its index overall plus a shift per document (uint32
    # arithmetic wraps, but every true position fits).
    shift = np.zeros(int(docnums[-1]) + 1, dtype=np.uint32)
    shift[docnums] = np.frombuffer(words.starts, dtype=np.uint32) - (
        np.cumsum(counts, dtype=np.uint32) - counts
    )
    positions = shift[docs]
    np.add(positions, order, out=positions, casting="unsafe")
    del order, shift
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    first[1:] |= docs[1:] != docs[:-1]
    # Where each posting's words start, and (last) where the words end; a
    # piece at a time, as flatnonzero() makes int64s.
    step = 1 << 20
    starts = np.concatenate(
        [
            *(np.flatnonzero(first[a : a + step]).astype(np.uint32) + a for a in range(0, n, step)),
            np.array([n], dtype=np.uint32),
        ]
    )
    del first
    post_keys = key[starts[:-1]]
    del key
    # Terms start where the key changes.
    firsts_list = np.concatenate(
        ([0], np.flatnonzero(post_keys[1:] != post_keys[:-1]) + 1, [len(post_keys)])
    ).tolist()
    term_ranks = post_keys[firsts_list[:-1]].tolist()
    del post_keys
    nterms = len(term_ranks)
    t = 0
    while t < nterms:
        # Whole terms, about _GROUP postings at a time.
        lo = firsts_list[t]
        end = t + 1
        while end < nterms and firsts_list[end] - lo < _GROUP:
            end += 1
        hi = firsts_list[end]
        group = starts[lo : hi + 1]
        yield (
            [ordered[r] for r in term_ranks[t:end]],
            np.array(firsts_list[t : end + 1], dtype=np.int64) - lo,
            docs[group[:-1]],
            (np.diff(group) * boost).astype(np.float32),
            _positions_values(positions, group),
        )
        t = end


def _positions_values(positions: npt.NDArray[np.uint32], bounds: npt.NDArray[Any]) -> list[bytes]:
    """PositionsFormat values of the postings whose words are ``positions[bounds[i]:bounds[i+1]]``.

    A value is a count byte then the positions as little-endian uint16s:
    the postings of one count are built as rows of one byte matrix, whose
    rows become bytes objects in C.  The rare posting past 254 words or
    position 65535 is encoded on its own.
    """
    begins = bounds[:-1]
    freqs = np.diff(bounds)
    out = np.empty(len(begins), dtype=object)
    long = (freqs >= 255) | (positions[bounds[1:] - 1] >= 65536)
    for p in np.flatnonzero(long).tolist():
        out[p] = _POSITIONS.encode(positions[bounds[p] : bounds[p + 1]].tolist())
    freqs[long] = 0
    for freq in np.unique(freqs).tolist():
        if not freq:
            continue
        which = np.flatnonzero(freqs == freq)
        rows = np.empty((len(which), 1 + 2 * freq), dtype=np.uint8)
        rows[:, 0] = freq
        words = positions[begins[which, None] + np.arange(freq)].astype("<u2")
        rows[:, 1:] = words.view(np.uint8).reshape(len(which), 2 * freq)
        # An object array keeps the bytes as they are (a plain array would
        # turn them into fixed-width strings and drop trailing zero bytes).
        out[which] = rows.view(f"V{1 + 2 * freq}").ravel().tolist()
    values: list[bytes] = out.tolist()
    return values


def _add_generic(postings: dict[bytes, _Postings], fobj: Any, value: Any, docnum: int) -> int:
    """Add a value of any other field through its own ``index()``; return the length."""
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


def _ungrouped(groups: Iterator[_Group]) -> Iterator[_Term]:
    """*groups* term by term."""
    for terms, bounds, ids, weights, values in groups:
        firsts = bounds.tolist()
        id_list = ids.tolist()
        weight_list = weights.tolist()
        for i, term in enumerate(terms):
            a, b = firsts[i], firsts[i + 1]
            yield term, id_list[a:b], weight_list[a:b], None if values is None else values[a:b]


def _merged(ours: Iterator[_Term], theirs: dict[bytes, _Postings], fmt: Any) -> Iterator[_Term]:
    """*ours* with *theirs* (merged segments' postings, or a generic field's), in term order."""

    def their(term: bytes) -> _Term:
        ids, values, weights = theirs[term]
        if weights is None:  # PositionsFormat: the weights are in the values.
            weights = fmt.weights(values)
        return term, ids, weights, values

    rest = sorted(theirs)
    i = 0
    for term, ids, weights, values in ours:
        while i < len(rest) and rest[i] < term:
            yield their(rest[i])
            i += 1
        if i < len(rest) and rest[i] == term:
            _, other_ids, other_weights, other_values = their(term)
            yield (
                term,
                [*ids, *other_ids],
                [*weights, *other_weights],
                None if values is None else [*values, *(other_values or ())],
            )
            i += 1
        else:
            yield term, ids, weights, values
    for term in rest[i:]:
        yield their(term)


def _grouped(terms: Iterator[_Term], has_values: bool) -> Iterator[_Group]:
    """Runs of whole *terms*, about _GROUP postings each, for _FieldWriter.add_terms()."""
    names: list[bytes] = []
    bounds = [0]
    ids: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    for term, term_ids, term_weights, term_values in terms:
        names.append(term)
        ids.extend(term_ids)
        weights.extend(term_weights)
        if has_values:
            values.extend(term_values or [b""] * len(term_ids))
        bounds.append(len(ids))
        if len(ids) >= _GROUP:
            yield _group(names, bounds, ids, weights, values if has_values else None)
            names, bounds, ids, weights, values = [], [0], [], [], []
    if names:
        yield _group(names, bounds, ids, weights, values if has_values else None)


def _group(
    names: list[bytes],
    bounds: list[int],
    ids: list[int],
    weights: list[float],
    values: list[bytes] | None,
) -> _Group:
    """The codec's form of a run of terms gathered in lists."""
    return (
        names,
        np.array(bounds, dtype=np.int64),
        np.array(ids, dtype=np.uint32),
        np.array(weights, dtype=np.float32),
        values,
    )


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
