"""Is the library database there and whole?  Checked before it is opened.

:func:`examine` classifies a library folder without changing anything in it:

* ``NEW``: nothing there yet, a new library may be made;
* ``HEALTHY``: a database that opens (and, when small enough to check at
  every open, passes SQLite's ``quick_check``; ``doctor`` runs the full
  ``integrity_check`` at any size);
* ``MISSING`` / ``EMPTY``: no database, or a zero-length one, in a folder
  that held a library (its marker file, search index or backups say so);
* ``DAMAGED``: a file that is not a whole SQLite database.

The last three are never treated as a new library: the owner raises
:class:`LibraryDamaged`, whose message names the file, what is wrong and the
choices (restore the newest backup, salvage what can be read, open another
folder).  :func:`salvage` copies every row SQLite can still read into a new
database and keeps the damaged file aside.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from .backups import Backups, Snapshot

__all__ = [
    "MARKER",
    "Health",
    "LibraryDamaged",
    "Salvaged",
    "State",
    "examine",
    "salvage",
    "write_marker",
]

# Written when a library is made: its presence says "a library lived here".
MARKER = "library.json"
_HEADER = b"SQLite format 3\x00"
# quick_check reads every page at every open: ~20 ms at 16 MB (about 6,000
# papers), 0.3 s at 100,000 (260 MB). Above this size damage is found by the
# header checks, by SQLite as pages are read (one line, see core.faults) and
# by `doctor`.
QUICK_CHECK_MAX = 16 * 1024 * 1024


class State(Enum):
    """What :func:`examine` found."""

    NEW = "new"
    HEALTHY = "healthy"
    MISSING = "missing"
    EMPTY = "empty"
    DAMAGED = "damaged"


@dataclass(frozen=True)
class Health:
    """The state of a library folder's database, with what was found wrong."""

    state: State
    folder: Path
    db_path: Path
    detail: str = ""
    newest_backup: Snapshot | None = None

    @property
    def usable(self) -> bool:
        return self.state in (State.NEW, State.HEALTHY)

    def problem(self) -> str:
        """One line: the file and what is wrong with it."""
        return {
            State.MISSING: f"{self.db_path}: the library database is missing",
            State.EMPTY: f"{self.db_path}: the library database is empty (0 bytes)",
            State.DAMAGED: f"{self.db_path}: the library database is damaged ({self.detail})",
        }.get(self.state, f"{self.db_path}: {self.state.value}")

    def choices(self, cli: bool = True) -> list[str]:
        """What the user can do, as commands (*cli*) or as the window's buttons."""
        lib = f" --library {self.folder}" if cli else ""
        out: list[str] = []
        if self.newest_backup is not None:
            what = f"restore the newest backup ({self.newest_backup.describe()})"
            out.append(f"{what}: readinglist{lib} backup --restore" if cli else what)
        if self.state is State.DAMAGED:
            what = "salvage what can still be read into a new database (the damaged file is kept)"
            out.append(f"{what}: readinglist{lib} doctor --salvage" if cli else what)
        out.append(
            "open another library: readinglist --library OTHER_FOLDER"
            if cli
            else "open another library folder"
        )
        return out

    def message(self) -> str:
        """The problem, that nothing was changed, and the choices (for the CLI)."""
        lines = [self.problem() + "; nothing was changed. You can:"]
        lines += [f"  - {c}" for c in self.choices()]
        return "\n".join(lines)


class LibraryDamaged(Exception):
    """The library's database is missing, empty or damaged: the user must choose."""

    def __init__(self, health: Health) -> None:
        super().__init__(health.message())
        self.health = health


def examine(folder: Path, db_path: Path, *, deep: bool | None = None) -> Health:
    """Classify the database at *db_path* in library *folder* (reads only).

    *deep* forces (True) or skips (False) the ``quick_check``; by default it
    runs when the file is at most :data:`QUICK_CHECK_MAX` bytes.
    """

    def health(state: State, detail: str = "") -> Health:
        newest = None
        if state not in (State.NEW, State.HEALTHY):
            newest = Backups(folder, db_path).newest()
        return Health(state, folder, db_path, detail, newest)

    try:
        size = db_path.stat().st_size
    except FileNotFoundError:
        return health(State.MISSING if _lived_here(folder) else State.NEW)
    except OSError as exc:
        return health(State.DAMAGED, f"cannot read it: {exc.strerror or exc}")
    if not db_path.is_file():
        return health(State.DAMAGED, "it is not a regular file")
    if size == 0:
        return health(State.EMPTY if _lived_here(folder) else State.NEW)
    detail = _header_problem(db_path, size)
    if not detail:
        detail = _open_problem(db_path, deep if deep is not None else size <= QUICK_CHECK_MAX)
    if not detail:
        return health(State.HEALTHY)
    # SQLite's check reports over several lines: one line, and not a page of it.
    detail = " ".join(detail.replace("*** in database main ***", "").split())
    return health(State.DAMAGED, detail if len(detail) <= 160 else detail[:157] + "...")


def _lived_here(folder: Path) -> bool:
    """Whether *folder* shows signs of a library (so a missing database is a loss)."""
    if (folder / MARKER).exists():
        return True
    index = folder / "index"
    if index.is_dir() and any(index.glob("*.toc")):
        return True
    return bool(Backups(folder, folder / "library.sqlite3").snapshots())


def _header_problem(path: Path, size: int) -> str:
    """What the 100-byte header says is wrong ('' when it looks whole)."""
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if len(header) < 100 or not header.startswith(_HEADER):
        return "its first bytes are not an SQLite database header"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "its header is garbled"
    pages = int.from_bytes(header[28:32], "big")
    # The page count is valid when its version stamp matches the change counter.
    # With a WAL in use the file is written by checkpoints, which may update the
    # header before the file grows: a reader would see a "truncated" file that
    # is not, so then SQLite's own check decides.
    wal = path.with_name(path.name + "-wal")
    in_wal = wal.exists() and wal.stat().st_size > 0
    if header[24:28] == header[92:96] and pages and size < pages * page_size and not in_wal:
        return f"it is truncated ({size:,} of {pages * page_size:,} bytes)"
    return ""


def _open_problem(path: Path, deep: bool) -> str:
    """Open read-only, read the schema and (when *deep*) quick_check: '' when fine."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if deep:
                rows = [r[0] for r in con.execute("PRAGMA quick_check(3)")]
                if rows != ["ok"]:
                    return "; ".join(rows)
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        text = str(exc)
        # Not damage: the environment (a lock, permissions) is reported elsewhere.
        if "locked" in text or "unable to open" in text or "readonly" in text:
            return ""
        return text
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return ""


def write_marker(folder: Path) -> None:
    """Record that a library lives in *folder* (best effort: a read-only folder is fine)."""
    marker = folder / MARKER
    if marker.exists():
        return
    with contextlib.suppress(OSError):
        marker.write_text(
            json.dumps({"app": "Reading List", "created": datetime.now(UTC).isoformat()}),
            "utf-8",
        )


@dataclass
class Salvaged:
    """What :func:`salvage` recovered, per table, and where the damaged file went."""

    set_aside: Path
    rows: dict[str, int] = field(default_factory=dict)
    # Row ranges that could not be read: (table, first rowid, last rowid).
    lost: list[tuple[str, int, int]] = field(default_factory=list)
    # Rows read back with values of the wrong shape (garbage from damaged pages).
    dropped: int = 0

    def describe(self) -> str:
        got = ", ".join(f"{n:,} {t}" for t, n in self.rows.items() if n)
        lost = f"; {len(self.lost)} unreadable stretch(es) skipped" if self.lost else ""
        dropped = f"; {self.dropped} garbled row(s) dropped" if self.dropped else ""
        return f"salvaged {got or 'nothing'}{lost}{dropped}; the damaged file is {self.set_aside}"


# Tables in an order that satisfies their foreign keys.
_TABLES = ("import_batches", "papers", "tags", "paper_tags", "notes", "saved_searches", "meta")


def salvage(db_path: Path, create: Callable[[Path], None]) -> Salvaged:
    """Copy every readable row of the damaged *db_path* into a new database.

    The damaged file (with its ``-wal``) is renamed
    ``library.sqlite3.damaged-<time>`` first; *create* makes an empty
    database with the current schema at *db_path*; then each table is read
    in rowid order, stepping over stretches SQLite cannot read.
    """
    aside = db_path.with_name(f"{db_path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(db_path, aside)
    for extra in ("-wal", "-shm"):
        old = db_path.with_name(db_path.name + extra)
        if old.exists():
            os.replace(old, aside.with_name(aside.name + extra))
    result = Salvaged(aside)
    create(db_path)
    work = _work_copy(aside)
    src = sqlite3.connect(f"file:{work}?mode=ro", uri=True)
    dst = sqlite3.connect(db_path)
    try:
        dst.execute("PRAGMA foreign_keys=OFF")
        for table in _TABLES:
            result.rows[table] = _copy_table(src, dst, table, result.lost)
        result.dropped = _drop_garbage(dst)
        # Links whose paper or tag was lost would break the foreign keys.
        dst.execute("DELETE FROM paper_tags WHERE paper_id NOT IN (SELECT id FROM papers)")
        dst.execute("DELETE FROM paper_tags WHERE tag_id NOT IN (SELECT id FROM tags)")
        dst.execute("DELETE FROM notes WHERE paper_id NOT IN (SELECT id FROM papers)")
        dst.execute(
            "UPDATE papers SET batch_id = NULL "
            "WHERE batch_id IS NOT NULL AND batch_id NOT IN (SELECT id FROM import_batches)"
        )
        dst.commit()
    finally:
        src.close()
        dst.close()
        for extra in ("", "-wal", "-shm"):
            work.with_name(work.name + extra).unlink(missing_ok=True)
    return result


def _work_copy(damaged: Path) -> Path:
    """A copy of *damaged* (and its WAL) to read from, padded back to its full size.

    SQLite refuses every page of a file shorter than its header says, so a
    truncated file is read through a copy padded with zeros: the pages that
    survived become readable again.  The damaged file itself stays untouched.
    """
    work = damaged.with_name(damaged.name + ".salvaging")
    shutil.copyfile(damaged, work)
    wal = damaged.with_name(damaged.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, work.with_name(work.name + "-wal"))
    with work.open("rb") as fh:
        header = fh.read(100)
    if header.startswith(_HEADER) and header[24:28] == header[92:96]:
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        wanted = page_size * int.from_bytes(header[28:32], "big")
        if work.stat().st_size < wanted:
            os.truncate(work, wanted)
    return work


def _drop_garbage(dst: sqlite3.Connection) -> int:
    """Delete salvaged rows whose values do not have their column's shape.

    A damaged page can decode into rows of nonsense (a date of zero bytes, a
    title that is a number); the schema says what each column holds, so such
    rows are dropped rather than crashing the program later.
    """
    from sqlalchemy import Boolean, DateTime, Integer

    from ..db import Base

    dropped = 0
    for table in Base.metadata.sorted_tables:
        bad: list[str] = []
        for col in table.columns:
            name = f'"{col.name}"'
            if isinstance(col.type, DateTime):
                ok = (
                    f"(typeof({name}) = 'text' AND {name} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-*')"
                )
            elif isinstance(col.type, Boolean):
                ok = f"{name} IN (0, 1)"
            elif isinstance(col.type, Integer):
                ok = f"typeof({name}) = 'integer'"
            else:
                ok = f"typeof({name}) = 'text'"
                if getattr(col.default, "arg", None) == "[]":  # a JSON list column
                    ok += f" AND json_valid({name})"
            bad.append(f"NOT ({name} IS NULL OR {ok})" if col.nullable else f"NOT ({ok})")
        dropped += dst.execute(f"DELETE FROM {table.name} WHERE {' OR '.join(bad)}").rowcount
    return dropped


_PAGE = 500


def _copy_table(
    src: sqlite3.Connection, dst: sqlite3.Connection, table: str, lost: list[tuple[str, int, int]]
) -> int:
    try:
        src_cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
    except sqlite3.DatabaseError:
        src_cols = []
    dst_cols = {r[1] for r in dst.execute(f"PRAGMA table_info({table})")}
    cols = [c for c in src_cols if c in dst_cols]
    if not cols:
        lost.append((table, 0, -1))
        return 0
    names = ", ".join(f'"{c}"' for c in cols)
    insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})"
    page = f"SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?"
    one = f"SELECT rowid, {names} FROM {table} WHERE rowid = ?"
    copied = 0
    last = -(2**63)
    limit = _PAGE
    while True:
        try:
            raw = src.execute(page, (last, limit)).fetchall()
            # A damaged page can yield rows out of order: keep those that move
            # on, so `last` always grows and the loop ends; none is damage too.
            rows = [r for r in raw if r[0] > last]
            if raw and not rows:
                raise sqlite3.DatabaseError("rows out of order")
        except sqlite3.DatabaseError:
            if limit > 1:
                limit = max(1, limit // 4)
                continue
            # The first row after `last` cannot be read: find where reading resumes.
            resume = _next_readable(src, table, one, last)
            lost.append((table, last + 1, (resume if resume is not None else _MAX_ROWID) - 1))
            if resume is None:
                return copied
            rows = [r for r in src.execute(one, (resume,)).fetchall() if r[0] > last]
        if not rows:
            return copied
        rows.sort(key=lambda r: int(r[0]))
        dst.executemany(insert, [r[1:] for r in rows])
        copied += len(rows)
        last = rows[-1][0]
        limit = _PAGE


_MAX_ROWID = 2**63 - 1


def _readable_from(src: sqlite3.Connection, table: str, one: str, start: int) -> int | None:
    """The first rowid at or after *start*, if that row reads whole (else None)."""
    try:
        row = src.execute(
            f"SELECT rowid FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT 1", (start,)
        ).fetchone()
        if row is None:
            return None
        src.execute(one, (row[0],)).fetchall()
    except sqlite3.DatabaseError:
        return None
    return int(row[0])


def _next_readable(src: sqlite3.Connection, table: str, one: str, last: int) -> int | None:
    """The first readable rowid after *last* (None: nothing further reads).

    Probes *last* + 1, 2, 4, 8, ... until a row reads, then bisects back
    towards *last* so few readable rows are stepped over.
    """
    step = 1
    found: int | None = None
    while last + step < _MAX_ROWID:
        found = _readable_from(src, table, one, last + step)
        if found is not None:
            break
        # Nothing at all beyond this point (even unreadable) ends the table.
        try:
            beyond = src.execute(
                f"SELECT 1 FROM {table} WHERE rowid >= ? LIMIT 1", (last + step,)
            ).fetchone()
        except sqlite3.DatabaseError:
            beyond = (1,)
        if beyond is None:
            return None
        step *= 2
    if found is None:
        return None
    lo, hi = last + step // 2 + 1, found - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        earlier = _readable_from(src, table, one, mid)
        if earlier is not None and earlier < found:
            found, hi = earlier, mid - 1
        else:
            lo = mid + 1
    return found
