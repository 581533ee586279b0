"""Reads: queries, pages, counts and paper snapshots.

Nothing here writes, waits for a writer or repairs the index.  Every answer
is plain data (ids, counts, immutable :class:`~readinglist.records.PaperData`
snapshots), so no caller ever holds an ORM object bound to a session.
Sorting and filtering happen in SQLite; full-text matching comes from the
search index and is intersected here.  An index behind the database answers
with what it has, restricted to the papers the database has.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session

from ..db import Database, Note, Paper, PaperTag, Tag, get_meta
from ..people import load_people
from ..records import PaperData
from ..search import SearchIndex, SearchResult, has_phrase
from .identifiers import load_extra
from .query import DEFAULT_SORT, Query

__all__ = ["CHUNK", "Reads", "chunks"]

# SQLite's default limit on bound parameters is 999 on old builds: stay under it.
CHUNK = 900

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
    Paper.people,
    Paper.pdf_path,
    Paper.extra,
    Paper.edited,
)

# A tag view's first page walks the list order when it expects to read at
# most this many papers before the page is full (see Reads._dense).
_WALK_LIMIT = 20_000

# How many of the best hits are reordered to put title phrases first.
PHRASE_FIRST = 200

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


def _feed_order(q: Query, *, walk: bool = True) -> list[ColumnElement[Any]]:
    """The feed position: the newest import first, each import in its file's order.

    An import inserts its papers in the file's order, so ids ascend through
    it: batch descending, id ascending (ascending reverses both).  Papers of
    no import (its record was lost) come last.  The index
    ``ix_papers_trashed_feed`` (trashed_at, batch_id DESC, id) hands the
    list over in order, and SQLite always prefers walking it to sorting;
    *walk* False says the filters pick few papers (see :meth:`Reads._dense`),
    so they are better found through their own index and sorted.
    """
    batch: ColumnElement[Any] = Paper.batch_id.expression
    if q.trashed or not walk:
        # "+ 0" hides the column from the indexes: SQLite then finds the
        # papers by their filters and sorts them.  Walking instead took
        # ~20 ms at 100,000 papers for a "recently added" of one paper, and
        # ~26 ms for the trash, a range of trashed_at the index cannot read
        # in feed order (SQLite walked ix_papers_batch_id).
        batch = Paper.batch_id + 0
    if q.descending:
        return [batch.desc(), Paper.id.asc()]
    return [batch.asc(), Paper.id.desc()]


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
    """Slices of *ids* small enough for one ``IN (...)``."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _fetch_ids(session: Session, stmt: Select[Any]) -> list[int]:
    """Fetch a column of ids in slices.

    One fetch of 100,000 rows is a single C call that holds the GIL for
    ~100 ms, which the GUI thread feels as a stall while a search runs.
    """
    ids: list[int] = []
    for part in session.execute(stmt).scalars().partitions(5000):
        ids.extend(part)
    return ids


def _json_tuple(value: str) -> tuple[str, ...]:
    """A JSON list column as a tuple ("[]", the usual value, without the parser)."""
    return () if value == "[]" else tuple(json.loads(value))


def filters(q: Query, *, per_row_tags: bool = False) -> list[ColumnElement[bool]]:
    """The SQL conditions of *q*'s filters (everything but its search text).

    *per_row_tags* tests each paper's tags with a lookup of its own instead of
    one set of the tag's papers (see :meth:`Reads.page` for when that pays).
    """
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
    # "id IN (papers of the tag)" reads the tag's links once; a correlated
    # EXISTS ran a lookup for every paper of the view.
    groups = [[tag] for tag in q.tags] + ([list(q.tags_any)] if q.tags_any else [])
    for names in groups:
        if per_row_tags:
            conds.append(exists(_tagged(names).where(PaperTag.paper_id == Paper.id)))
        else:
            conds.append(Paper.id.in_(_tagged(names)))
    return conds


def _tagged(names: Sequence[str]) -> Select[Any]:
    """The ids of papers carrying any of the tags *names*."""
    lows = [n.casefold() for n in names]
    return (
        select(PaperTag.paper_id)
        .join(Tag, Tag.id == PaperTag.tag_id)
        .where(Tag.name_lower.in_(lows))
    )


def _restriction(s: Session, q: Query) -> dict[str, list[int]]:
    """*q*'s filters as the smaller of the paper ids they allow or exclude.

    The index applies it to its hits, so a search never needs every allowed
    id: the usual view (everything outside the trash) excludes just the
    trashed papers.
    """
    conds = filters(q)
    selected = and_(*conds)
    plain = q.starred is None and q.read is None and q.added_since is None
    if plain and not (q.tags or q.tags_any or q.batch_id is not None):
        # Only the trash filter: the trashed papers are few, the rest many.
        if q.trashed:
            return {"allowed": _fetch_ids(s, select(Paper.id).where(selected))}
        return {"excluded": _fetch_ids(s, select(Paper.id).where(Paper.trashed_at.is_not(None)))}
    # A tag, an import or "starred" picks few papers: no need to count first.
    selective = bool(q.tags or q.tags_any or q.batch_id is not None or q.starred)
    if not selective:
        total = int(s.scalar(select(func.count(Paper.id))) or 0)
        allowed = int(s.scalar(select(func.count(Paper.id)).where(selected)) or 0)
        selective = allowed <= total - allowed
    if selective:
        return {"allowed": _fetch_ids(s, select(Paper.id).where(selected))}
    # coalesce: a condition on a NULL column is NULL, and NOT NULL excludes nothing.
    rest = select(Paper.id).where(~func.coalesce(selected, False))
    return {"excluded": _fetch_ids(s, rest)}


class Reads:
    """Read-only access to papers: query, count, fetch snapshots."""

    def __init__(self, db: Database, index: SearchIndex) -> None:
        self.db = db
        self.index = index

    def search(self, text: str, limit: int | None = None) -> SearchResult:
        """Full-text search over every paper (trash included); best first."""
        return self.index.search(text, limit=limit)

    def query(self, q: Query) -> tuple[list[int], SearchResult | None]:
        """The ids *q* selects in its order, and the search result for highlights.

        Raises :class:`readinglist.search.QuerySyntaxError` for a bad query.
        """
        hits = self._search(q)
        if hits is not None and q.sort == "relevance":
            ids = hits.ids if q.descending else hits.ids[::-1]
        else:
            with self.db.reader() as s:
                ids = _fetch_ids(s, self._sorted(q))
            if hits is not None:
                found = set(hits.ids)
                ids = [i for i in ids if i in found]
        if q.ids is not None:
            wanted = set(q.ids)
            ids = [i for i in ids if i in wanted]
        return ids, hits

    def page(self, q: Query, offset: int = 0, limit: int = 50) -> tuple[list[int], int]:
        """One page of what *q* selects, in its order, and how many it selects in all.

        Without search text the database reads just that page; with it, the
        index ranks and counts (best first when sorting by relevance).
        Other orders of a search sort every hit, so they read everything.
        """
        searching = bool(q.text.strip())
        if q.ids is not None or (searching and (q.sort != "relevance" or not q.descending)):
            ids = self.query(q)[0]
            return ids[offset : offset + limit], len(ids)
        if searching:
            hits = self._search(q, limit=offset + limit)
            assert hits is not None
            return hits.ids[offset:], hits.total
        total = self.count(q)
        with self.db.reader() as s:
            walk = self._dense(s, total, offset + limit)
            per_row = bool(q.tags or q.tags_any) and walk
            stmt = self._sorted(q, per_row_tags=per_row, walk=walk).offset(offset).limit(limit)
            ids = list(s.scalars(stmt))
        return ids, total

    @staticmethod
    def _dense(s: Session, selected: int, wanted: int) -> bool:
        """Whether walking the papers in list order finds *wanted* of *selected* soon.

        A tag view has two plans, and so has a filtered view in feed order
        (starred, recently added: see :func:`_feed_order`).  Sorting all the
        tag's papers costs ~12 ms for a tag on 10,000 of 100,000 papers,
        while walking the sort order and checking each paper's tags stops
        after ~500 papers (0.1 ms); for a tag on five papers the walk reads
        all 100,000 (35 ms) and the sort is instant.  SQLite cannot tell them
        apart, but the count, read anyway, can: walk when the expected walk
        is short.
        """
        if selected == 0:
            return False
        papers = int(s.scalar(select(func.max(Paper.id))) or 0)  # rowid: one lookup
        return wanted * papers / selected <= _WALK_LIMIT

    def _search(self, q: Query, limit: int | None = None) -> SearchResult | None:
        """The index's hits for *q*'s text, restricted by its filters (None: no text)."""
        if not q.text.strip():
            return None
        behind = self.index_behind()
        with self.db.reader() as s:
            if behind:
                # The index may hold papers purged since, or copies of papers
                # from before a change: the hits are only those the database
                # has and the filters allow.
                restrict = {"allowed": _fetch_ids(s, select(Paper.id).where(and_(*filters(q))))}
            else:
                restrict = _restriction(s, q)
        ranked = q.sort == "relevance"
        # A ranked page reads enough hits to put title phrases first among them.
        wanted = limit if limit is None or not ranked else max(limit, PHRASE_FIRST)
        hits = self.index.search(q.text, wanted, scored=ranked, **restrict)
        if ranked and hits.phrase:
            self._phrases_first(hits)
        if limit is not None:
            hits.ids = hits.ids[:limit]
        return hits

    def _phrases_first(self, hits: SearchResult) -> None:
        """Among the best :data:`PHRASE_FIRST` hits, titles holding the words in order go first.

        BM25 scores words wherever they stand; a title saying "language
        models" is a better match for that search than one saying "models
        of language".  The titles come from the database, the few words are
        checked with the index's own analyzer.
        """
        top = hits.ids[:PHRASE_FIRST]
        with self.db.reader() as s:
            titles = {
                pid: title
                for pid, title in s.execute(select(Paper.id, Paper.title).where(Paper.id.in_(top)))
            }
        phrase = [pid for pid in top if has_phrase(titles.get(pid, ""), hits.phrase)]
        if phrase:
            first = set(phrase)
            hits.ids[: len(top)] = phrase + [pid for pid in top if pid not in first]

    @staticmethod
    def _sorted(q: Query, *, per_row_tags: bool = False, walk: bool = True) -> Select[Any]:
        """The ids *q* selects, in its order (*walk*: see :func:`_feed_order`)."""
        key = q.sort if q.sort in _SORT_COLUMNS or q.sort == "feed" else DEFAULT_SORT
        if key == "feed":
            order = _feed_order(q, walk=walk)
        else:
            order = [c.desc() if q.descending else c.asc() for c in _SORT_COLUMNS[key]]
        conds = filters(q, per_row_tags=per_row_tags)
        return select(Paper.id).where(and_(*conds)).order_by(*order)

    def count(self, q: Query | None = None) -> int:
        """How many papers *q* selects (untrashed papers by default)."""
        q = q or Query()
        if q.ids is not None:
            return len(self.query(q)[0])
        if q.text.strip():
            hits = self._search(q.with_(sort="added"), limit=0)
            return hits.total if hits is not None else 0
        conds = filters(q)
        with self.db.reader() as s:
            if len(conds) == 1 and not q.trashed:
                # The whole library less the trash: SQLite counts a table's rows
                # from its pages' cell counts (~0.05 ms at 100,000 papers),
                # while "not trashed" walked 100,000 index entries (~8 ms).
                total = s.scalar(select(func.count()).select_from(Paper))
                trashed = s.scalar(
                    select(func.count()).select_from(Paper).where(Paper.trashed_at.is_not(None))
                )
                return int(total or 0) - int(trashed or 0)
            if len(conds) == 2 and len(q.tags) == 1 and not q.trashed:
                # A tag view: its links less those of trashed papers, read from
                # the link table alone (~1 ms for a tag on 10,000 papers, where
                # looking up each paper's row took ~12 ms).
                links = _tagged(q.tags).where(
                    PaperTag.paper_id.not_in(select(Paper.id).where(Paper.trashed_at.is_not(None)))
                )
                return int(s.scalar(select(func.count()).select_from(links.subquery())) or 0)
            return int(s.scalar(select(func.count(Paper.id)).where(and_(*conds))) or 0)

    def any_with(self, field: Literal["authors", "year"]) -> bool:
        """Whether any paper outside the trash has *field* (authors, a year).

        One range look-up in the view index of that sort
        (``ix_papers_trashed_authors`` / ``_year``): a library of feed pages
        without either answers as fast as one with them.
        """
        has = Paper.authors_sort > "" if field == "authors" else Paper.year.is_not(None)
        with self.db.reader() as s:
            found = s.scalar(select(Paper.id).where(Paper.trashed_at.is_(None), has).limit(1))
        return found is not None

    def get(self, ids: Sequence[int], *, include_trashed: bool = True) -> list[PaperData]:
        """Return snapshots of *ids* in the given order (unknown ids are skipped)."""
        out: dict[int, PaperData] = {}
        for chunk in chunks(ids):
            with self.db.reader() as s:
                out.update(self._snapshots(s, chunk, include_trashed))
        return [out[i] for i in ids if i in out]

    @staticmethod
    def _snapshots(s: Session, chunk: list[int], include_trashed: bool) -> dict[int, PaperData]:
        tags: dict[int, list[str]] = {}
        for pid, name in s.execute(
            select(PaperTag.paper_id, Tag.name)
            .join(Tag, Tag.id == PaperTag.tag_id)
            .where(PaperTag.paper_id.in_(chunk))
            .order_by(Tag.name_lower)
        ):
            tags.setdefault(pid, []).append(name)
        notes: dict[int, str] = {
            k: v
            for k, v in s.execute(select(Note.paper_id, Note.text).where(Note.paper_id.in_(chunk)))
        }
        out: dict[int, PaperData] = {}
        # Plain column rows, not ORM instances: identity-map bookkeeping per
        # object was most of the cost of exporting 100,000 papers.
        # Unpacked as tuples: a Row's attribute access per field was a third
        # of the cost of exporting 100,000 papers.
        for (
            pid,
            title,
            abstract,
            authors,
            year,
            venue,
            arxiv_id,
            doi,
            url,
            links,
            entry_type,
            citekey,
            starred,
            read,
            batch_id,
            added_at,
            updated_at,
            revision,
            trashed_at,
            people,
            pdf_path,
            extra,
            edited,
        ) in s.execute(select(*_SNAPSHOT_COLUMNS).where(Paper.id.in_(chunk))):
            if trashed_at is not None and not include_trashed:
                continue
            display = _json_tuple(authors)
            out[pid] = PaperData(
                id=pid,
                title=title,
                abstract=abstract,
                authors=display,
                year=year,
                venue=venue,
                arxiv_id=arxiv_id or "",
                doi=doi or "",
                url=url,
                links=_json_tuple(links),
                entry_type=entry_type,
                citekey=citekey,
                starred=starred,
                read=read,
                tags=tuple(tags.get(pid, ())),
                note=notes.get(pid, ""),
                batch_id=batch_id,
                added_at=added_at,
                updated_at=updated_at,
                revision=revision,
                trashed=trashed_at is not None,
                people=load_people(people, display),
                pdf_path=pdf_path,
                extra=load_extra(extra),
                edited=frozenset(_json_tuple(edited)) if edited else frozenset(),
            )
        return out

    def paper(self, pid: int) -> PaperData:
        """One paper's snapshot; raises KeyError if there is none."""
        found = self.get([pid])
        if not found:
            raise KeyError(f"no paper with id {pid}")
        return found[0]

    def iter_papers(self, ids: Sequence[int], chunk: int = CHUNK) -> Iterator[PaperData]:
        """Snapshots of *ids* in order, fetched a slice at a time."""
        for part in chunks(ids, chunk):
            yield from self.get(part)

    def existing_ids(self, ids: Iterable[int]) -> list[int]:
        """The ids of *ids* that name papers (trashed included), in order."""
        ids = list(ids)
        found: set[int] = set()
        with self.db.reader() as s:
            for chunk in chunks(ids):
                found |= set(s.scalars(select(Paper.id).where(Paper.id.in_(chunk))))
        return [i for i in ids if i in found]

    def revisions(self) -> dict[int, int]:
        """Every paper's revision (the index holds the revision it indexed)."""
        with self.db.reader() as s:
            return {int(i): int(r) for i, r in s.execute(select(Paper.id, Paper.revision))}

    def index_behind(self) -> bool:
        """Whether the index may not have seen every change (cheap: its stamp and a counter).

        Readers never wait for the index to catch up: they answer from it as
        it is, checked against the database (see :meth:`_search`).
        """
        return self.index.seen_changes != self.changes()

    def changes(self) -> int:
        """The library-wide change counter (see :func:`readinglist.db.bump_change_counter`)."""
        with self.db.reader() as s:
            return int(get_meta(s, "changes", "0"))
