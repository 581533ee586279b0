"""Views of the library a user picks from: built-in views, saved searches, imports.

The sidebar of the GUI lists these and the command line can name them;
:func:`view_query` turns a view's key into the :class:`Query` it stands for,
so both clients mean the same thing by "Unread" or "Recently added".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..db import Database, ImportBatch, Paper, SavedSearch, utcnow
from .query import Query
from .reads import Reads
from .writes import UnitOfWork

__all__ = [
    "BUILTIN_VIEWS",
    "RECENT_DAYS",
    "BatchInfo",
    "SavedSearchInfo",
    "Views",
    "view_counts",
    "view_query",
]

# (key, label) of the built-in views, in the order shown.
BUILTIN_VIEWS: tuple[tuple[str, str], ...] = (
    ("all", "All papers"),
    ("starred", "Starred"),
    ("unread", "Unread"),
    ("recent", "Recently added"),
    ("trash", "Trash"),
)
# "Recently added" means added in the last this many days.
RECENT_DAYS = 7


def recent_cutoff(days: int = RECENT_DAYS, now: datetime | None = None) -> datetime:
    """The moment after which a paper counts as recently added."""
    return (now or utcnow()) - timedelta(days=days)


def view_query(key: str, now: datetime | None = None) -> Query:
    """The filter of a view: a built-in key, ``tag:<name>`` or ``batch:<id>``.

    "recent" is computed from *now* each time, so a window left open for
    days does not keep a stale cut-off.  Unknown keys mean all papers.
    """
    if key == "starred":
        return Query(starred=True)
    if key == "unread":
        return Query(read=False)
    if key == "recent":
        return Query(added_since=recent_cutoff(now=now))
    if key == "trash":
        return Query(trashed=True)
    if key.startswith("tag:"):
        return Query(tags=(key.removeprefix("tag:"),))
    if key.startswith("batch:") and key.removeprefix("batch:").isdigit():
        return Query(batch_id=int(key.removeprefix("batch:")))
    return Query()


def view_counts(reads: Reads, now: datetime | None = None) -> dict[str, int]:
    """How many papers each built-in view shows, by key (the sidebar's "Starred (12)").

    Each is :meth:`Reads.count` of the view's query, which reads an index
    covering it, never the papers' rows.  Unread is counted as all less the
    read ones: in a reading list most papers are unread, and counting the
    few read ones walks a short stretch of the index, not nearly all of it.
    """
    counts = {
        key: reads.count(view_query(key, now)) for key, _label in BUILTIN_VIEWS if key != "unread"
    }
    counts["unread"] = counts["all"] - reads.count(Query(read=True))
    return {key: counts[key] for key, _label in BUILTIN_VIEWS}


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


class Views:
    """Import batches and saved searches."""

    def __init__(self, db: Database, uow: UnitOfWork) -> None:
        self.db = db
        self.uow = uow

    def batches(self) -> list[BatchInfo]:
        """Every import, newest first, with its count of untrashed papers."""
        with self.db.reader() as s:
            counts: dict[int | None, int] = {
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

    def batch_ids(self, batch_id: int) -> list[int]:
        """The papers of import *batch_id* outside the trash, in the file's order."""
        with self.db.reader() as s:
            return list(
                s.scalars(
                    select(Paper.id)
                    .where(Paper.batch_id == batch_id, Paper.trashed_at.is_(None))
                    .order_by(Paper.id)
                )
            )

    def save_search(self, name: str, query: Query) -> int:
        """Save (or overwrite) the search called *name*; return its id."""
        name = name.strip()
        if not name:
            raise ValueError("a saved search needs a name")
        saved: list[int] = []

        def apply(s: Session, _ids: list[int]) -> None:
            found = s.scalar(select(SavedSearch).where(SavedSearch.name == name))
            if found is None:
                found = SavedSearch(name=name, query=query.to_json(), created_at=utcnow())
                s.add(found)
            else:
                found.query = query.to_json()
            s.flush()
            saved.append(found.id)

        self.uow.run("saved-search", [], apply, indexed=False)
        return saved[0]

    def saved_searches(self) -> list[SavedSearchInfo]:
        """Every saved search, by name; a damaged row is skipped."""
        with self.db.reader() as s:
            out = []
            for row in s.scalars(select(SavedSearch).order_by(SavedSearch.name)):
                try:
                    out.append(SavedSearchInfo(row.id, row.name, Query.from_json(row.query)))
                except (ValueError, TypeError):
                    continue  # A damaged row is skipped rather than breaking the sidebar.
            return out

    def delete_saved_search(self, sid: int) -> None:
        """Forget a saved search."""

        def apply(s: Session, _ids: list[int]) -> None:
            s.execute(delete(SavedSearch).where(SavedSearch.id == sid))

        self.uow.run("saved-search", [], apply, indexed=False)
