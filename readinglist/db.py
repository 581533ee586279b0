"""The SQLite database: ORM models, schema versions and transactions.

All SQL lives here and in :mod:`readinglist.library`.  The schema version is
kept in SQLite's ``user_version``; each migration step is a function run in
order, after the library has taken a snapshot (:mod:`readinglist.core.backups`).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import QueuePool


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


# (name, columns) of the indexes behind the views' filters, sorts and counts.
_VIEW_INDEX_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ix_papers_trashed_starred", ("trashed_at", "starred", "added_at")),
    ("ix_papers_trashed_read", ("trashed_at", "read", "added_at")),
    ("ix_papers_trashed_title", ("trashed_at", "title_key", "id")),
    ("ix_papers_trashed_year", ("trashed_at", "year", "title_key")),
    ("ix_papers_trashed_authors", ("trashed_at", "authors_sort", "title_key")),
)
_VIEW_INDEXES = tuple(Index(name, *cols) for name, cols in _VIEW_INDEX_COLUMNS)


class Paper(Base):
    """A paper in the library."""

    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    # Title folded for duplicate detection (case, accents, punctuation, spaces).
    title_key: Mapped[str] = mapped_column(Text, index=True)
    abstract: Mapped[str] = mapped_column(Text, default="")
    # JSON list of display names, in order (derived from ``people``; the
    # search index and the list read these).
    authors: Mapped[str] = mapped_column(Text, default="[]")
    # JSON list of [given, family, prefix, suffix]; '' in rows from before
    # schema 4, whose display names are parsed when read (people.load_people).
    people: Mapped[str] = mapped_column(Text, default="", server_default="")
    # First author + others, lower-cased, for sorting by author in SQL.
    authors_sort: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    venue: Mapped[str] = mapped_column(Text, default="")
    arxiv_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    doi: Mapped[str | None] = mapped_column(String(256), nullable=True, index=True)
    url: Mapped[str] = mapped_column(Text, default="")
    # JSON list of extra links found in the source.
    links: Mapped[str] = mapped_column(Text, default="[]")
    entry_type: Mapped[str] = mapped_column(String(32), default="")
    citekey: Mapped[str] = mapped_column(String(256))
    # Lower-cased key with a unique index: BibTeX keys clash case-insensitively.
    citekey_lower: Mapped[str] = mapped_column(String(256), unique=True)
    starred: Mapped[bool] = mapped_column(Boolean, default=False)
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), nullable=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Bumped by every change; the search index stores it to detect stale documents.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    trashed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The attached PDF (absolute path), '' if none.
    pdf_path: Mapped[str] = mapped_column(Text, default="", server_default="")
    # JSON object of further fields (records.EXTRA_FIELDS): publisher, pages...
    extra: Mapped[str] = mapped_column(Text, default="", server_default="")
    # JSON list of the fields the user edited by hand (metadata fill keeps them).
    edited: Mapped[str] = mapped_column(Text, default="", server_default="")

    __table_args__ = (
        Index("ix_papers_trashed_added", "trashed_at", "added_at"),
        # Covers the per-batch counts of the sidebar without reading every row.
        Index("ix_papers_trashed_batch", "trashed_at", "batch_id"),
        # Filters and sorts of the views: a page or a count of one reads the
        # index, never the rows (which hold whole abstracts).
        *_VIEW_INDEXES,
    )


# The feed order (newest import first, each in its file's order: batch_id
# DESC, id ASC) read straight from an index: with ix_papers_trashed_batch
# SQLite sorted a whole import to list its first page (~18 ms for an import
# of 100,000 papers).
_FEED_INDEX = Index("ix_papers_trashed_feed", Paper.trashed_at, Paper.batch_id.desc(), Paper.id)


class Tag(Base):
    """A user tag with an optional colour (``#rrggbb``)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_lower: Mapped[str] = mapped_column(String(200), unique=True)
    colour: Mapped[str] = mapped_column(String(16), default="")


class PaperTag(Base):
    """Link between a paper and a tag."""

    __tablename__ = "paper_tags"

    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Note(Base):
    """The Markdown note of a paper (at most one per paper)."""

    __tablename__ = "notes"

    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImportBatch(Base):
    """One imported file (or pasted text) and what came of it."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(Text, default="")
    added: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SavedSearch(Base):
    """A named search text plus filters, shown in the sidebar."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    # JSON of the Query fields (text, tags, starred, read, ...).
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Meta(Base):
    """Key/value facts about the library (e.g. the change counter)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- schema versions -------------------------------------------------------


def _v1_create(conn: Connection) -> None:
    Base.metadata.create_all(conn)


def _v2_batch_count_index(conn: Connection) -> None:
    # Version-1 libraries lack the index that makes the sidebar's batch counts
    # cheap at 100,000 papers (a full scan of the papers took ~150 ms).
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_papers_trashed_batch ON papers (trashed_at, batch_id)"
    )


def _v3_view_indexes(conn: Connection) -> None:
    # Listing, filtering and counting at 100,000 papers scanned every row.
    for name, cols in _VIEW_INDEX_COLUMNS:
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON papers ({', '.join(cols)})")
    conn.exec_driver_sql("ANALYZE")


# Columns schema 4 added (structured authors, attachments, further fields).
_V4_COLUMNS = ("people", "pdf_path", "extra", "edited")


def _v4_people_and_fields(conn: Connection) -> None:
    # Existing rows keep '' in the new columns: their authors are parsed into
    # people when read, so the upgrade does not rewrite 100,000 rows.
    have = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(papers)")}
    for column in _V4_COLUMNS:
        if column not in have:
            conn.exec_driver_sql(f"ALTER TABLE papers ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


def _v5_feed_index(conn: Connection) -> None:
    # The default order (feed position) needs its own index at 100,000 papers.
    _FEED_INDEX.create(conn, checkfirst=True)
    conn.exec_driver_sql("ANALYZE ix_papers_trashed_feed")


# Ordered steps: MIGRATIONS[n] brings a version-n database to version n+1.
# A new library runs them all: step 1 creates today's tables, so later steps
# must be harmless on a database that already has what they add.
MIGRATIONS: list[Callable[[Connection], None]] = [
    _v1_create,
    _v2_batch_count_index,
    _v3_view_indexes,
    _v4_people_and_fields,
    _v5_feed_index,
]
SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseError(Exception):
    """The environment's fault (locked, read-only, corrupt, newer schema): tell the user."""


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy manage transactions itself (pysqlite's own BEGIN handling
    # is the documented source of surprising autocommit behaviour).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    if not cur.execute("PRAGMA query_only").fetchone()[0]:
        cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable under WAL except for the last transactions on power
    # loss, and much faster for bulk imports than FULL.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    # 8 MB of page cache per connection: the pool holds several connections.
    cur.execute("PRAGMA cache_size=-8000")
    cur.close()


def _on_begin(conn: Connection) -> None:
    # A write transaction takes the write lock at BEGIN, where SQLite's busy
    # timeout applies: a deferred one upgraded later fails at once when
    # another process is writing (SQLite cannot wait there without deadlock).
    immediate = conn.get_execution_options().get("immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _on_connect_read_only(dbapi_conn: sqlite3.Connection, record: Any) -> None:
    dbapi_conn.execute("PRAGMA query_only=ON")
    _on_connect(dbapi_conn, record)


def writable(path: Path) -> bool:
    """Whether the database at *path* (and its folder, for the WAL files) can be written."""
    folder_ok = os.access(path.parent, os.W_OK | os.X_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


def make_engine(path: Path, *, read_only: bool = False) -> Engine:
    """Create the engine for the database file at *path*.

    *read_only* opens it for reading in a folder that cannot be written: the
    WAL files cannot be created there, so SQLite is told the file cannot
    change (``immutable``), which is true while nobody can write the folder.
    """
    url = (
        f"sqlite:///file:{path}?mode=ro&immutable=1&uri=true" if read_only else f"sqlite:///{path}"
    )
    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=4,
        connect_args={"check_same_thread": False},
    )
    event.listen(engine, "connect", _on_connect_read_only if read_only else _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def user_version(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def migrate(engine: Engine, path: Path, before: Callable[[int], str] | None = None) -> list[str]:
    """Bring the database at *path* to :data:`SCHEMA_VERSION`; return what was done.

    On an existing library *before* is called with the old version first (the
    library takes a snapshot there), so a failed upgrade never loses data.
    """
    done: list[str] = []
    try:
        with engine.connect() as conn:
            version = user_version(conn)
    except OperationalError as exc:
        raise DatabaseError(f"{path}: cannot open the library database ({exc.orig})") from exc
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"{path}: the library was written by a newer Reading List "
            f"(schema {version}, this version knows {SCHEMA_VERSION})"
        )
    if version == SCHEMA_VERSION:
        return done
    if engine.url.query.get("mode") == "ro":
        raise DatabaseError(
            f"{path}: the library needs an upgrade (schema {version} to {SCHEMA_VERSION}) "
            "but its folder is read-only; make it writable once to upgrade it"
        )
    if version > 0 and before is not None:
        done.append(before(version))
    for step in range(version, SCHEMA_VERSION):
        with engine.begin() as conn:
            MIGRATIONS[step](conn)
            conn.exec_driver_sql(f"PRAGMA user_version={step + 1}")
        done.append(f"migrated schema {step} -> {step + 1}")
    return done


class Database:
    """Owns the engine and hands out short transactions.

    ``with db.transaction() as session:`` commits on success and rolls back and
    re-raises on any exception, so a failed import leaves nothing behind.
    """

    def __init__(self, path: Path, before_migration: Callable[[int], str] | None = None) -> None:
        self.path = path
        # A read-only library can still be browsed, searched and exported.
        self.read_only = path.exists() and not writable(path)
        self.engine = make_engine(path, read_only=self.read_only)
        existed = path.exists() and path.stat().st_size > 0
        self.migrations = migrate(self.engine, path, before_migration)
        # A library made just now: nothing in it can have been damaged.
        self.created = not existed
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            session.connection(execution_options={"immediate": True})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for reads only; always rolled back."""
        session = self._sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def integrity_check(self) -> list[str]:
        """Return SQLite's integrity and foreign-key problems (empty when healthy)."""
        with self.engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
            fk = list(conn.exec_driver_sql("PRAGMA foreign_key_check"))
        problems = [r for r in rows if r != "ok"]
        problems += [f"foreign key: {tuple(r)}" for r in fk]
        return problems

    def close(self) -> None:
        self.engine.dispose()


def get_meta(session: Session, key: str, default: str = "") -> str:
    row = session.get(Meta, key)
    return row.value if row else default


def set_meta(session: Session, key: str, value: str) -> None:
    session.merge(Meta(key=key, value=value))


def bump_change_counter(session: Session) -> int:
    """Increment and return the library-wide change counter.

    The search index records the counter it has seen; equal counters at open
    mean the index is in step and the full check can be skipped.
    """
    session.execute(
        text(
            "INSERT INTO meta(key, value) VALUES ('changes', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
    )
    value = session.execute(text("SELECT value FROM meta WHERE key = 'changes'")).scalar_one()
    return int(value)
