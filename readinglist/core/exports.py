"""Exports: which papers, in what format, written atomically to a file.

:func:`write_atomic` is the one way an export reaches the disk: the text goes
to ``<name>.part`` beside the target and replaces it only when complete, so
a failure, a full disk or a cancel never leaves half a ``.bib`` behind.
:func:`scope_ids` resolves what the user asked to export (everything, the
selection, the current view, a query) to paper ids, for both clients.

:meth:`Exports.bibtex` reads the papers itself rather than through
:meth:`Reads.get <readinglist.core.reads.Reads.get>`: exporting a whole
library is a bulk read of a dozen columns, and full snapshots (SQLAlchemy's
statement compilation per chunk, every column, a frozen dataclass per paper)
were half the time of exporting 100,000 papers.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, TextIO

from sqlalchemy import Connection

from ..exporters import bibtex as bibtex_export
from ..people import Person, load_people
from .identifiers import load_extra
from .progress import Progress
from .query import Query
from .reads import Reads, chunks

__all__ = ["ExportScope", "Exports", "scope_ids", "write_atomic"]


class ExportScope(enum.Enum):
    """What to export."""

    ALL = "all"  # every paper outside the trash
    SELECTION = "selection"  # the ids the user selected, in their order
    VIEW = "view"  # what the current query shows, in its order


def scope_ids(
    reads: Reads,
    scope: ExportScope,
    *,
    selection: Sequence[int] = (),
    view: Query | None = None,
) -> list[int]:
    """The ids *scope* stands for (see :class:`ExportScope`)."""
    if scope is ExportScope.SELECTION:
        return reads.existing_ids(selection)
    if scope is ExportScope.VIEW and view is not None:
        return reads.query(view)[0]
    return reads.query(Query())[0]


def write_atomic(target: Path, write: Callable[[TextIO], int]) -> int:
    """Call ``write(fp)`` on a temporary file, then move it onto *target*.

    Returns what *write* returned.  On any failure (including a cancel) the
    temporary file is removed and *target* is left as it was.
    """
    tmp = target.with_name(target.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            result = write(fh)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


class _Record(NamedTuple):
    """What the exporter reads of one paper (see :class:`readinglist.exporters.bibtex.Record`)."""

    title: str
    abstract: str
    people: tuple[Person, ...]
    year: int | None
    venue: str
    arxiv_id: str
    doi: str
    url: str
    entry_type: str
    citekey: str
    tags: tuple[str, ...]
    note: str
    extra: tuple[tuple[str, str], ...]


# The queries Reads._snapshots runs, limited to what the exporter writes, as
# plain SQL through SQLAlchemy's driver-level call: the ORM path compiled an
# expanding IN of 900 ids for every chunk and built its result rows in Python,
# which cost more than reading the text itself.
_PAPERS_SQL = (
    "SELECT id, title, abstract, authors, year, venue, arxiv_id, doi, url, entry_type, citekey,"
    " people, extra FROM papers WHERE id IN ({})"
)
_TAGS_SQL = (
    "SELECT paper_tags.paper_id, tags.name FROM paper_tags"
    " JOIN tags ON tags.id = paper_tags.tag_id"
    " WHERE paper_tags.paper_id IN ({}) ORDER BY tags.name_lower"
)
_NOTES_SQL = "SELECT paper_id, text FROM notes WHERE paper_id IN ({})"


def _records(conn: Connection, ids: list[int]) -> list[_Record]:
    """Return the records of *ids* in their order, skipping unknown ids.

    *ids* are at most :data:`~readinglist.core.reads.CHUNK`, the limit of one
    ``IN (...)``.  Trashed papers are included, as :meth:`Reads.get` includes them.
    """
    params = tuple(ids)
    marks = ",".join("?" * len(params))
    tags: dict[int, list[str]] = {}
    for pid, name in conn.exec_driver_sql(_TAGS_SQL.format(marks), params):
        tags.setdefault(pid, []).append(name)
    notes: dict[int, str] = {
        pid: text for pid, text in conn.exec_driver_sql(_NOTES_SQL.format(marks), params)
    }
    found: dict[int, _Record] = {}
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
        entry_type,
        citekey,
        people,
        extra,
    ) in conn.exec_driver_sql(_PAPERS_SQL.format(marks), params).fetchall():
        found[pid] = _Record(
            title,
            abstract,
            # "[]", the usual value, without the JSON parser.
            () if authors == "[]" else load_people(people, json.loads(authors)),
            year,
            venue,
            arxiv_id or "",
            doi or "",
            url,
            entry_type,
            citekey,
            tuple(tags[pid]) if pid in tags else (),
            notes.get(pid, ""),
            load_extra(extra),
        )
    return [found[i] for i in ids if i in found]


class Exports:
    """Writes papers out in the formats of :mod:`readinglist.exporters`."""

    FORMATS: tuple[str, ...] = ("bibtex",)

    def __init__(self, reads: Reads) -> None:
        self.reads = reads

    def bibtex(self, ids: Sequence[int], fp: TextIO, progress: Progress | None = None) -> int:
        """Write BibTeX for *ids* to *fp*; return the number of entries."""
        total = len(ids)
        written = 0
        # Shared across chunks so keys stay unique in the whole file.
        taken: set[str] = set()
        done = 0
        # One read transaction for the whole export: the file is one snapshot
        # of the library, and a chunk at a time keeps memory flat.
        with self.reads.db.reader() as session:
            conn = session.connection()
            for chunk in chunks(ids):
                if progress is not None:
                    progress.check()
                written += bibtex_export.dump(_records(conn, chunk), fp, taken=taken)
                done += len(chunk)
                if progress is not None:
                    progress.report("export", done, total)
        return written

    def to_file(
        self,
        ids: Sequence[int],
        target: Path,
        fmt: str = "bibtex",
        progress: Progress | None = None,
    ) -> int:
        """Write *ids* to *target* atomically in *fmt*; return the number of entries."""
        if fmt not in self.FORMATS:
            raise ValueError(f"unknown export format '{fmt}'")
        return write_atomic(Path(target), lambda fp: self.bibtex(ids, fp, progress))
