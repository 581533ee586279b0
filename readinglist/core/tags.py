"""Tags: parsing what users type, tagging papers, and managing the tag list.

A tag name is trimmed and its inner white space collapsed; tags compare
case-insensitively and keep the first spelling they were created with.
Every change goes through the unit of work, so the index (which holds each
paper's tags) follows.

Tag administration (rename, recolour, merge, delete) is undone exactly from
a :class:`TagSnapshot` taken before: :meth:`Tags.restore` puts the tag back
with its spelling, its colour and the very papers it was on, or removes a tag
that did not exist then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..db import Database, Paper, PaperTag, Tag
from .reads import Reads, chunks
from .writes import UnitOfWork

__all__ = ["TagInfo", "TagSnapshot", "Tags", "clean_tag", "parse_tag_list"]


@dataclass(frozen=True)
class TagInfo:
    """A tag with the number of (untrashed) papers carrying it."""

    id: int
    name: str
    colour: str
    count: int


@dataclass(frozen=True)
class TagSnapshot:
    """A tag as it was: its spelling, its colour and every paper it was on (trash included).

    ``existed`` False records that there was no tag of that name: restoring
    it removes the tag made since (the target a merge created).
    """

    name: str
    colour: str
    paper_ids: tuple[int, ...]
    existed: bool = True


def clean_tag(name: str) -> str:
    """A tag name as stored: trimmed, inner white space collapsed."""
    return " ".join(name.split())


def parse_tag_list(values: str | Iterable[str]) -> list[str]:
    """Split comma-separated tag text into clean, unique tag names.

    Takes one string or several (the command line's ``--add a b,c``).
    White space is trimmed and collapsed, empty entries dropped, and repeats
    removed case-insensitively, keeping the first spelling and the order.
    """
    texts = [values] if isinstance(values, str) else list(values)
    tags: list[str] = []
    seen: set[str] = set()
    for text in texts:
        for part in text.split(","):
            name = clean_tag(part)
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                tags.append(name)
    return tags


def ensure_tags(s: Session, names: Iterable[str]) -> dict[str, int]:
    """Return ``{casefolded name: tag id}``, creating missing tags in *s*."""
    wanted = {clean_tag(n): None for n in names if n.strip()}
    folded = {n.casefold(): n for n in wanted}
    have: dict[str, int] = {
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


def _tag_id(s: Session, name: str) -> int:
    tid = s.scalar(select(Tag.id).where(Tag.name_lower == clean_tag(name).casefold()))
    if tid is None:
        raise KeyError(f"no tag named '{name}'")
    return int(tid)


def _tagged(s: Session, tag_ids: Sequence[int]) -> list[int]:
    return list(s.scalars(select(PaperTag.paper_id).where(PaperTag.tag_id.in_(tag_ids)).distinct()))


class Tags:
    """Tagging papers and managing the tag list."""

    def __init__(self, db: Database, reads: Reads, uow: UnitOfWork) -> None:
        self.db = db
        self.reads = reads
        self.uow = uow

    def all(self) -> list[TagInfo]:
        """Every tag, by name, with its count of untrashed papers."""
        with self.db.reader() as s:
            counts: dict[int, int] = {
                k: v
                # "Not in the trash" through the trash's few ids: joining every
                # link to its paper read the papers' (large) rows.
                for k, v in s.execute(
                    select(PaperTag.tag_id, func.count())
                    .where(
                        PaperTag.paper_id.not_in(
                            select(Paper.id).where(Paper.trashed_at.is_not(None))
                        )
                    )
                    .group_by(PaperTag.tag_id)
                )
            }
            return [
                TagInfo(t.id, t.name, t.colour, int(counts.get(t.id, 0)))
                for t in s.scalars(select(Tag).order_by(Tag.name_lower))
            ]

    def add(self, ids: Sequence[int], names: Iterable[str]) -> list[int]:
        """Give every paper of *ids* the tags *names* (created when new)."""
        names = [n for n in names if n.strip()]

        def apply(s: Session, ids: list[int]) -> None:
            tag_ids = ensure_tags(s, names)
            rows = [{"paper_id": p, "tag_id": t} for p in ids for t in tag_ids.values()]
            if rows:
                s.execute(insert(PaperTag).prefix_with("OR IGNORE"), rows)

        return self.uow.run("tags", self.reads.existing_ids(ids), apply)

    def remove(self, ids: Sequence[int], names: Iterable[str]) -> list[int]:
        """Take the tags *names* off every paper of *ids*."""
        lows = [clean_tag(n).casefold() for n in names]

        def apply(s: Session, ids: list[int]) -> None:
            tag_ids = list(s.scalars(select(Tag.id).where(Tag.name_lower.in_(lows))))
            for chunk in chunks(ids):
                s.execute(
                    delete(PaperTag).where(
                        PaperTag.paper_id.in_(chunk), PaperTag.tag_id.in_(tag_ids)
                    )
                )

        return self.uow.run("tags", self.reads.existing_ids(ids), apply)

    def set_colour(self, name: str, colour: str) -> None:
        """Set a tag's colour (``#rrggbb``, or "" for none)."""

        def apply(s: Session, _ids: list[int]) -> None:
            s.execute(update(Tag).where(Tag.id == _tag_id(s, name)).values(colour=colour))

        # The index holds no colours: nothing to reindex.
        self.uow.run("tag-colour", [], apply, indexed=False)

    def rename(self, old: str, new: str) -> None:
        """Rename a tag; renaming onto an existing tag merges the two."""
        new = clean_tag(new)
        if not new:
            raise ValueError("a tag needs a name")
        with self.db.reader() as s:
            target = s.scalar(select(Tag.id).where(Tag.name_lower == new.casefold()))
            source = _tag_id(s, old)
            ids = _tagged(s, [source])
        if target is not None and target != source:
            self.merge([old], new)
            return

        def apply(s: Session, _ids: list[int]) -> None:
            s.execute(
                update(Tag).where(Tag.id == source).values(name=new, name_lower=new.casefold())
            )

        self.uow.run("tags", ids, apply)

    def merge(self, sources: Sequence[str], target: str) -> None:
        """Give every paper tagged with any of *sources* the *target* tag, then drop the sources."""
        with self.db.reader() as s:
            src_ids = [_tag_id(s, n) for n in sources]
            ids = _tagged(s, src_ids)

        def apply(s: Session, ids: list[int]) -> None:
            tid = ensure_tags(s, [target])[clean_tag(target).casefold()]
            rows = [{"paper_id": p, "tag_id": tid} for p in ids]
            if rows:
                s.execute(insert(PaperTag).prefix_with("OR IGNORE"), rows)
            drop = [i for i in src_ids if i != tid]
            s.execute(delete(PaperTag).where(PaperTag.tag_id.in_(drop)))
            s.execute(delete(Tag).where(Tag.id.in_(drop)))

        self.uow.run("tags", ids, apply)

    def delete(self, name: str) -> None:
        """Remove a tag from every paper and from the tag list."""
        with self.db.reader() as s:
            tid = _tag_id(s, name)
            ids = _tagged(s, [tid])

        def apply(s: Session, _ids: list[int]) -> None:
            s.execute(delete(PaperTag).where(PaperTag.tag_id == tid))
            s.execute(delete(Tag).where(Tag.id == tid))

        self.uow.run("tags", ids, apply)

    def snapshot(self, name: str) -> TagSnapshot:
        """The tag *name* as it is now (``existed=False`` when there is none)."""
        name = clean_tag(name)
        with self.db.reader() as s:
            tag = s.execute(
                select(Tag.id, Tag.name, Tag.colour).where(Tag.name_lower == name.casefold())
            ).first()
            if tag is None:
                return TagSnapshot(name, "", (), existed=False)
            tid, spelling, colour = tag
            links = s.scalars(
                select(PaperTag.paper_id).where(PaperTag.tag_id == tid).order_by(PaperTag.paper_id)
            )
            return TagSnapshot(spelling, colour, tuple(links))

    def restore(self, snapshots: Sequence[TagSnapshot]) -> list[int]:
        """Put each tag back as its snapshot has it; return the papers whose tags changed.

        A tag that existed gets its spelling, colour and exactly its papers
        back (created again if it is gone); one that did not is removed.
        Papers purged since are left out.  One transaction for them all, so
        undoing a merge shows no moment with half the tags back.
        """
        lows = [snap.name.casefold() for snap in snapshots]
        with self.db.reader() as s:
            tag_ids = list(s.scalars(select(Tag.id).where(Tag.name_lower.in_(lows))))
            touched = set(_tagged(s, tag_ids)) if tag_ids else set()
        touched.update(i for snap in snapshots for i in snap.paper_ids)
        ids = self.reads.existing_ids(sorted(touched))

        def apply(s: Session, ids: list[int]) -> None:
            alive = set(ids)
            for snap in snapshots:
                _put_back(s, snap, alive)

        return self.uow.run("tags", ids, apply)


def _put_back(s: Session, snap: TagSnapshot, alive: set[int]) -> None:
    """Make the tag of *snap* what it was, on the papers of *alive* (inside a transaction)."""
    low = snap.name.casefold()
    tid = s.scalar(select(Tag.id).where(Tag.name_lower == low))
    if not snap.existed:
        if tid is not None:
            s.execute(delete(PaperTag).where(PaperTag.tag_id == tid))
            s.execute(delete(Tag).where(Tag.id == tid))
        return
    if tid is None:
        tag = Tag(name=snap.name, name_lower=low, colour=snap.colour)
        s.add(tag)
        s.flush()
        tid = tag.id
    else:
        s.execute(update(Tag).where(Tag.id == tid).values(name=snap.name, colour=snap.colour))
    have = set(s.scalars(select(PaperTag.paper_id).where(PaperTag.tag_id == tid)))
    wanted = {i for i in snap.paper_ids if i in alive}
    for chunk in chunks(sorted(have - wanted)):
        s.execute(delete(PaperTag).where(PaperTag.tag_id == tid, PaperTag.paper_id.in_(chunk)))
    rows = [{"paper_id": p, "tag_id": tid} for p in sorted(wanted - have)]
    if rows:
        s.execute(insert(PaperTag), rows)
