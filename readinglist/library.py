"""The :class:`Library` facade: one folder holding the database and its index.

Clients (the CLI, the GUI, tests) hold one ``Library`` and call it; it
delegates every call to the core service that owns the job (see
:mod:`readinglist.core`).  Every change goes through the unit of work in
:mod:`readinglist.core.writes`, which updates the database in one
transaction and then brings the search index in step, so no caller ever
writes to either store directly.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from .core.backups import MANUAL, BackupError, Backups, Restored, Snapshot
from .core.duplicates import DuplicatePair, Duplicates
from .core.edits import EDITABLE, Edits
from .core.exports import Exports, ExportScope, scope_ids
from .core.faults import EnvironmentFault
from .core.health import LibraryDamaged, Salvaged, examine, salvage, write_marker
from .core.identifiers import normalise_title
from .core.imports import Importer, ImportPlanner, ImportReport
from .core.index_sync import (
    DoctorReport,
    IndexLag,
    IndexSync,
    IndexUpdateError,
    WriteLock,
)
from .core.progress import Cancelled, Progress
from .core.query import Query
from .core.reads import Reads
from .core.tags import TagInfo, Tags, TagSnapshot
from .core.views import BatchInfo, SavedSearchInfo, Views, recent_cutoff, view_counts
from .core.writes import Change, UnitOfWork
from .db import Database
from .records import PaperData, ParseResult
from .search import IndexCheck, SearchIndex, SearchResult

if TYPE_CHECKING:
    from .core.fill import FillReport, MetadataFill

__all__ = [
    "BatchInfo",
    "Cancelled",
    "Change",
    "DoctorReport",
    "DuplicatePair",
    "ImportPlanner",
    "ImportReport",
    "IndexUpdateError",
    "Library",
    "LibraryDamaged",
    "Progress",
    "SavedSearchInfo",
    "TagInfo",
    "normalise_title",
]

DB_NAME = "library.sqlite3"
INDEX_DIR = "index"


class Library:
    """A reading list on disk: SQLite (source of truth) plus a Whoosh index.

    This class is a facade and has one public method per user-level
    operation (about fifty), more than the ~25 a class should have: that is
    its job, since clients hold this one object.  Each method is a one-line
    delegation to a service of :mod:`readinglist.core`; the services are
    also reachable as attributes (``reads``, ``edits``, ``tags_service``,
    ``imports``, ``exports``, ``views``, ``sync``, ``uow``).

    ``sync_index=True`` (the default, for writers) checks the index at open
    and repairs it in the calling thread, holding the library's write lock
    (waiting up to *write_wait* seconds for another writer, by default
    :data:`~readinglist.core.index_sync.WRITE_WAIT`; *on_wait* is called
    once if it has to wait).  Readers pass ``False``: opening then
    never takes the lock and never writes to the index, and
    :meth:`index_lag` says whether answers may miss recent changes.  The GUI
    passes ``False`` too and runs :meth:`sync_index` in a worker so the
    window shows at once.  ``background_index=True`` (the GUI) applies index
    updates of small edits on a thread of their own (see
    :mod:`readinglist.core.index_sync`).
    """

    EDITABLE = EDITABLE

    def __init__(
        self,
        folder: Path,
        *,
        sync_index: bool = True,
        background_index: bool = False,
        write_wait: float | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise EnvironmentFault(
                f"{self.folder}: this is a file, not a library folder; "
                "give --library a folder (it is created if missing)"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        db_path = self.folder / DB_NAME
        # A missing, empty or damaged database is named, never replaced by a new one.
        health = examine(self.folder, db_path)
        if not health.usable:
            raise LibraryDamaged(health)
        self.backups = Backups(self.folder, db_path)
        self.db = Database(db_path, before_migration=self._before_migration)
        write_marker(self.folder)
        self.index = SearchIndex(self.folder / INDEX_DIR)
        if self.db.created:
            self.index.repairs.clear()
        self.reads = Reads(self.db, self.index)
        self.write_lock = WriteLock(self.folder, write_wait, on_wait)
        self.sync = IndexSync(
            self.db,
            self.index,
            self.reads,
            background=background_index,
            write_lock=self.write_lock,
        )
        self.uow = UnitOfWork(self.db, self.sync)
        self.sync.on_error = lambda _message: self.uow.notify("index-error")
        self.edits = Edits(self.db, self.reads, self.uow)
        self.tags_service = Tags(self.db, self.reads, self.uow)
        self.imports = Importer(self.db, self.uow)
        self.duplicates = Duplicates(self.db, self.reads, self.uow)
        self.exports = Exports(self.reads)
        self.views = Views(self.db, self.uow)
        if sync_index:
            self.sync_index()

    def _before_migration(self, version: int) -> str:
        snapshot = self.backups.take(f"before-upgrade-from-v{version}")
        return f"backed up the library to {snapshot.path}"

    def close(self) -> None:
        """Write queued index updates, then close the index and the database."""
        self.sync.close()
        self.index.close()
        self.db.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def listeners(self) -> list[Callable[[Change], None]]:
        """Called with a :class:`Change` after every change, from the writing thread."""
        return self.uow.listeners

    @property
    def index_errors(self) -> list[str]:
        """Index updates that failed in the background (repaired at next start)."""
        return self.sync.errors

    # --- the index -------------------------------------------------------------

    def flush_index(self, timeout: float = 60.0) -> bool:
        return self.sync.flush(timeout)

    def changes(self) -> int:
        return self.reads.changes()

    def index_in_step(self) -> bool:
        return self.sync.in_step()

    def index_lag(self) -> IndexLag:
        return self.sync.lag()

    def check_index(self) -> IndexCheck:
        return self.sync.check()

    def sync_index(self, progress: Progress | None = None) -> IndexCheck:
        return self.sync.sync(progress)

    def rebuild_index(self, progress: Progress | None = None) -> int:
        return self.sync.rebuild(progress)

    def doctor(self, repair: bool = False) -> DoctorReport:
        return self.sync.doctor(repair)

    # --- import ----------------------------------------------------------------

    def import_paths(
        self, paths: Sequence[Path], progress: Progress | None = None
    ) -> list[ImportReport]:
        return self.imports.import_paths(paths, progress)

    def import_file(self, path: Path | str, progress: Progress | None = None) -> ImportReport:
        return self.imports.import_file(path, progress)

    def import_bytes(
        self, data: bytes, name: str, progress: Progress | None = None
    ) -> ImportReport:
        return self.imports.import_bytes(data, name, progress)

    def import_records(
        self,
        result: ParseResult,
        name: str,
        content_hash: str = "",
        *,
        progress: Progress | None = None,
    ) -> ImportReport:
        return self.imports.import_records(result, name, content_hash, progress=progress)

    # --- duplicates ------------------------------------------------------------

    def find_duplicates(
        self, progress: Progress | None = None, ids: Sequence[int] | None = None
    ) -> list[DuplicatePair]:
        """Likely duplicate pairs among the papers (or between *ids* and the rest)."""
        return self.duplicates.find(ids, progress)

    def merge_papers(self, keep: int, other: int) -> int:
        """Fold *other* into *keep* (every tag, note, star, link, attachment) and delete it.

        A snapshot is taken first: the merge deletes a paper, which undo
        cannot bring back.
        """
        self.snapshot_before("merge-papers")
        return self.duplicates.merge(keep, other)

    # --- metadata fill ---------------------------------------------------------

    @functools.cached_property
    def metadata(self) -> MetadataFill:
        # Imported on first use: the HTTP and XML modules it needs would add
        # to every start of the window and the command line.
        from .core.fill import MetadataFill

        return MetadataFill(self.reads, self.edits)

    def fill_metadata(self, ids: Sequence[int], progress: Progress | None = None) -> FillReport:
        """Look *ids* up on arXiv and Crossref and fill what they lack (see core.fill)."""
        return self.metadata.fill(ids, progress)

    # --- reading ---------------------------------------------------------------

    def search(self, text: str, limit: int | None = None) -> SearchResult:
        return self.reads.search(text, limit)

    def query(self, q: Query) -> tuple[list[int], SearchResult | None]:
        return self.reads.query(q)

    def query_ids(self, q: Query) -> list[int]:
        return self.reads.query(q)[0]

    def count(self, q: Query | None = None) -> int:
        return self.reads.count(q)

    def any_with(self, field: Literal["authors", "year"]) -> bool:
        return self.reads.any_with(field)

    def page(self, q: Query, offset: int = 0, limit: int = 50) -> tuple[list[int], int]:
        return self.reads.page(q, offset, limit)

    def get(self, ids: Sequence[int], *, include_trashed: bool = True) -> list[PaperData]:
        return self.reads.get(ids, include_trashed=include_trashed)

    def paper(self, pid: int) -> PaperData:
        return self.reads.paper(pid)

    def papers(self, q: Query | None = None) -> list[PaperData]:
        return self.reads.get(self.query_ids(q or Query()))

    def iter_papers(self, ids: Sequence[int]) -> Iterator[PaperData]:
        return self.reads.iter_papers(ids)

    def existing_ids(self, ids: Iterable[int]) -> list[int]:
        return self.reads.existing_ids(ids)

    # --- edits -----------------------------------------------------------------

    def set_starred(self, ids: Sequence[int], starred: bool = True) -> list[int]:
        return self.edits.set_flag("starred", ids, starred)

    def set_read(self, ids: Sequence[int], read: bool = True) -> list[int]:
        return self.edits.set_flag("read", ids, read)

    def set_note(self, pid: int, text: str) -> None:
        self.edits.set_note(pid, text)

    def append_note(self, pid: int, text: str) -> None:
        self.edits.append_note(pid, text)

    def update_paper(self, pid: int, **values: Any) -> None:
        self.edits.update_paper(pid, **values)

    def set_citekey(self, pid: int, key: str) -> None:
        self.edits.set_citekey(pid, key)

    def trash(self, ids: Sequence[int]) -> list[int]:
        return self.edits.trash(ids)

    def restore(self, ids: Sequence[int]) -> list[int]:
        return self.edits.restore(ids)

    def purge(self, ids: Sequence[int]) -> list[int]:
        return self.edits.purge(ids)

    def empty_trash(self) -> list[int]:
        self.snapshot_before("empty-trash")
        return self.edits.empty_trash()

    # --- tags ------------------------------------------------------------------

    def tags(self) -> list[TagInfo]:
        return self.tags_service.all()

    def add_tags(self, ids: Sequence[int], names: Iterable[str]) -> list[int]:
        return self.tags_service.add(ids, names)

    def remove_tags(self, ids: Sequence[int], names: Iterable[str]) -> list[int]:
        return self.tags_service.remove(ids, names)

    def set_tag_colour(self, name: str, colour: str) -> None:
        self.tags_service.set_colour(name, colour)

    def rename_tag(self, old: str, new: str) -> None:
        self.tags_service.rename(old, new)

    def merge_tags(self, sources: Sequence[str], target: str) -> None:
        self.snapshot_before("merge-tags")
        self.tags_service.merge(sources, target)

    def delete_tag(self, name: str) -> None:
        self.snapshot_before("delete-tag")
        self.tags_service.delete(name)

    def tag_snapshot(self, name: str) -> TagSnapshot:
        return self.tags_service.snapshot(name)

    def restore_tags(self, snapshots: Sequence[TagSnapshot]) -> list[int]:
        return self.tags_service.restore(snapshots)

    # --- backups ---------------------------------------------------------------

    def backup(self, progress: Progress | None = None) -> Snapshot:
        """Take a snapshot now (``readinglist backup``)."""
        return self.backups.take(MANUAL, progress)

    def backup_if_due(self) -> Snapshot | None:
        """The daily snapshot, when the newest is older than a day."""
        if self.db.read_only:
            return None  # it cannot change, and there is nowhere to write
        # A library nothing was ever done to has nothing to keep.
        return self.backups.take_if_due() if self.changes() else None

    def snapshot_before(self, operation: str) -> Snapshot:
        """A snapshot before a bulk destructive *operation* (reused if nothing changed since)."""
        return self.backups.take_before(operation)

    # --- views: batches and saved searches ------------------------------------

    def batches(self) -> list[BatchInfo]:
        return self.views.batches()

    def save_search(self, name: str, query: Query) -> int:
        return self.views.save_search(name, query)

    def saved_searches(self) -> list[SavedSearchInfo]:
        return self.views.saved_searches()

    def delete_saved_search(self, sid: int) -> None:
        self.views.delete_saved_search(sid)

    def recent_cutoff(self) -> datetime:
        return recent_cutoff()

    def batch_ids(self, batch_id: int) -> list[int]:
        return self.views.batch_ids(batch_id)

    def view_counts(self) -> dict[str, int]:
        return view_counts(self.reads)

    # --- export ----------------------------------------------------------------

    def export_ids(
        self, scope: ExportScope, *, selection: Sequence[int] = (), view: Query | None = None
    ) -> list[int]:
        return scope_ids(self.reads, scope, selection=selection, view=view)

    def export_bibtex(
        self, ids: Sequence[int], fp: TextIO, progress: Progress | None = None
    ) -> int:
        return self.exports.bibtex(ids, fp, progress)

    def export(
        self, ids: Sequence[int], fp: TextIO, fmt: str = "bibtex", progress: Progress | None = None
    ) -> int:
        """Write *ids* to *fp* in *fmt* (one of ``Exports.FORMATS``)."""
        return self.exports.write(ids, fp, fmt, progress)

    def incomplete_for_export(self, ids: Sequence[int]) -> list[tuple[int, str, tuple[str, ...]]]:
        """Papers of *ids* lacking an author or a year: (id, title, missing fields)."""
        return self.exports.incomplete(ids)

    def export_to_file(
        self,
        ids: Sequence[int],
        target: Path,
        fmt: str = "bibtex",
        progress: Progress | None = None,
    ) -> int:
        return self.exports.to_file(ids, target, fmt, progress)


def _refuse_if_open(folder: Path, allow_pid: int | None = None) -> None:
    """Raise when a Reading List window holds *folder* (its lock file names a live process).

    *allow_pid* is the caller's own process: the window that holds the lock
    and has closed its library to restore or salvage it.
    """
    lock = folder / "readinglist.lock"
    try:
        pid = int(lock.read_text("utf-8").split()[0])
        if pid == allow_pid:
            return
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return  # no lock, a stale one, or one we cannot read: nobody to disturb
    raise BackupError(
        f"{folder}: the library is open in a Reading List window (process {pid}); close it first"
    )


def _drop_index(folder: Path) -> None:
    """Remove the search index: it is rebuilt from the database at the next open.

    Under the library's write lock, so no other process is writing to it meanwhile.
    """
    with WriteLock(folder).hold():
        shutil.rmtree(folder / INDEX_DIR, ignore_errors=True)


def restore_backup(
    folder: Path,
    name: str | None = None,
    progress: Progress | None = None,
    *,
    allow_pid: int | None = None,
) -> Restored:
    """Put a snapshot (the newest by default) in place of *folder*'s database.

    Works on a library that cannot be opened; refuses while a window has it
    open (other than process *allow_pid*, which has closed it).  The replaced
    database is kept aside, the index rebuilt at next open.
    """
    folder = Path(folder)
    _refuse_if_open(folder, allow_pid)
    backups = Backups(folder, folder / DB_NAME)
    snapshot = backups.find(name)
    return backups.restore(snapshot, progress=progress, on_restored=lambda: _drop_index(folder))


def salvage_library(folder: Path, *, allow_pid: int | None = None) -> Salvaged:
    """Copy what the damaged database of *folder* still holds into a new one.

    Refuses while a window other than process *allow_pid* has the library open.
    """
    folder = Path(folder)
    _refuse_if_open(folder, allow_pid)
    db_path = folder / DB_NAME
    if not db_path.exists():
        raise BackupError(f"{db_path}: there is no database to salvage")
    result = salvage(db_path, lambda path: Database(path).close())
    _drop_index(folder)
    return result
