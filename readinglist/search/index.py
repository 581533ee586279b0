"""The index in a library folder: :class:`SearchIndex`, opening, writing and searching.

This module owns the index's life: opening it (only an index this user's
Reading List signed, and never writing while opening), the stamp recording
which database change it reflects (:mod:`.stamp`), adding and deleting
documents through :class:`~.bulkwriter._BulkWriter`, comparing it with the
database, finding damage (:mod:`.check`), and parsing and running queries
with one searcher kept open.

Reading and writing are kept apart: opening and searching never change
anything on disk (a damaged, unsigned or outdated index is merely not
used), so a reader never waits for a writer.  Writing methods (:meth:`index`,
:meth:`delete`, :meth:`reset`, :meth:`clear`, :meth:`mark_in_step`) are
for a caller holding the library's write lock
(:class:`readinglist.core.index_sync.WriteLock`); the first of them to find
the index unusable moves it aside and starts an empty one.
"""

from __future__ import annotations

import gc
import logging
import shutil
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import whoosh
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, EmptyIndexError

from .analysis import (
    INDEX_SCHEMA_VERSION,
    IndexDoc,
    WordAnalyzer,
    _schema,
)
from .bulkwriter import _BulkWriter, _fields_of
from .check import damage
from .executor import Executor
from .parsing import QueryParser
from .postings import pid_column
from .prefixes import prefix_stems
from .results import IndexCheck, SearchResult, _collect_terms, plain_words
from .stamp import STAMP_FILE, Stamp
from .trust import INDEX_NAME, SignedIndex, UntrustedIndex, signing_key

__all__ = ["STAMP_FILE", "SearchIndex"]

log = logging.getLogger(__name__)

# Documents per index commit: ~70 MB of postings in memory at most.
DOCS_PER_COMMIT = 20_000
# The bulk writer and the executor read and write Whoosh's on-disk format
# through its internals: an index written under another Whoosh release is
# rebuilt rather than misread.
WHOOSH_VERSION = ".".join(map(str, whoosh.__version__))
_IDENTITY = {"schema": INDEX_SCHEMA_VERSION, "whoosh": WHOOSH_VERSION}


class _Unusable(Exception):
    """Why the index on disk cannot be used (the message ends "search index ...")."""


class SearchIndex:
    """The Whoosh index in a folder of the library.

    Opening never fails and never writes: a missing, unsigned, unreadable or
    outdated index is left as it is, searches find nothing in it,
    :attr:`problem` says why and :attr:`needs_rebuild` tells the owner (a
    writer) to refill it from the database.  *key* signs and checks the
    index's tables of contents (by default the user's, see :mod:`.trust`).
    """

    def __init__(self, folder: Path, *, key: bytes | None = None) -> None:
        self.folder = folder
        self.stamp = Stamp(folder, key if key is not None else signing_key(), _IDENTITY)
        self.needs_rebuild = False
        self.repairs: list[str] = []
        # Why the index on disk is not used ("" when it is).
        self.problem = ""
        # One schema object for every read and write: the pickled one in the
        # index's table of contents is never loaded (see .trust).
        self._schema = _schema()
        # One searcher is kept open and refreshed when the index changes:
        # opening one per keystroke re-reads every segment's files, and its
        # paper-id column is turned into a list once instead of per hit.
        self._searcher: Any = None
        self._pid_array: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        # Whether a live paper id appears twice in the searcher's documents.
        self._doubled = False
        self._executor: Executor | None = None
        self._search_lock = threading.Lock()
        self._parser = QueryParser(self._schema)
        self._ix: SignedIndex | None = self._open()

    # --- opening -----------------------------------------------------------

    def _open(self) -> SignedIndex | None:
        """The index on disk if it can be used, else None (recording why); writes nothing."""
        # A damaged index makes Whoosh leave files open when it gives up.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                ix = self._try_open()
            except _Unusable as why:
                self.problem = str(why)
                self.needs_rebuild = True
                self.repairs.append(f"{why}: rebuilding")
                # Only after damage: a full collection costs ~50 ms at 100k papers.
                gc.collect()
                return None
        self.problem = ""
        return ix

    def _try_open(self) -> SignedIndex:
        stamp = self.stamp.read()
        try:
            storage = FileStorage(str(self.folder))
            generation = TOC._latest_generation(storage, INDEX_NAME)
        except OSError:
            generation = -1
        if generation < 0:
            if self.folder.is_dir() and any(p.name != STAMP_FILE for p in self.folder.iterdir()):
                raise _Unusable("search index incomplete")
            raise _Unusable("search index missing")
        if not self.stamp.matches(stamp):
            raise _Unusable("search index built by another version")
        try:
            ix = SignedIndex(storage, self._schema, self.stamp)
            # Touch the reader: a truncated segment fails here, not at open.
            with ix.reader() as reader:
                reader.doc_count()
        except UntrustedIndex:
            raise _Unusable("search index not written by this user's Reading List") from None
        except Exception as exc:  # Whoosh raises many kinds on damage.
            raise _Unusable(f"search index unreadable ({type(exc).__name__}: {exc})") from exc
        return ix

    @property
    def usable(self) -> bool:
        """Whether an index is open (it may still be behind the database)."""
        return self._ix is not None

    def _readable(self) -> SignedIndex | None:
        """The open index; when there is none, one another process may have written since."""
        if self._ix is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                try:
                    self._ix = self._try_open()
                    self.problem = ""
                except _Unusable as why:
                    self.problem = str(why)
        return self._ix

    def _writable(self) -> SignedIndex:
        """The index to write to, a new empty one if the one on disk cannot be used.

        For writers holding the library's write lock only.
        """
        ix = self._readable()
        if ix is None:
            ix = self.reset(aside=True)
        return ix

    def reset(self, *, aside: bool = False) -> SignedIndex:
        """Replace whatever is on disk with an empty index; the owner refills it.

        *aside* keeps the old folder (the newest one only) for diagnosis
        instead of deleting it.  For writers holding the library's write lock.
        """
        with self._search_lock:
            self._close_searcher()
            try:
                last = TOC._latest_generation(FileStorage(str(self.folder)), INDEX_NAME)
            except OSError:
                last = -1
            if self.folder.exists():
                if aside and any(self.folder.iterdir()):
                    self._move_aside()
                else:
                    shutil.rmtree(self.folder, ignore_errors=True)
            self.stamp.start()
            self._ix = SignedIndex.create_signed(
                FileStorage(str(self.folder)), self._schema, self.stamp, generation=last + 1
            )
            self.needs_rebuild = True
            self.problem = ""
            return self._ix

    def _move_aside(self) -> None:
        aside = self.folder.with_name(f"{self.folder.name}.broken-{int(time.time())}")
        try:
            self.folder.rename(aside)
            # Keep only the newest broken copy, for diagnosis, not forever.
            for old in self.folder.parent.glob(f"{self.folder.name}.broken-*"):
                if old != aside:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError:
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def last_error(self) -> str:
        """Why the last index update failed, or the damage a search met ("" once repaired)."""
        return self.stamp.error

    def record_error(self, message: str) -> None:
        """Note a failed update or damage, for ``doctor`` and the next writer, in any process."""
        self.stamp.note_error(message)

    @property
    def seen_changes(self) -> int:
        """The database change counter the index was last brought up to (-1: none)."""
        if self._ix is None and self._readable() is None:
            return -1
        return self.stamp.changes

    def mark_in_step(self, changes: int) -> None:
        """Record that the index reflects the database at change counter *changes* (writers)."""
        self._writable()  # An empty database has an empty index, not none.
        self.stamp.write(changes=changes)
        self.stamp.clear_error()
        self.needs_rebuild = False

    # --- writing -----------------------------------------------------------

    def _writer(self) -> _BulkWriter:
        # One writer per operation.  The library's write lock already keeps
        # other processes out; Whoosh's own lock is still taken, and a
        # writer that somehow meets it held gives up after a few seconds
        # with Whoosh's LockError.  Ours even for deletes: a commit may merge
        # small segments, which it does fast.
        # Segments as plain files, not one compound file: Whoosh reads a compound
        # file's parts through an in-memory copy (BytesIO), which held the whole
        # postings and terms (~85 MB at 100,000 papers) for as long as a
        # searcher was open.
        return _BulkWriter(self._writable(), timeout=10.0, compound=False)

    def index(
        self,
        docs: Iterable[IndexDoc],
        *,
        progress: Callable[[int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        replace: bool = True,
    ) -> int:
        """Add or replace *docs*; return how many were written.

        With ``replace=False`` (a fresh index or new papers) documents are
        added without the per-document delete that an update costs.  A writer
        holds its segment's postings in memory until it commits, so a large
        batch is committed every :data:`DOCS_PER_COMMIT` documents: memory
        stays flat however many papers an import brings.  Documents go to the
        writer as they come (its postings are compact arrays), not through a
        list of a commit's worth of documents.  A cancel stops before the
        next commit (chunks already committed stay, and the caller's stamp
        says the index is not in step).  A failure cancels the uncommitted
        chunk and is raised.
        """
        count = 0
        writer: _BulkWriter | None = None
        ids: list[int] = []
        try:
            for doc in docs:
                if cancelled is not None and count % 500 == 0 and cancelled():
                    return 0
                if writer is None:
                    writer = self._writer()
                writer.add_fields(_fields_of(doc))
                ids.append(doc.id)
                count += 1
                if progress is not None and count % 1000 == 0:
                    progress(count)
                if len(ids) >= DOCS_PER_COMMIT:
                    self._commit(writer, ids, replace)
                    writer, ids = None, []
            if writer is not None:
                self._commit(writer, ids, replace)
                writer = None
        finally:
            # add_fields() may have given up on it already.
            if writer is not None and not writer.is_closed:
                writer.cancel()
        return count

    @staticmethod
    def _commit(writer: _BulkWriter, ids: list[int], replace: bool) -> None:
        """Commit *writer*, which added *ids* (and, if *replace*, deletes their old versions)."""
        if replace:
            # The old versions, all at once (they are in committed segments only).
            writer.delete_unique("pid", ids)
        writer.commit()

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
        """Drop every document (the schema stays).  For writers holding the write lock."""
        self.reset()

    # --- reading -----------------------------------------------------------

    def doc_count(self) -> int:
        ix = self._readable()
        if ix is None:
            return 0
        with ix.reader() as reader:
            return int(reader.doc_count())

    def documents(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The paper id and revision of every live document, duplicates included."""
        ix = self._readable()
        empty = np.zeros(0, dtype=np.int64)
        if ix is None:
            return empty, empty
        with ix.reader() as reader:
            if reader.doc_count() == 0:
                return empty, empty
            pids = reader.column_reader("pid")
            revs = reader.column_reader("rev")
            live = list(reader.all_doc_ids())
            return (
                np.fromiter((pids[n] for n in live), dtype=np.int64, count=len(live)),
                np.fromiter((revs[n] for n in live), dtype=np.int64, count=len(live)),
            )

    def revisions(self) -> dict[int, int]:
        """Return ``{paper id: revision}`` for every live document."""
        pids, revs = self.documents()
        return dict(zip(pids.tolist(), revs.tolist(), strict=True))

    def compare(self, expected: dict[int, int]) -> IndexCheck:
        """Compare the index with ``{paper id: revision}`` from the database.

        A paper indexed more than once is reported in ``duplicates`` (and
        compared by its last copy).  Raises when the index cannot be read.
        """
        pids, revs = self.documents()
        have = dict(zip(pids.tolist(), revs.tolist(), strict=True))
        check = IndexCheck()
        if len(have) != len(pids):
            unique, counts = np.unique(pids, return_counts=True)
            check.duplicates = unique[counts > 1].tolist()
        for pid, rev in expected.items():
            got = have.get(pid)
            if got is None:
                check.missing.append(pid)
            elif got != rev:
                check.stale.append(pid)
        check.extra = [pid for pid in have if pid not in expected]
        return check

    def damage(self) -> list[str]:
        """Read every byte a search can read; return what is damaged (doctor).

        An index that is not open (missing, unsigned, outdated) has nothing
        to read: :attr:`problem` and :attr:`repairs` say why.
        """
        ix = self._readable()
        if ix is None:
            return []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                return damage(ix, self.stamp)
            except Exception as exc:  # The table of contents itself, or a segment's.
                return [f"unreadable ({type(exc).__name__}: {exc})"]

    def parse(self, text: str) -> wq.Query:
        """Parse the user's query, raising :class:`QuerySyntaxError` with a hint."""
        return self._parser.parse(text)

    def search(
        self,
        text: str,
        limit: int | None = None,
        *,
        scored: bool = True,
        allowed: Iterable[int] | None = None,
        excluded: Iterable[int] | None = None,
    ) -> SearchResult:
        """Return the ids matching *text*, best first when *scored*, and their total.

        *limit* keeps the best *limit* ids (``total`` still counts every
        match).  *allowed*/*excluded* restrict the hits to / away from those
        paper ids (the database's filters).  Equal scores are ordered by
        paper id, so the order is the same wherever the papers sit in the
        index.  Unscored ids come in index order.
        """
        parsed = self.parse(text)
        result = SearchResult(ids=[], phrase=plain_words(parsed))
        _collect_terms(parsed, result)
        if parsed is wq.NullQuery:
            return result
        with self._search_lock:
            try:
                self._fresh_searcher()  # Brings the executor and the pid column up to date.
                if self._executor is None:  # No index, or an empty one: nothing to find.
                    return result
                matched, scores = self._executor.run(parsed)
            except MemoryError:
                raise
            except (FileNotFoundError, EmptyIndexError) as exc:
                # Another process replacing the index (a rebuild) is not
                # damage: then the index opens again, or is plainly missing
                # for a moment.  A segment file gone for good is.
                self._close_searcher()
                self._ix = None
                if self._readable() is None and "unreadable" in self.problem:
                    result.error = self._damaged(exc)
                return result
            except Exception as exc:  # Damage shows as any kind of error.
                result.error = self._damaged(exc)
                return result
            pids = self._pid_array
            if allowed is not None:
                matched &= np.isin(pids, np.fromiter(allowed, dtype=np.int64))
            if excluded is not None:
                matched &= ~np.isin(pids, np.fromiter(excluded, dtype=np.int64))
            docs = np.flatnonzero(matched)
            if self._doubled:
                # A paper indexed twice (doctor reports it, a writer repairs
                # it) is still one hit.
                docs = docs[np.sort(np.unique(pids[docs], return_index=True)[1])]
            result.total = len(docs)
            if scored:
                docs = _best_first(docs, scores[docs], pids[docs], limit)
            elif limit is not None:
                docs = docs[:limit]
            result.ids = pids[docs].tolist()
        return result

    def _prefix_terms(self, searcher: Any, field: str, prefix: str) -> list[str]:
        """The terms of *field* a typed *prefix* stands for (see :func:`prefix_stems`)."""
        reader = searcher.reader()
        fieldobj = searcher.schema[field]
        analyzer = getattr(fieldobj, "analyzer", None)

        def expand(p: str) -> list[str]:
            return [
                t.decode("utf-8") if isinstance(t, bytes) else str(t)
                for t in reader.expand_prefix(field, p)
            ]

        if not isinstance(analyzer, WordAnalyzer) or not analyzer.stem:
            return expand(prefix.lower())
        return prefix_stems(
            prefix.lower(),
            lambda word: analyzer._terms[word],
            expand,
            lambda term: (field, term) in reader,
        )

    def _damaged(self, exc: Exception) -> str:
        """A search met damage: forget the searcher, note it for the next writer; the message."""
        self._close_searcher()
        message = (
            f"the search index is damaged ({type(exc).__name__}: {exc}); it is rebuilt by "
            "the next change, the window's check or 'readinglist doctor --repair'"
        )
        log.info("search failed: %s", message)
        self.record_error(message)
        return message

    def drop_caches(self) -> None:
        """Forget the open searcher and what it decoded, as an index change does.

        For measurements: the next search opens the index afresh.
        """
        self._drop_searcher()

    def _drop_searcher(self) -> None:
        with self._search_lock:
            self._close_searcher()

    def _close_searcher(self) -> None:
        """Close the kept searcher (call with the search lock held)."""
        searcher, self._searcher = self._searcher, None
        self._executor = None
        self._doubled = False
        self._pid_array = np.zeros(0, dtype=np.int64)
        if searcher is not None:
            searcher.close()

    def _fresh_searcher(self) -> Any:
        """The kept searcher, brought up to date (call with the search lock held).

        Whoosh's own ``refresh()`` reuses the readers of unchanged segments
        and so misses deletions made in them; a changed index gets a new
        searcher instead.  None when there is no usable index.
        """
        ix = self._readable()
        if ix is None:
            self._close_searcher()
            return None
        if self._searcher is not None:
            if ix.latest_generation() == self._searcher.reader().generation():
                return self._searcher
            self._close_searcher()
        self._searcher = ix.searcher()
        reader = self._searcher.reader()
        if reader.doc_count_all() == 0:
            # Whoosh's empty reader has no columns at all.
            self._pid_array = np.zeros(0, dtype=np.int64)
            self._executor = None
        else:
            self._pid_array = pid_column(reader)
            self._executor = Executor(self._searcher, self._prefix_terms)
            self._doubled = _has_repeats(self._pid_array[self._executor.postings.live])
        return self._searcher

    def close(self) -> None:
        self._drop_searcher()
        if self._ix is not None:
            self._ix.close()


def _has_repeats(values: npt.NDArray[np.int64]) -> bool:
    """Whether any of *values* (paper ids) occurs twice; ~0.3 ms for 100,000."""
    if not len(values):
        return False
    low, high = int(values.min()), int(values.max())
    if low >= 0 and high <= 4 * len(values) + 1_000_000:
        # Counting beats np.unique's hashing (20 ms at 100,000) by far.
        return bool((np.bincount(values) > 1).any())
    return len(np.unique(values)) != len(values)


def _best_first(
    docs: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float64],
    pids: npt.NDArray[np.int64],
    limit: int | None,
) -> npt.NDArray[np.int64]:
    """*docs* ordered by score (highest first), then paper id; the top *limit* only."""
    if limit is not None and limit < len(docs):
        if limit <= 0:
            return docs[:0]
        # Everything scoring at least the limit-th best score (ties included),
        # then an exact sort of those few.
        cut = -np.partition(-scores, limit - 1)[limit - 1]
        keep = scores >= cut
        docs, scores, pids = docs[keep], scores[keep], pids[keep]
    order = np.lexsort((pids, -scores))
    return docs[order][:limit] if limit is not None else docs[order]
