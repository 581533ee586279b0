"""Edits of papers: star and read flags, notes, fields, citation keys, trash, purge.

Each edit validates its input first (raising ``ValueError``/``KeyError`` with
a message for the user) and then runs through the unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..citekeys import KEY_RULE, base_citekey, is_valid_citekey, make_unique
from ..db import Database, Note, Paper, utcnow
from ..people import Person, dump_people, people_from_names
from .identifiers import (
    authors_sort,
    dump_extra,
    dump_list,
    normalise_arxiv,
    normalise_doi,
    normalise_title,
    title_identifier,
)
from .query import Query
from .reads import Reads, chunks
from .writes import UnitOfWork

__all__ = ["EDITABLE", "Edits", "rekey_placeholder"]

# Bibliographic fields :meth:`Edits.update_paper` may change.
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
    "pdf_path",
    "extra",
)


def _field_values(values: dict[str, Any]) -> dict[str, Any]:
    """Column values for edited fields, with their derived keys; ValueError if invalid."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"cannot edit {', '.join(sorted(unknown))}")
    row: dict[str, Any] = {}
    for key, value in values.items():
        if key == "authors":
            # Display names (typed by the user) or people; stored as both.
            people = people_from_names(value)
            row["authors"] = dump_list([p.display() for p in people])
            row["people"] = dump_people(people) if people else ""
            row["authors_sort"] = authors_sort(people)
        elif key == "links":
            row[key] = dump_list(list(value))
        elif key == "extra":
            row[key] = dump_extra(dict(value))
        elif key == "year":
            row[key] = None if value in (None, "") else int(value)
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
    return row


def rekey_placeholder(
    s: Session,
    pid: int,
    before: tuple[str, str, frozenset[str]],
    after: tuple[Sequence[Person], str, int | None],
) -> dict[str, str]:
    """New key columns for *pid* when its key was made from an identifier title.

    *before* is (title, citation key, user-edited fields), *after* (people,
    title, year).  A paper from a list of ids is keyed by its id
    (``ArXiv2403012342024``) until its real title arrives (a later import of
    it, a metadata fill); that key is a stand-in, so it is made again from
    the real title, as if the paper had arrived whole.  A key the user set
    or edited, or any other key, is kept: keys never change under a document.
    """
    old_title, key, edited = before
    if "citekey" in edited or "title" in edited or not any(title_identifier(old_title)):
        return {}
    stand_in = base_citekey([], old_title, None).lower()
    if stand_in == "paper" or stand_in not in key.lower():
        return {}
    people, title, year = after
    base = base_citekey(people, title, year)
    taken = set(
        s.scalars(
            select(Paper.citekey_lower).where(
                Paper.citekey_lower.like(f"{base.lower()}%"), Paper.id != pid
            )
        )
    )
    new = make_unique(base, taken)
    return {"citekey": new, "citekey_lower": new.lower()}


class Edits:
    """Changes to papers' own fields and their place in the library (trash)."""

    def __init__(self, db: Database, reads: Reads, uow: UnitOfWork) -> None:
        self.db = db
        self.reads = reads
        self.uow = uow

    def set_flag(self, column: str, ids: Sequence[int], value: bool) -> list[int]:
        """Set ``starred`` or ``read`` on *ids*; return the papers that changed."""
        if column not in {"starred", "read"}:
            raise ValueError(f"unknown flag {column}")
        col = getattr(Paper, column)

        def apply(s: Session, ids: list[int]) -> list[int]:
            changed: list[int] = []
            for chunk in chunks(ids):
                changed += list(
                    s.scalars(select(Paper.id).where(Paper.id.in_(chunk), col.is_not(value)))
                )
                s.execute(update(Paper).where(Paper.id.in_(chunk)).values({column: value}))
            return changed

        return self.uow.run(column, ids, apply, indexed=False)

    def set_note(self, pid: int, text: str) -> None:
        """Replace the note of *pid* (an empty text removes it)."""
        self.reads.paper(pid)

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

        self.uow.run("note", [pid], apply)

    def append_note(self, pid: int, text: str) -> None:
        """Add *text* as a new paragraph at the end of the note of *pid*."""
        current = self.reads.paper(pid).note
        joined = f"{current.rstrip()}\n\n{text}" if current.strip() else text
        self.set_note(pid, joined)

    def update_paper(self, pid: int, *, by_user: bool = True, **values: Any) -> None:
        """Edit bibliographic fields of one paper (see :data:`EDITABLE`).

        Fields the user edits (*by_user*) are remembered, so a metadata fill
        (which passes ``by_user=False``) never overwrites them.
        """
        row = _field_values(values)
        before = self.reads.paper(pid)
        if by_user:
            row["edited"] = dump_list(sorted(before.edited | set(values)))

        def apply(s: Session, _ids: list[int]) -> None:
            if not by_user and "title" in row:
                people = people_from_names(values.get("authors", before.people))
                year = row.get("year", before.year)
                row.update(
                    rekey_placeholder(
                        s,
                        pid,
                        (before.title, before.citekey, before.edited),
                        (people, row["title"], year),
                    )
                )
            s.execute(update(Paper).where(Paper.id == pid).values(row))

        self.uow.run("edit", [pid], apply)

    def set_citekey(self, pid: int, key: str) -> None:
        """Change a paper's citation key; raises ValueError if invalid or taken."""
        key = key.strip()
        if not is_valid_citekey(key):
            raise ValueError(f"'{key}' is not a valid citation key ({KEY_RULE})")
        with self.db.reader() as s:
            other = s.scalar(
                select(Paper.id).where(Paper.citekey_lower == key.lower(), Paper.id != pid)
            )
        if other is not None:
            raise ValueError(f"citation key '{key}' is already used by paper {other}")
        self.reads.paper(pid)

        def apply(s: Session, _ids: list[int]) -> None:
            s.execute(
                update(Paper).where(Paper.id == pid).values(citekey=key, citekey_lower=key.lower())
            )

        self.uow.run("citekey", [pid], apply)

    def trash(self, ids: Sequence[int]) -> list[int]:
        """Move papers to the trash (restorable)."""
        now = utcnow()

        def apply(s: Session, ids: list[int]) -> None:
            for chunk in chunks(ids):
                s.execute(
                    update(Paper)
                    .where(Paper.id.in_(chunk), Paper.trashed_at.is_(None))
                    .values(trashed_at=now)
                )

        return self.uow.run("trash", self.reads.existing_ids(ids), apply, indexed=False)

    def restore(self, ids: Sequence[int]) -> list[int]:
        """Take papers out of the trash."""

        def apply(s: Session, ids: list[int]) -> None:
            for chunk in chunks(ids):
                s.execute(update(Paper).where(Paper.id.in_(chunk)).values(trashed_at=None))

        return self.uow.run("restore", self.reads.existing_ids(ids), apply, indexed=False)

    def purge(self, ids: Sequence[int]) -> list[int]:
        """Delete papers for good (database and index)."""

        def apply(s: Session, ids: list[int]) -> None:
            for chunk in chunks(ids):
                s.execute(delete(Paper).where(Paper.id.in_(chunk)))

        # The rows are gone, so there is nothing to touch; the index drops them.
        return self.uow.run("purge", self.reads.existing_ids(ids), apply, touch=False)

    def empty_trash(self) -> list[int]:
        """Purge every paper in the trash."""
        return self.purge(self.reads.query(Query(trashed=True))[0])
