"""The index in a library folder: :class:`SearchIndex`, opening, writing and searching.

This module owns the index's life: opening it (moving a damaged or outdated
one aside and recreating it empty), the stamp recording which database
change it reflects, adding and deleting documents through
:class:`~.bulkwriter._BulkWriter`, comparing it with the database, and
parsing and running queries with one searcher kept open.  Searching is
plain Whoosh.
"""

from __future__ import annotations

import contextlib
import gc
import json
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
from whoosh import index
from whoosh import query as wq

from .analysis import (
    INDEX_SCHEMA_VERSION,
    IndexDoc,
    WordAnalyzer,
    _schema,
)
from .bulkwriter import _BulkWriter, _fields_of
from .executor import Executor
from .parsing import QueryParser
from .postings import pid_column
from .prefixes import prefix_stems
from .results import IndexCheck, SearchResult, _collect_terms, plain_words

STAMP_FILE = "readinglist-stamp.json"
# Documents per index commit: ~70 MB of postings in memory at most.
DOCS_PER_COMMIT = 20_000
# The bulk writer and the executor read and write Whoosh's on-disk format
# through its internals: an index written under another Whoosh release is
# rebuilt rather than misread.
WHOOSH_VERSION = ".".join(map(str, whoosh.__version__))


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
        self._pid_array: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._executor: Executor | None = None
        self._search_lock = threading.Lock()
        self._parser = QueryParser(self._ix.schema)

    # --- opening -----------------------------------------------------------

    def _open(self) -> Any:
        # A damaged index makes Whoosh leave files open when it gives up.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                return self._open_or_create()
            finally:
                # Only after damage: a full collection costs ~50 ms at 100k papers.
                if self.repairs:
                    gc.collect()

    def _open_or_create(self) -> Any:
        stamp = self._read_stamp()
        try:
            exists = index.exists_in(str(self.folder))
        except Exception as exc:  # A garbled table of contents fails here.
            self._move_aside(f"unreadable ({type(exc).__name__}: {exc})")
            return self._create()
        if exists:
            if (stamp.get("schema"), stamp.get("whoosh")) == (INDEX_SCHEMA_VERSION, WHOOSH_VERSION):
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

    def _write_stamp(self, changes: int, error: str = "") -> None:
        tmp = self.folder / (STAMP_FILE + ".tmp")
        stamp: dict[str, Any] = {
            "schema": INDEX_SCHEMA_VERSION,
            "whoosh": WHOOSH_VERSION,
            "changes": changes,
        }
        if error:
            stamp["error"] = error
        tmp.write_text(json.dumps(stamp))
        tmp.replace(self.folder / STAMP_FILE)

    @property
    def last_error(self) -> str:
        """Why the last index update failed ("" once the index is back in step)."""
        value = self._read_stamp().get("error", "")
        return value if isinstance(value, str) else ""

    def record_error(self, message: str) -> None:
        """Remember a failed update in the stamp, for ``doctor`` in any process."""
        # The folder itself may be what fails: the caller reports the error anyway.
        with contextlib.suppress(OSError):
            self._write_stamp(self.seen_changes, message)

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
        # Segments as plain files, not one compound file: Whoosh reads a compound
        # file's parts through an in-memory copy (BytesIO), which held the whole
        # postings and terms (~85 MB at 100,000 papers) for as long as a
        # searcher was open.
        return _BulkWriter(self._ix, timeout=10.0, compound=False)

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
            self._fresh_searcher()  # Brings the executor and the pid column up to date.
            if self._executor is None:  # An empty index: nothing to find.
                return result
            matched, scores = self._executor.run(parsed)
            pids = self._pid_array
            if allowed is not None:
                matched &= np.isin(pids, np.fromiter(allowed, dtype=np.int64))
            if excluded is not None:
                matched &= ~np.isin(pids, np.fromiter(excluded, dtype=np.int64))
            docs = np.flatnonzero(matched)
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

    def drop_caches(self) -> None:
        """Forget the open searcher and what it decoded, as an index change does.

        For measurements: the next search opens the index afresh.
        """
        self._drop_searcher()

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
        reader = self._searcher.reader()
        if reader.doc_count_all() == 0:
            # Whoosh's empty reader has no columns at all.
            self._pid_array = np.zeros(0, dtype=np.int64)
            self._executor = None
        else:
            self._pid_array = pid_column(reader)
            self._executor = Executor(self._searcher, self._prefix_terms)
        return self._searcher

    def close(self) -> None:
        self._drop_searcher()
        self._ix.close()


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
