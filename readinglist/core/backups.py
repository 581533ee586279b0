"""Automatic and manual snapshots of the library database, and restoring them.

A snapshot is taken with SQLite's online backup API from a read-only
connection, so it is a consistent copy of a live WAL database (a file copy of
``library.sqlite3`` alone would miss the pages still in ``-wal``).  It is
gzip-compressed (fastest level: ~90 MB and ~2 s for 100,000 papers) and
described by a JSON file beside it: when, why, how many papers, tags and
notes.  Both land under their final names only when complete.

Snapshots are taken at start when the newest daily one is older than a day,
before every schema migration and before bulk destructive operations (empty
trash, merge or delete a tag).  Pruning keeps, by default, the newest snapshot
of each of the last 3 days, of each of the last 3 weeks, the last 3 taken
before an operation and every manual one; ``backups.json`` in the library
folder overrides the numbers.

Restoring puts the current database aside (never deletes it), puts the
snapshot in its place and marks the search index for a rebuild.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .progress import Progress

__all__ = [
    "BACKUP_DIR",
    "BackupError",
    "BackupPolicy",
    "Backups",
    "Restored",
    "Snapshot",
    "count_rows",
    "state_of",
]

BACKUP_DIR = "backups"
POLICY_FILE = "backups.json"
_SUFFIX = ".sqlite3.gz"
_STAMP = "%Y%m%dT%H%M%S%fZ"
# Why a snapshot was taken; "daily" ones are the start-up ones.
DAILY = "daily"
MANUAL = "manual"


class BackupError(Exception):
    """A snapshot could not be taken, read or restored: one line for the user."""


@dataclass(frozen=True)
class BackupPolicy:
    """How many snapshots pruning keeps (``backups.json`` in the library folder)."""

    daily: int = 3
    weekly: int = 3
    before: int = 3

    @classmethod
    def load(cls, folder: Path) -> BackupPolicy:
        """The folder's policy; the defaults when the file is missing or unreadable."""
        try:
            raw = json.loads((folder / POLICY_FILE).read_text("utf-8"))
            values = {k: max(0, int(raw[k])) for k in ("daily", "weekly", "before") if k in raw}
        except (OSError, ValueError, TypeError, AttributeError):
            return cls()
        return cls(**values)


@dataclass(frozen=True)
class Snapshot:
    """One snapshot: its file, when and why it was taken, and what it holds."""

    path: Path
    taken: datetime
    reason: str
    papers: int | None
    tags: int | None
    notes: int | None
    size: int
    # A fingerprint of the library's contents when taken (None: unknown).
    state: str | None = None

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        """One line: date, reason, papers and size."""
        when = self.taken.astimezone().strftime("%Y-%m-%d %H:%M")
        papers = "?" if self.papers is None else f"{self.papers:,}"
        return f"{when}  {papers} papers  ({self.reason}, {self.size / 1e6:.1f} MB)"


@dataclass(frozen=True)
class Restored:
    """What :meth:`Backups.restore` did."""

    snapshot: Snapshot
    # Where the database that was replaced now is (None when there was none).
    set_aside: Path | None


def count_rows(path: Path) -> dict[str, int]:
    """Papers (outside the trash), tags and notes in the database at *path*."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    queries = {
        "papers": "SELECT count(*) FROM papers WHERE trashed_at IS NULL",
        "tags": "SELECT count(*) FROM tags",
        "notes": "SELECT count(*) FROM notes WHERE text != ''",
    }
    try:
        return {key: int(con.execute(sql).fetchone()[0]) for key, sql in queries.items()}
    finally:
        con.close()


def state_of(path: Path) -> str:
    """A fingerprint of the library's contents: equal fingerprints, same library.

    The change counter moves with indexed edits only; the newest ``updated_at``
    catches star, read and trash changes, the counts catch deletions, and the
    notes' newest edit the notes (an unindexed note edit moves only that).
    """
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'changes'),"
            " (SELECT max(updated_at) FROM papers), (SELECT count(*) FROM papers),"
            " (SELECT count(*) FROM paper_tags), (SELECT count(*) FROM tags),"
            " (SELECT max(updated_at) FROM notes)"
        ).fetchone()
    finally:
        con.close()
    return "|".join(str(v) for v in row)


class Backups:
    """The snapshots of the database *db_path*, kept in ``<folder>/backups``."""

    def __init__(self, folder: Path, db_path: Path) -> None:
        self.folder = folder
        self.db_path = db_path
        self.dir = folder / BACKUP_DIR

    # --- reading --------------------------------------------------------------------

    def snapshots(self) -> list[Snapshot]:
        """Every snapshot, newest first."""
        if not self.dir.is_dir():
            return []
        out = [s for p in self.dir.glob(f"*{_SUFFIX}") if (s := self._describe(p))]
        return sorted(out, key=lambda s: s.taken, reverse=True)

    def newest(self) -> Snapshot | None:
        snapshots = self.snapshots()
        return snapshots[0] if snapshots else None

    def find(self, name: str | None) -> Snapshot:
        """The snapshot called *name* (or whose name starts with it); the newest for None."""
        snapshots = self.snapshots()
        if not snapshots:
            raise BackupError(f"{self.dir}: there are no backups of this library")
        if name is None:
            return snapshots[0]
        wanted = Path(name).name
        matches = [s for s in snapshots if s.name == wanted or s.name.startswith(wanted)]
        if len(matches) != 1:
            names = ", ".join(s.name for s in snapshots[:5])
            raise BackupError(
                f"no single backup called '{name}' in {self.dir} (the newest: {names})"
            )
        return matches[0]

    def _describe(self, path: Path) -> Snapshot | None:
        stem = path.name[: -len(_SUFFIX)]
        stamp, _, reason = stem.partition("-")
        try:
            taken = datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
            size = path.stat().st_size
        except (ValueError, OSError):
            return None  # not one of ours
        about: dict[str, object] = {}
        # Without its description a snapshot shows "?" papers; it may still be fine.
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(path.with_name(stem + ".json").read_text("utf-8"))
            about = loaded if isinstance(loaded, dict) else {}

        def number(key: str) -> int | None:
            value = about.get(key)
            return value if isinstance(value, int) else None

        state = about.get("state")
        return Snapshot(
            path,
            taken,
            reason or MANUAL,
            number("papers"),
            number("tags"),
            number("notes"),
            size,
            state if isinstance(state, str) else None,
        )

    # --- taking ---------------------------------------------------------------------

    def due(self, now: datetime | None = None) -> bool:
        """Whether the start-up snapshot is due (none of any kind in the last day)."""
        newest = self.newest()
        now = now or datetime.now(UTC)
        return newest is None or now - newest.taken >= timedelta(days=1)

    def take_if_due(self) -> Snapshot | None:
        """Take the daily snapshot when one is due (and the database exists)."""
        if not self.db_path.exists() or not self.due():
            return None
        return self.take(DAILY)

    def take_before(self, operation: str) -> Snapshot:
        """A snapshot before *operation*: the newest one if nothing changed since it."""
        newest = self.newest()
        if newest is not None and newest.state is not None:
            try:
                if state_of(self.db_path) == newest.state:
                    return newest
            except sqlite3.Error:
                pass  # cannot tell: take a new one
        return self.take(f"before-{operation}")

    def take(self, reason: str = MANUAL, progress: Progress | None = None) -> Snapshot:
        """Snapshot the database now, prune old snapshots, return the new one."""
        progress = progress or Progress()
        if not self.db_path.exists():
            raise BackupError(f"{self.db_path}: there is no library database to back up")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            return self._take(reason, progress)
        except sqlite3.Error as exc:
            raise BackupError(f"{self.db_path}: cannot back up the library ({exc})") from exc
        except OSError as exc:
            raise BackupError(
                f"{self.dir}: cannot write the backup ({exc.strerror or exc})"
            ) from exc

    def _take(self, reason: str, progress: Progress) -> Snapshot:
        taken = datetime.now(UTC)
        stem = f"{taken.strftime(_STAMP)}-{reason}"
        target = self.dir / (stem + _SUFFIX)
        plain = self.dir / f".{stem}.sqlite3.part"
        packed = self.dir / f".{stem}{_SUFFIX}.part"
        try:
            src = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
            dst = sqlite3.connect(plain)
            try:
                # Pages in steps, so progress moves and writers are not held off long.
                def step(_status: int, remaining: int, total: int) -> None:
                    progress.report("backup", total - remaining, total)

                src.backup(dst, pages=4096, progress=step)
                # A standalone file: checking or reading it never leaves -wal/-shm files.
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
                src.close()
            counts: dict[str, int | str] = {**count_rows(plain), "state": state_of(plain)}
            _gzip(plain, packed, progress)
            os.replace(packed, target)
            target.with_name(stem + ".json").write_text(
                json.dumps({"taken": taken.isoformat(), "reason": reason, **counts}),
                "utf-8",
            )
        finally:
            plain.unlink(missing_ok=True)
            packed.unlink(missing_ok=True)
        self.prune()
        snapshot = self._describe(target)
        assert snapshot is not None
        return snapshot

    def prune(self, policy: BackupPolicy | None = None) -> list[Path]:
        """Delete the snapshots *policy* does not keep; return them."""
        policy = policy or BackupPolicy.load(self.folder)
        keep: set[Path] = set()
        days: set[object] = set()
        weeks: set[object] = set()
        before = 0
        for s in self.snapshots():  # newest first
            if s.reason == MANUAL:
                keep.add(s.path)
            elif s.reason == DAILY:
                day, week = s.taken.date(), s.taken.isocalendar()[:2]
                if day not in days and len(days) < policy.daily:
                    days.add(day)
                    keep.add(s.path)
                if week not in weeks and len(weeks) < policy.weekly:
                    weeks.add(week)
                    keep.add(s.path)
            elif before < policy.before:
                before += 1
                keep.add(s.path)
        gone = [s.path for s in self.snapshots() if s.path not in keep]
        for path in gone:
            path.unlink(missing_ok=True)
            path.with_name(path.name[: -len(_SUFFIX)] + ".json").unlink(missing_ok=True)
        return gone

    # --- restoring ------------------------------------------------------------------

    def restore(
        self,
        snapshot: Snapshot,
        *,
        progress: Progress | None = None,
        on_restored: Callable[[], None] | None = None,
    ) -> Restored:
        """Put *snapshot* in place of the database (which must be closed everywhere).

        The snapshot is unpacked and checked beside the database first; only a
        healthy copy replaces it.  The replaced database (and its ``-wal``) is
        renamed ``library.sqlite3.replaced-<time>``, never deleted.
        *on_restored* runs after the swap (the library drops its index there).
        """
        progress = progress or Progress()
        staged = self.db_path.with_name(self.db_path.name + ".restoring")
        try:
            _gunzip(snapshot.path, staged, progress)
            problems = _quick_check(staged)
            if problems:
                raise BackupError(
                    f"{snapshot.path}: the backup is damaged ({problems}); nothing was changed"
                )
            set_aside = self._set_aside()
            os.replace(staged, self.db_path)
        except OSError as exc:
            raise BackupError(
                f"{self.db_path}: cannot restore the backup ({exc.strerror or exc})"
            ) from exc
        finally:
            for extra in ("", "-wal", "-shm", "-journal"):
                staged.with_name(staged.name + extra).unlink(missing_ok=True)
        if on_restored is not None:
            on_restored()
        return Restored(snapshot, set_aside)

    def _set_aside(self) -> Path | None:
        """Rename the database and its WAL files out of the way; return the new name."""
        if not self.db_path.exists():
            for extra in ("-wal", "-shm"):
                self.db_path.with_name(self.db_path.name + extra).unlink(missing_ok=True)
            return None
        aside = self.db_path.with_name(
            f"{self.db_path.name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}"
        )
        os.replace(self.db_path, aside)
        for extra in ("-wal", "-shm"):
            old = self.db_path.with_name(self.db_path.name + extra)
            if old.exists():
                os.replace(old, aside.with_name(aside.name + extra))
        return aside


def _quick_check(path: Path) -> str:
    """SQLite's quick check of the file at *path*: '' when healthy."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in con.execute("PRAGMA quick_check(5)")]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return str(exc)
    return "" if rows == ["ok"] else "; ".join(rows)


_BLOCK = 1 << 20


def _gzip(src: Path, dst: Path, progress: Progress) -> None:
    total = src.stat().st_size
    done = 0
    with src.open("rb") as fin, gzip.open(dst, "wb", compresslevel=1) as fout:
        while block := fin.read(_BLOCK):
            fout.write(block)
            done += len(block)
            progress.report("compress", done, total)
        fout.flush()
    _fsync(dst)


def _gunzip(src: Path, dst: Path, progress: Progress) -> None:
    total = src.stat().st_size
    try:
        with src.open("rb") as raw, gzip.open(raw, "rb") as fin, dst.open("wb") as fout:
            while block := fin.read(_BLOCK):
                fout.write(block)
                progress.report("unpack", raw.tell(), total)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise BackupError(f"{src}: the backup is damaged ({exc}); nothing was changed") from exc
    _fsync(dst)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
