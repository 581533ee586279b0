"""The :class:`Library` facade: one folder holding the database and its index.

Every change goes through a method here that updates the database in one
transaction and then brings the search index in step, so callers (CLI, GUI,
tests) never write to either store directly.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from . import importers
from .citekeys import is_valid_citekey, make_citekey
from .db import (
    Database,
    ImportBatch,
    Note,
    Paper,
    PaperTag,
    SavedSearch,
    Tag,
    bump_change_counter,
    get_meta,
    set_meta,
    utcnow,
)
from .exporters import bibtex as bibtex_export
from .query import Query
from .records import InputError, PaperData, ParsedPaper, ParseResult, Problem
from .search import IndexCheck, IndexDoc, SearchIndex, SearchResult

DB_NAME = "library.sqlite3"
INDEX_DIR = "index"
# Rows per INSERT statement during an import (bounds the memory it needs).
INSERT_BATCH = 2000
# SQLite's default limit on bound parameters is 999 on old builds: stay under it.
CHUNK = 900

ProgressFn = Callable[[str, int, int], None]
CancelFn = Callable[[], bool]


class Cancelled(Exception):
    """The user cancelled a long operation; nothing was changed."""


@dataclass
class ImportReport:
    """What one import did: ids added, duplicates found, problems met."""

    file_name: str
    format: str = ""
    label: str = ""
    batch_id: int | None = None
    added: list[int] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # A failure of the whole file (unreadable, empty, no papers...).
    error: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error and not self.problems

    def summary(self) -> str:
        """One line for the user: file, added, duplicates, problems."""
        if self.error:
            return f"{self.file_name}: failed: {self.error}"
        label = f" [{self.label}]" if self.label else ""
        return (
            f"{self.file_name}{label}: {len(self.added)} added, "
            f"{len(self.duplicates)} duplicates, {len(self.problems)} problems"
        )


@dataclass(frozen=True)
class TagInfo:
    """A tag with the number of (untrashed) papers carrying it."""

    id: int
    name: str
    colour: str
    count: int


@dataclass(frozen=True)
class BatchInfo:
    """An import batch as listed in the sidebar."""

    id: int
    file_name: str
    label: str
    format: str
    added: int
    duplicates: int
    problems: int
    created_at: datetime
    count: int


@dataclass(frozen=True)
class SavedSearchInfo:
    """A saved search: its name and the query it stands for."""

    id: int
    name: str
    query: Query


@dataclass
class Change:
    """Sent to listeners after a change: what kind, and which papers."""

    kind: str
    ids: tuple[int, ...] = ()


@dataclass
class DoctorReport:
    """What ``doctor`` found and fixed."""

    database_problems: list[str] = field(default_factory=list)
    index: IndexCheck = field(default_factory=IndexCheck)
    fixed: list[str] = field(default_factory=list)
    papers: int = 0
    indexed: int = 0

    @property
    def ok(self) -> bool:
        return not self.database_problems and self.index.ok


# --- normalisation for duplicate detection ---------------------------------

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ARXIV_RE = re.compile(
    r"(?:arxiv:)?\s*(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.I
)


def normalise_title(title: str) -> str:
    """Fold case, accents, punctuation and white space so near-identical titles match."""
    decomposed = unicodedata.normalize("NFKD", title)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).split())


def normalise_arxiv(value: str) -> str:
    """Return the bare arXiv id (no ``arXiv:`` prefix, no version), or ""."""
    match = _ARXIV_RE.search(value or "")
    return match.group(1) if match else ""


def normalise_doi(value: str) -> str:
    """Return the DOI lower-cased without resolver prefix, or ""."""
    value = (value or "").strip()
    value = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", value, flags=re.I)
    return value.lower() if value.startswith("10.") else ""


def _dump_list(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _authors_sort(authors: Sequence[str]) -> str:
    if not authors:
        return ""
    first = authors[0]
    family = first.split(",")[0] if "," in first else first.split()[-1] if first.split() else ""
    return normalise_title(f"{family} {first}")


_SNAPSHOT_COLUMNS = (
    Paper.id,
    Paper.title,
    Paper.abstract,
    Paper.authors,
    Paper.year,
    Paper.venue,
    Paper.arxiv_id,
    Paper.doi,
    Paper.url,
    Paper.links,
    Paper.entry_type,
    Paper.citekey,
    Paper.starred,
    Paper.read,
    Paper.batch_id,
    Paper.added_at,
    Paper.updated_at,
    Paper.revision,
    Paper.trashed_at,
)

# Sort orders done by SQLite, each with a tie-breaker so pages are stable.
_SORT_COLUMNS: dict[str, tuple[Any, ...]] = {
    "added": (Paper.added_at, Paper.id),
    "updated": (Paper.updated_at, Paper.id),
    "title": (Paper.title_key, Paper.id),
    "authors": (Paper.authors_sort, Paper.title_key),
    "year": (Paper.year, Paper.title_key),
    "starred": (Paper.starred, Paper.added_at),
    "read": (Paper.read, Paper.added_at),
    "citekey": (Paper.citekey_lower,),
}


def _fetch_ids(session: Session, stmt: Select[int]) -> list[int]:
    """Fetch a column of ids in slices.

    One fetch of 100,000 rows is a single C call that holds the GIL for
    ~100 ms, which the GUI thread feels as a stall while a search runs.
    """
    ids: list[int] = []
    for part in session.execute(stmt).scalars().partitions(5000):
        ids.extend(part)
    return ids


class Library:
    """A reading list on disk: SQLite (source of truth) plus a Whoosh index.

    ``sync_index=True`` (the default) checks the index at open and repairs it
    in the calling thread; the GUI passes ``False`` and runs
    :meth:`sync_index` in a worker so the window shows at once.

    ``background_index=True`` (the GUI) applies index updates of small edits
    (tags, notes, ...) on a thread of the library's own: a Whoosh commit can
    take a while when it merges segments, and a click must never wait for
    it.  :meth:`flush_index` waits until the queue is empty.
    """

    def __init__(
        self, folder: Path, *, sync_index: bool = True, background_index: bool = False
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.folder / DB_NAME)
        self.index = SearchIndex(self.folder / INDEX_DIR)
        if self.db.created:
            self.index.repairs.clear()
        self._index_lock = threading.RLock()
        self.listeners: list[Callable[[Change], None]] = []
        self._queue_cv = threading.Condition()
        self._queued: dict[int, None] = {}
        self._queued_counters: tuple[int, int] | None = None
        self._busy = False
        self._closing = False
        self._indexer: threading.Thread | None = None
        self.index_errors: list[str] = []
        if background_index:
            self._indexer = threading.Thread(
                target=self._index_loop, name="readinglist-indexer", daemon=True
            )
            self._indexer.start()
        if sync_index:
            self.sync_index()

    def close(self) -> None:
        if self._indexer is not None:
            self.flush_index()
            with self._queue_cv:
                self._closing = True
                self._queue_cv.notify_all()
            self._indexer.join(timeout=30)
        self.index.close()
        self.db.close()

    def _index_loop(self) -> None:
        while True:
            with self._queue_cv:
                while not self._queued and not self._closing:
                    self._queue_cv.wait()
                if self._closing and not self._queued:
                    return
                ids = list(self._queued)
                counters = self._queued_counters
                self._queued.clear()
                self._queued_counters = None
                self._busy = True
            try:
                assert counters is not None
                self._apply_index(counters[0], counters[1], ids)
            except Exception as exc:
                # The next start-up check repairs whatever this left stale.
                self.index_errors.append(f"index update failed: {exc}")
            finally:
                with self._queue_cv:
                    self._busy = False
                    self._queue_cv.notify_all()

    def flush_index(self, timeout: float = 60.0) -> bool:
        """Wait until queued index updates are written; return False on timeout."""
        with self._queue_cv:
            return self._queue_cv.wait_for(
                lambda: not self._queued and not self._busy, timeout=timeout
            )

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        return self.folder.name

    # --- change notification -----------------------------------------------

    def _notify(self, kind: str, ids: Iterable[int] = ()) -> None:
        change = Change(kind, tuple(ids))
        for listener in list(self.listeners):
            listener(change)

    # --- index upkeep ------------------------------------------------------

    def changes(self) -> int:
        with self.db.reader() as s:
            return int(get_meta(s, "changes", "0"))

    def index_in_step(self) -> bool:
        """Cheap check: has the index seen the database's latest change?"""
        return not self.index.needs_rebuild and self.index.seen_changes == self.changes()

    def _revisions(self) -> dict[int, int]:
        with self.db.reader() as s:
            return {int(i): int(r) for i, r in s.execute(select(Paper.id, Paper.revision))}

    def check_index(self) -> IndexCheck:
        """Compare every document's revision with the database (full check)."""
        with self._index_lock:
            return self.index.compare(self._revisions())

    def sync_index(
        self, progress: ProgressFn | None = None, cancelled: CancelFn | None = None
    ) -> IndexCheck:
        """Bring the index in step with the database; return what was wrong.

        Skips the full comparison when the change counters agree, which keeps
        start-up cheap on a healthy library.
        """
        with self._index_lock:
            counter = self.changes()
            if not self.index.needs_rebuild and self.index.seen_changes == counter:
                return IndexCheck()
            check = self.index.compare(self._revisions())
            self.index.delete(check.extra)
            todo = check.missing + check.stale
            self._index_ids(
                todo,
                replace=bool(check.stale) or bool(check.extra),
                progress=progress,
                cancelled=cancelled,
            )
            if cancelled is not None and cancelled():
                return check
            self.index.mark_in_step(counter)
            return check

    def rebuild_index(
        self, progress: ProgressFn | None = None, cancelled: CancelFn | None = None
    ) -> int:
        """Drop the index and refill it from the database; return documents written."""
        with self._index_lock:
            counter = self.changes()
            self.index.clear()
            with self.db.reader() as s:
                ids = list(s.scalars(select(Paper.id).order_by(Paper.id)))
            written = self._index_ids(ids, replace=False, progress=progress, cancelled=cancelled)
            if cancelled is None or not cancelled():
                self.index.mark_in_step(counter)
            return written

    def _index_docs(self, ids: Sequence[int]) -> Iterator[IndexDoc]:
        for chunk_start in range(0, len(ids), CHUNK):
            for p in self.get(ids[chunk_start : chunk_start + CHUNK], include_trashed=True):
                yield IndexDoc(
                    id=p.id,
                    revision=p.revision,
                    title=p.title,
                    abstract=p.abstract,
                    authors=p.authors,
                    tags=p.tags,
                    note=p.note,
                    links=(p.url, *p.links, p.doi, p.arxiv_id),
                    citekey=p.citekey,
                )

    def _index_ids(
        self,
        ids: Sequence[int],
        *,
        replace: bool,
        progress: ProgressFn | None = None,
        cancelled: CancelFn | None = None,
    ) -> int:
        if not ids:
            return 0
        total = len(ids)

        def report(done: int) -> None:
            if progress is not None:
                progress("index", done, total)

        return self.index.index(
            self._index_docs(list(ids)), replace=replace, progress=report, cancelled=cancelled
        )

    def _after_commit(self, counter: int, ids: Sequence[int]) -> None:
        """Index *ids* after a committed change that moved the counter to *counter*."""
        if self._indexer is None:
            self._apply_index(counter, counter, ids)
            return
        with self._queue_cv:
            first = self._queued_counters[0] if self._queued_counters else counter
            self._queued_counters = (first, counter)
            self._queued.update(dict.fromkeys(ids))
            self._queue_cv.notify_all()

    def _apply_index(self, first: int, last: int, ids: Sequence[int]) -> None:
        """Write *ids* (changes *first*..*last*) to the index and advance its stamp.

        The stamp only advances when the index had seen every change before
        *first*; otherwise the start-up check does a full comparison.
        """
        with self._index_lock:
            was_in_step = self.index.seen_changes == first - 1 and not self.index.needs_rebuild
            existing = self.existing_ids(ids)
            gone = set(ids) - set(existing)
            self.index.delete(gone)
            self._index_ids(existing, replace=True)
            if was_in_step:
                self.index.mark_in_step(last)

    # --- import --------------------------------------------------------------

    def import_file(
        self,
        path: Path | str,
        progress: ProgressFn | None = None,
        cancelled: CancelFn | None = None,
    ) -> ImportReport:
        """Import one file; failures are reported, never raised (except Cancelled)."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            return ImportReport(file_name=path.name, error=f"{path}: is a folder, not a file")
        except OSError as exc:
            why = exc.strerror or str(exc)
            return ImportReport(file_name=path.name, error=f"{path}: cannot read the file ({why})")
        return self.import_bytes(data, path.name, progress=progress, cancelled=cancelled)

    def import_bytes(
        self,
        data: bytes,
        name: str,
        progress: ProgressFn | None = None,
        cancelled: CancelFn | None = None,
    ) -> ImportReport:
        """Import the bytes of a file (or pasted text) called *name*."""
        t0 = time.perf_counter()
        try:
            result = importers.parse(data, name)
        except InputError as exc:
            return ImportReport(file_name=name, error=str(exc))
        parse_s = time.perf_counter() - t0
        digest = hashlib.sha256(data).hexdigest()
        report = self.import_records(result, name, digest, progress=progress, cancelled=cancelled)
        report.timings["parse"] = parse_s
        return report

    def _existing_keys(self, s: Session) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        by_arxiv: dict[str, int] = {}
        by_doi: dict[str, int] = {}
        by_title: dict[str, int] = {}
        for pid, arxiv, doi, tkey in s.execute(
            select(Paper.id, Paper.arxiv_id, Paper.doi, Paper.title_key)
        ):
            if arxiv:
                by_arxiv[arxiv] = pid
            if doi:
                by_doi[doi] = pid
            by_title[tkey] = pid
        return by_arxiv, by_doi, by_title

    def import_records(
        self,
        result: ParseResult,
        name: str,
        content_hash: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelFn | None = None,
    ) -> ImportReport:
        """Add parsed papers in one transaction (dedupe, citekeys, batch row), then index them.

        Raises :class:`Cancelled` when *cancelled* turns true before the
        commit; the library is then unchanged.
        """
        report = ImportReport(
            file_name=name,
            format=result.format,
            label=result.label,
            problems=list(result.problems),
        )
        total = len(result.papers)
        t0 = time.perf_counter()
        now = utcnow()
        with self.db.transaction() as s:
            batch = ImportBatch(
                file_name=name,
                content_hash=content_hash,
                format=result.format,
                label=result.label,
                created_at=now,
            )
            s.add(batch)
            # The insert takes SQLite's write lock, so the ids below cannot race.
            s.flush()
            by_arxiv, by_doi, by_title = self._existing_keys(s)
            taken = set(s.scalars(select(Paper.citekey_lower)))
            max_id = s.scalar(select(func.max(Paper.id))) or 0
            next_id = max(max_id, int(get_meta(s, "max_paper_id", "0"))) + 1
            rows: list[dict[str, Any]] = []
            tag_links: list[tuple[int, str]] = []
            notes: list[tuple[int, str]] = []
            for n, paper in enumerate(result.papers):
                if cancelled is not None and n % 1000 == 0 and cancelled():
                    raise Cancelled()
                if progress is not None and n % 2000 == 0:
                    progress("database", n, total)
                row = self._row_for(paper, next_id, batch.id, now, taken)
                dup = (
                    (row["arxiv_id"] and by_arxiv.get(row["arxiv_id"]))
                    or (row["doi"] and by_doi.get(row["doi"]))
                    or by_title.get(row["title_key"])
                )
                if dup:
                    report.duplicates.append((paper.title, int(dup)))
                    continue
                if not row["title_key"]:
                    report.problems.append(
                        Problem(
                            "entry has no usable title",
                            line=paper.line,
                            entry=paper.citekey or None,
                        )
                    )
                    continue
                taken.add(row["citekey_lower"])
                if row["arxiv_id"]:
                    by_arxiv[row["arxiv_id"]] = next_id
                if row["doi"]:
                    by_doi[row["doi"]] = next_id
                by_title[row["title_key"]] = next_id
                rows.append(row)
                if len(rows) >= INSERT_BATCH:
                    # Insert as we go: one giant executemany holds a second
                    # copy of every row's parameters at once.
                    s.execute(insert(Paper), rows)
                    rows.clear()
                tag_links.extend((next_id, t) for t in paper.tags)
                if paper.note.strip():
                    notes.append((next_id, paper.note))
                report.added.append(next_id)
                next_id += 1
            if rows:
                s.execute(insert(Paper), rows)
            if tag_links:
                tag_ids = self._ensure_tags(s, {t for _, t in tag_links})
                s.execute(
                    insert(PaperTag).prefix_with("OR IGNORE"),
                    [{"paper_id": p, "tag_id": tag_ids[t.casefold()]} for p, t in tag_links],
                )
            if notes:
                s.execute(
                    insert(Note),
                    [
                        {"paper_id": p, "text": t, "created_at": now, "updated_at": now}
                        for p, t in notes
                    ],
                )
            batch.added = len(report.added)
            batch.duplicates = len(report.duplicates)
            batch.problems = len(report.problems)
            set_meta(s, "max_paper_id", str(next_id - 1))
            if cancelled is not None and cancelled():
                raise Cancelled()
            counter = bump_change_counter(s)
            report.batch_id = batch.id
        t1 = time.perf_counter()
        report.timings["database"] = t1 - t0

        def index_progress(stage: str, done: int, of: int) -> None:
            if progress is not None:
                progress(stage, done, of)

        with self._index_lock:
            was_in_step = self.index.seen_changes == counter - 1 and not self.index.needs_rebuild
            # New ids were never used before (max_paper_id), so plain adds are safe.
            self._index_ids(report.added, replace=False, progress=index_progress)
            if was_in_step:
                self.index.mark_in_step(counter)
        report.timings["index"] = time.perf_counter() - t1
        if progress is not None:
            progress("done", total, total)
        self._notify("import", report.added)
        return report

    def _row_for(
        self, paper: ParsedPaper, pid: int, batch_id: int, now: datetime, taken: set[str]
    ) -> dict[str, Any]:
        title = " ".join(paper.title.split())
        arxiv = normalise_arxiv(paper.arxiv_id)
        doi = normalise_doi(paper.doi)
        key = paper.citekey.strip()
        if not key or not is_valid_citekey(key) or key.lower() in taken:
            key = make_citekey(paper.authors, title, paper.year, taken)
        return {
            "id": pid,
            "title": title,
            "title_key": normalise_title(title),
            "abstract": paper.abstract,
            "authors": _dump_list(paper.authors),
            "authors_sort": _authors_sort(paper.authors),
            "year": paper.year,
            "venue": paper.venue,
            "arxiv_id": arxiv or None,
            "doi": doi or None,
            "url": paper.url,
            "links": _dump_list(paper.links),
            "entry_type": paper.entry_type,
            "citekey": key,
            "citekey_lower": key.lower(),
            "starred": False,
            "read": False,
            "batch_id": batch_id,
            "added_at": now,
            "updated_at": now,
            "revision": 1,
            "trashed_at": None,
        }

    # --- reading -------------------------------------------------------------

    def _filters(self, q: Query) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [
            Paper.trashed_at.is_not(None) if q.trashed else Paper.trashed_at.is_(None)
        ]
        if q.starred is not None:
            conds.append(Paper.starred.is_(q.starred))
        if q.read is not None:
            conds.append(Paper.read.is_(q.read))
        if q.batch_id is not None:
            conds.append(Paper.batch_id == q.batch_id)
        if q.added_since is not None:
            conds.append(Paper.added_at >= q.added_since)
        for tag in q.tags:
            conds.append(
                exists().where(
                    PaperTag.paper_id == Paper.id,
                    PaperTag.tag_id == Tag.id,
                    Tag.name_lower == tag.casefold(),
                )
            )
        if q.tags_any:
            conds.append(
                exists().where(
                    PaperTag.paper_id == Paper.id,
                    PaperTag.tag_id == Tag.id,
                    Tag.name_lower.in_([t.casefold() for t in q.tags_any]),
                )
            )
        return conds

    def search(self, text: str, limit: int | None = None) -> SearchResult:
        """Full-text search over every paper (trash included); best first."""
        return self.index.search(text, limit=limit)

    def query_ids(self, q: Query) -> list[int]:
        """Return the ids that *q* selects, in its order.

        Raises :class:`readinglist.search.QuerySyntaxError` for a bad query.
        """
        return self.query(q)[0]

    def query(self, q: Query) -> tuple[list[int], SearchResult | None]:
        """Like :meth:`query_ids`, also returning the search result for highlights."""
        relevance = q.sort == "relevance" and bool(q.text.strip())
        hits: SearchResult | None = None
        if q.text.strip():
            hits = self.index.search(q.text, scored=relevance)
        conds = self._filters(q)
        with self.db.reader() as s:
            if relevance and hits is not None:
                allowed = set(_fetch_ids(s, select(Paper.id).where(and_(*conds))))
                ids = [i for i in hits.ids if i in allowed]
                if not q.descending:
                    ids.reverse()
            else:
                cols = _SORT_COLUMNS.get(q.sort, _SORT_COLUMNS["added"])
                order = [c.desc() if q.descending else c.asc() for c in cols]
                ids = _fetch_ids(s, select(Paper.id).where(and_(*conds)).order_by(*order))
                if hits is not None:
                    found = set(hits.ids)
                    ids = [i for i in ids if i in found]
        if q.ids is not None:
            wanted = set(q.ids)
            ids = [i for i in ids if i in wanted]
        return ids, hits

    def count(self, q: Query | None = None) -> int:
        q = q or Query()
        if q.text.strip() or q.ids is not None:
            return len(self.query_ids(q))
        with self.db.reader() as s:
            return int(s.scalar(select(func.count(Paper.id)).where(and_(*self._filters(q)))) or 0)

    def get(self, ids: Sequence[int], *, include_trashed: bool = True) -> list[PaperData]:
        """Return snapshots of *ids* in the given order (unknown ids are skipped)."""
        out: dict[int, PaperData] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            with self.db.reader() as s:
                tags: dict[int, list[str]] = {}
                for pid, name in s.execute(
                    select(PaperTag.paper_id, Tag.name)
                    .join(Tag, Tag.id == PaperTag.tag_id)
                    .where(PaperTag.paper_id.in_(chunk))
                    .order_by(Tag.name_lower)
                ):
                    tags.setdefault(pid, []).append(name)
                notes = {
                    k: v
                    for k, v in s.execute(
                        select(Note.paper_id, Note.text).where(Note.paper_id.in_(chunk))
                    )
                }
                # Plain column rows, not ORM instances: identity-map bookkeeping
                # per object was most of the cost of exporting 100,000 papers.
                for p in s.execute(select(*_SNAPSHOT_COLUMNS).where(Paper.id.in_(chunk))):
                    if p.trashed_at is not None and not include_trashed:
                        continue
                    out[p.id] = PaperData(
                        id=p.id,
                        title=p.title,
                        abstract=p.abstract,
                        authors=tuple(json.loads(p.authors)),
                        year=p.year,
                        venue=p.venue,
                        arxiv_id=p.arxiv_id or "",
                        doi=p.doi or "",
                        url=p.url,
                        links=tuple(json.loads(p.links)),
                        entry_type=p.entry_type,
                        citekey=p.citekey,
                        starred=p.starred,
                        read=p.read,
                        tags=tuple(tags.get(p.id, ())),
                        note=notes.get(p.id, ""),
                        batch_id=p.batch_id,
                        added_at=p.added_at,
                        updated_at=p.updated_at,
                        revision=p.revision,
                        trashed=p.trashed_at is not None,
                    )
        return [out[i] for i in ids if i in out]

    def paper(self, pid: int) -> PaperData:
        found = self.get([pid])
        if not found:
            raise KeyError(f"no paper with id {pid}")
        return found[0]

    def papers(self, q: Query | None = None) -> list[PaperData]:
        return self.get(self.query_ids(q or Query()))

    def iter_papers(self, ids: Sequence[int], chunk: int = CHUNK) -> Iterator[PaperData]:
        for start in range(0, len(ids), chunk):
            yield from self.get(ids[start : start + chunk])

    def existing_ids(self, ids: Iterable[int]) -> list[int]:
        ids = list(ids)
        with self.db.reader() as s:
            found: set[int] = set()
            for start in range(0, len(ids), CHUNK):
                found |= set(
                    s.scalars(select(Paper.id).where(Paper.id.in_(ids[start : start + CHUNK])))
                )
        return [i for i in ids if i in found]

    # --- mutations -----------------------------------------------------------

    def _mutate(
        self,
        kind: str,
        ids: Sequence[int],
        apply: Callable[[Session, list[int]], Iterable[int] | None],
        *,
        reindex: bool = True,
    ) -> list[int]:
        """Run *apply* in one transaction, bump revisions, then reindex.

        *apply* may return the ids it really changed (default: all *ids*).
        ``reindex=False`` is for changes to fields the index does not hold
        (star, read state, trash): the revision counts indexed content only,
        so bulk starring 10,000 papers costs no index writes.
        """
        ids = list(dict.fromkeys(ids))
        with self.db.transaction() as s:
            changed = apply(s, ids)
            touched = list(ids if changed is None else dict.fromkeys(changed))
            now = utcnow()
            bump = {"revision": Paper.revision + 1} if reindex else {}
            for start in range(0, len(touched), CHUNK):
                s.execute(
                    update(Paper)
                    .where(Paper.id.in_(touched[start : start + CHUNK]))
                    .values(updated_at=now, **bump)
                )
            counter = bump_change_counter(s) if reindex and touched else 0
        if counter:
            self._after_commit(counter, touched)
        self._notify(kind, touched)
        return touched

    def set_starred(self, ids: Sequence[int], starred: bool = True) -> list[int]:
        return self._set_flag("starred", ids, starred)

    def set_read(self, ids: Sequence[int], read: bool = True) -> list[int]:
        return self._set_flag("read", ids, read)

    def _set_flag(self, column: str, ids: Sequence[int], value: bool) -> list[int]:
        col = getattr(Paper, column)

        def apply(s: Session, ids: list[int]) -> list[int]:
            changed: list[int] = []
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                changed += list(
                    s.scalars(select(Paper.id).where(Paper.id.in_(chunk), col.is_not(value)))
                )
                s.execute(update(Paper).where(Paper.id.in_(chunk)).values({column: value}))
            return changed

        return self._mutate(column, ids, apply, reindex=False)

    def _ensure_tags(self, s: Session, names: Iterable[str]) -> dict[str, int]:
        """Return ``{casefolded name: tag id}``, creating missing tags."""
        wanted = {" ".join(n.split()): None for n in names if n.strip()}
        folded = {n.casefold(): n for n in wanted}
        have = {
            k: v
            for k, v in s.execute(
                select(Tag.name_lower, Tag.id).where(Tag.name_lower.in_(list(folded)))
            )
        }
        for low, name in folded.items():
            if low not in have:
                tag = Tag(name=name, name_lower=low, colour="")
                s.add(tag)
                s.flush()
                have[low] = tag.id
        return have

    def add_tags(self, ids: Sequence[int], names: Iterable[str]) -> list[int]:
        names = [n for n in names if n.strip()]

        def apply(s: Session, ids: list[int]) -> None:
            tag_ids = self._ensure_tags(s, names)
            rows = [{"paper_id": p, "tag_id": t} for p in ids for t in tag_ids.values()]
            if rows:
                s.execute(insert(PaperTag).prefix_with("OR IGNORE"), rows)

        return self._mutate("tags", self.existing_ids(ids), apply)

    def remove_tags(self, ids: Sequence[int], names: Iterable[str]) -> list[int]:
        lows = [" ".join(n.split()).casefold() for n in names]

        def apply(s: Session, ids: list[int]) -> None:
            tag_ids = list(s.scalars(select(Tag.id).where(Tag.name_lower.in_(lows))))
            for start in range(0, len(ids), CHUNK):
                s.execute(
                    delete(PaperTag).where(
                        PaperTag.paper_id.in_(ids[start : start + CHUNK]),
                        PaperTag.tag_id.in_(tag_ids),
                    )
                )

        return self._mutate("tags", self.existing_ids(ids), apply)

    def set_note(self, pid: int, text: str) -> None:
        """Replace the note of *pid* (an empty text removes it)."""
        self.paper(pid)

        def apply(s: Session, ids: list[int]) -> list[int]:
            note = s.get(Note, pid)
            if (note.text if note else "") == text:
                return []
            now = utcnow()
            if not text.strip():
                if note is not None:
                    s.delete(note)
            elif note is None:
                s.add(Note(paper_id=pid, text=text, created_at=now, updated_at=now))
            else:
                note.text = text
                note.updated_at = now
            return ids

        self._mutate("note", [pid], apply)

    def append_note(self, pid: int, text: str) -> None:
        current = self.paper(pid).note
        joined = f"{current.rstrip()}\n\n{text}" if current.strip() else text
        self.set_note(pid, joined)

    EDITABLE = (
        "title",
        "abstract",
        "authors",
        "year",
        "venue",
        "arxiv_id",
        "doi",
        "url",
        "links",
        "entry_type",
    )

    def update_paper(self, pid: int, **values: Any) -> None:
        """Edit bibliographic fields of one paper."""
        unknown = set(values) - set(self.EDITABLE)
        if unknown:
            raise ValueError(f"cannot edit {', '.join(sorted(unknown))}")
        row: dict[str, Any] = {}
        for key, value in values.items():
            if key in {"authors", "links"}:
                row[key] = _dump_list(list(value))
                if key == "authors":
                    row["authors_sort"] = _authors_sort(list(value))
            elif key == "title":
                title = " ".join(str(value).split())
                if not title:
                    raise ValueError("a paper needs a title")
                row["title"], row["title_key"] = title, normalise_title(title)
            elif key == "arxiv_id":
                row[key] = normalise_arxiv(str(value)) or None
            elif key == "doi":
                row[key] = normalise_doi(str(value)) or None
            else:
                row[key] = value
        self.paper(pid)

        def apply(s: Session, ids: list[int]) -> None:
            s.execute(update(Paper).where(Paper.id == pid).values(row))

        self._mutate("edit", [pid], apply)

    def set_citekey(self, pid: int, key: str) -> None:
        """Change a paper's citation key; raises ValueError if invalid or taken."""
        key = key.strip()
        if not is_valid_citekey(key):
            raise ValueError(f"'{key}' is not a valid citation key (no spaces or {{}}(),=\\#%~\"')")
        with self.db.reader() as s:
            other = s.scalar(
                select(Paper.id).where(Paper.citekey_lower == key.lower(), Paper.id != pid)
            )
        if other is not None:
            raise ValueError(f"citation key '{key}' is already used by paper {other}")
        self.paper(pid)

        def apply(s: Session, ids: list[int]) -> None:
            s.execute(
                update(Paper).where(Paper.id == pid).values(citekey=key, citekey_lower=key.lower())
            )

        self._mutate("citekey", [pid], apply)

    def trash(self, ids: Sequence[int]) -> list[int]:
        """Move papers to the trash (restorable)."""
        now = utcnow()

        def apply(s: Session, ids: list[int]) -> None:
            for start in range(0, len(ids), CHUNK):
                s.execute(
                    update(Paper)
                    .where(Paper.id.in_(ids[start : start + CHUNK]), Paper.trashed_at.is_(None))
                    .values(trashed_at=now)
                )

        return self._mutate("trash", self.existing_ids(ids), apply, reindex=False)

    def restore(self, ids: Sequence[int]) -> list[int]:
        def apply(s: Session, ids: list[int]) -> None:
            for start in range(0, len(ids), CHUNK):
                s.execute(
                    update(Paper)
                    .where(Paper.id.in_(ids[start : start + CHUNK]))
                    .values(trashed_at=None)
                )

        return self._mutate("restore", self.existing_ids(ids), apply, reindex=False)

    def purge(self, ids: Sequence[int]) -> list[int]:
        """Delete papers for good (database and index)."""
        ids = self.existing_ids(ids)
        with self.db.transaction() as s:
            for start in range(0, len(ids), CHUNK):
                s.execute(delete(Paper).where(Paper.id.in_(ids[start : start + CHUNK])))
            counter = bump_change_counter(s)
        self._after_commit(counter, ids)
        self._notify("purge", ids)
        return ids

    def empty_trash(self) -> list[int]:
        return self.purge(self.query_ids(Query(trashed=True)))

    # --- tags ----------------------------------------------------------------

    def tags(self) -> list[TagInfo]:
        with self.db.reader() as s:
            counts = {
                k: v
                for k, v in s.execute(
                    select(PaperTag.tag_id, func.count())
                    .join(Paper, Paper.id == PaperTag.paper_id)
                    .where(Paper.trashed_at.is_(None))
                    .group_by(PaperTag.tag_id)
                )
            }
            return [
                TagInfo(t.id, t.name, t.colour, int(counts.get(t.id, 0)))
                for t in s.scalars(select(Tag).order_by(Tag.name_lower))
            ]

    def _tag_paper_ids(self, s: Session, tag_ids: Sequence[int]) -> list[int]:
        return list(
            s.scalars(select(PaperTag.paper_id).where(PaperTag.tag_id.in_(tag_ids)).distinct())
        )

    def _tag_id(self, s: Session, name: str) -> int:
        tid = s.scalar(select(Tag.id).where(Tag.name_lower == " ".join(name.split()).casefold()))
        if tid is None:
            raise KeyError(f"no tag named '{name}'")
        return int(tid)

    def set_tag_colour(self, name: str, colour: str) -> None:
        with self.db.transaction() as s:
            s.execute(update(Tag).where(Tag.id == self._tag_id(s, name)).values(colour=colour))
        self._notify("tag-colour")

    def rename_tag(self, old: str, new: str) -> None:
        """Rename a tag; renaming onto an existing tag merges the two."""
        new = " ".join(new.split())
        if not new:
            raise ValueError("a tag needs a name")
        with self.db.reader() as s:
            target = s.scalar(select(Tag.id).where(Tag.name_lower == new.casefold()))
            source = self._tag_id(s, old)
        if target is not None and target != source:
            self.merge_tags([old], new)
            return

        def apply(s: Session, ids: list[int]) -> None:
            s.execute(
                update(Tag).where(Tag.id == source).values(name=new, name_lower=new.casefold())
            )

        with self.db.reader() as s:
            ids = self._tag_paper_ids(s, [source])
        self._mutate("tags", ids, apply)

    def merge_tags(self, sources: Sequence[str], target: str) -> None:
        """Give every paper tagged with any of *sources* the *target* tag, then drop the sources."""
        with self.db.reader() as s:
            src_ids = [self._tag_id(s, n) for n in sources]
            ids = self._tag_paper_ids(s, src_ids)

        def apply(s: Session, ids: list[int]) -> None:
            tid = self._ensure_tags(s, [target])[" ".join(target.split()).casefold()]
            rows = [{"paper_id": p, "tag_id": tid} for p in ids]
            if rows:
                s.execute(insert(PaperTag).prefix_with("OR IGNORE"), rows)
            drop = [i for i in src_ids if i != tid]
            s.execute(delete(PaperTag).where(PaperTag.tag_id.in_(drop)))
            s.execute(delete(Tag).where(Tag.id.in_(drop)))

        self._mutate("tags", ids, apply)

    def delete_tag(self, name: str) -> None:
        with self.db.reader() as s:
            tid = self._tag_id(s, name)
            ids = self._tag_paper_ids(s, [tid])

        def apply(s: Session, ids: list[int]) -> None:
            s.execute(delete(PaperTag).where(PaperTag.tag_id == tid))
            s.execute(delete(Tag).where(Tag.id == tid))

        self._mutate("tags", ids, apply)

    # --- batches and saved searches ---------------------------------------------

    def batches(self) -> list[BatchInfo]:
        with self.db.reader() as s:
            counts = {
                k: v
                for k, v in s.execute(
                    select(Paper.batch_id, func.count())
                    .where(Paper.trashed_at.is_(None))
                    .group_by(Paper.batch_id)
                )
            }
            return [
                BatchInfo(
                    b.id,
                    b.file_name,
                    b.label,
                    b.format,
                    b.added,
                    b.duplicates,
                    b.problems,
                    b.created_at,
                    int(counts.get(b.id, 0)),
                )
                for b in s.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()))
            ]

    def save_search(self, name: str, query: Query) -> int:
        name = name.strip()
        if not name:
            raise ValueError("a saved search needs a name")
        with self.db.transaction() as s:
            found = s.scalar(select(SavedSearch).where(SavedSearch.name == name))
            if found is None:
                found = SavedSearch(name=name, query=query.to_json(), created_at=utcnow())
                s.add(found)
            else:
                found.query = query.to_json()
            s.flush()
            sid = found.id
        self._notify("saved-search")
        return sid

    def saved_searches(self) -> list[SavedSearchInfo]:
        with self.db.reader() as s:
            out = []
            for row in s.scalars(select(SavedSearch).order_by(SavedSearch.name)):
                try:
                    out.append(SavedSearchInfo(row.id, row.name, Query.from_json(row.query)))
                except (ValueError, TypeError):
                    continue  # A damaged row is skipped rather than breaking the sidebar.
            return out

    def delete_saved_search(self, sid: int) -> None:
        with self.db.transaction() as s:
            s.execute(delete(SavedSearch).where(SavedSearch.id == sid))
        self._notify("saved-search")

    # --- export and maintenance -----------------------------------------------

    def export_bibtex(
        self,
        ids: Sequence[int],
        fp: TextIO,
        progress: ProgressFn | None = None,
        cancelled: CancelFn | None = None,
    ) -> int:
        """Write BibTeX for *ids* to *fp*; return the number of entries."""
        total = len(ids)
        written = 0
        # Shared across chunks so keys stay unique in the whole file.
        taken: set[str] = set()
        for start in range(0, total, CHUNK):
            if cancelled is not None and cancelled():
                raise Cancelled()
            papers = self.get(ids[start : start + CHUNK])
            written += bibtex_export.dump(papers, fp, taken=taken)
            if progress is not None:
                progress("export", min(start + CHUNK, total), total)
        return written

    def recent_cutoff(self, days: int = 7) -> datetime:
        return utcnow() - timedelta(days=days)

    def doctor(self, repair: bool = False) -> DoctorReport:
        """Check database integrity and index consistency; repair the index if asked."""
        report = DoctorReport(database_problems=self.db.integrity_check())
        with self._index_lock:
            revisions = self._revisions()
            report.papers = len(revisions)
            report.index = self.index.compare(revisions)
            report.indexed = self.index.doc_count()
            if repair and not report.index.ok:
                self.index.delete(report.index.extra)
                self._index_ids(report.index.missing + report.index.stale, replace=True)
                report.fixed.append(
                    f"index: added {len(report.index.missing)}, refreshed "
                    f"{len(report.index.stale)}, removed {len(report.index.extra)}"
                )
            if repair:
                self.index.mark_in_step(self.changes())
        return report
