"""Exports: which papers, in what format, written atomically to a file.

:func:`write_atomic` is the one way an export reaches the disk: the text goes
to a file beside the target and replaces it only when complete, so a failure,
a full disk, a cancel or a kill never leaves half a ``.bib`` behind.
:func:`scope_ids` resolves what the user asked to export (everything, the
selection, the current view, a query) to paper ids, for both clients.

:class:`Exports` writes every format of :mod:`readinglist.exporters`
(:attr:`Exports.FORMATS`).  It reads the papers itself rather than through
:meth:`Reads.get <readinglist.core.reads.Reads.get>`: exporting a whole
library is a bulk read of a dozen columns, and full snapshots (SQLAlchemy's
statement compilation per chunk, every column, a frozen dataclass per paper)
were half the time of exporting 100,000 papers.  The records are read a
chunk at a time inside one read transaction and handed to the format's
streaming ``dump`` as one iterator, so every format streams (keys stay
unique across the file, CSL-JSON's array is written piece by piece) and
memory stays flat.

:meth:`Exports.incomplete` is the check before an export: which papers lack
an author or a year, which citation styles print poorly ("n.d.", a title
for a name).  The clients offer to fill their metadata first.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import NamedTuple, TextIO

from sqlalchemy import Connection

from ..exporters import WRITERS
from ..people import Person, load_people
from .identifiers import load_extra
from .progress import Progress
from .query import Query
from .reads import Reads, chunks

__all__ = ["ExportScope", "Exports", "Incomplete", "scope_ids", "write_atomic"]

# A paper lacking what citations need: (id, title, missing fields among
# "author" and "year").
Incomplete = tuple[int, str, tuple[str, ...]]


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
    temporary file is removed and *target* is left as it was.  Where the
    system allows (Linux's ``O_TMPFILE``), the temporary file has no name
    until it is complete, so even a killed export (SIGKILL, a power cut)
    leaves nothing beside the target; elsewhere it is ``<name>.part``, and one
    left by a killed export is removed by the next export to that file.
    """
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    fd = _unnamed_file(target.parent)
    try:
        if fd is None:
            with part.open("w", encoding="utf-8", newline="\n") as fh:
                result = write(fh)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                result = write(fh)
                fh.flush()
                _publish(fd, part)
        part.replace(target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return result


def _unnamed_file(folder: Path) -> int | None:
    """A file descriptor of a new file in *folder* that has no name yet, or None.

    None where ``O_TMPFILE`` is missing (Windows, macOS) or the file system
    refuses it (some network and FUSE file systems): the caller then writes a
    named file, whose open gives the error a read-only or missing folder deserves.
    """
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return None
    try:
        return os.open(folder, flag | os.O_RDWR, 0o666)
    except OSError:
        return None


def _publish(fd: int, part: Path) -> None:
    """Give the unnamed file behind *fd* the name *part* (the caller renames it at once).

    Linking through ``/proc/self/fd`` is the documented way to name an
    ``O_TMPFILE`` file without privileges; without ``/proc`` the bytes are
    copied to *part* instead (:func:`write_atomic` removes it if that fails).
    """
    try:
        os.link(f"/proc/self/fd/{fd}", part, follow_symlinks=True)
        return
    except OSError:
        pass
    with part.open("wb") as out:
        offset = 0
        while chunk := os.pread(fd, 1 << 20, offset):
            out.write(chunk)
            offset += len(chunk)


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
# Papers without authors ("[]", the value a paper without any gets) or
# without a year (NULL; or text, which a library written by something else
# could hold and which every export treats as no year).  Only the rows
# found are returned, from the primary key: no abstract is read.
_INCOMPLETE_SQL = (
    "SELECT id, title, authors IN ('[]', ''), typeof(year) != 'integer' FROM papers"
    " WHERE id IN ({}) AND (authors IN ('[]', '') OR typeof(year) != 'integer')"
)


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

    # The names of readinglist.exporters.WRITERS, in the order clients offer them.
    FORMATS: tuple[str, ...] = ("bibtex", "biblatex", "ris", "csl-json", "markdown", "csv")

    def __init__(self, reads: Reads) -> None:
        self.reads = reads

    def _stream(
        self, ids: Sequence[int], progress: Progress | None
    ) -> Generator[_Record, None, None]:
        """Yield the records of *ids* in order, read a chunk at a time.

        One read transaction for the whole export: the file is one snapshot
        of the library.  Progress is checked (cancel) before each chunk and
        reported after the writer has taken all of it.  Close the generator
        to end the transaction early.
        """
        total = len(ids)
        done = 0
        with self.reads.db.reader() as session:
            conn = session.connection()
            for chunk in chunks(ids):
                if progress is not None:
                    progress.check()
                yield from _records(conn, chunk)
                done += len(chunk)
                if progress is not None:
                    progress.report("export", done, total)

    def write(
        self,
        ids: Sequence[int],
        fp: TextIO,
        fmt: str = "bibtex",
        progress: Progress | None = None,
    ) -> int:
        """Write *ids* to *fp* in *fmt* (one of :attr:`FORMATS`); return the number of papers.

        *fp* is a text stream; for CSV it should be opened with
        ``newline=""`` or ``"\\n"`` (as :func:`write_atomic` opens files).
        """
        if fmt not in self.FORMATS:
            raise ValueError(f"unknown export format '{fmt}'")
        records = self._stream(ids, progress)
        try:
            # One call over all chunks: keys stay unique in the whole file.
            return WRITERS[fmt](records, fp)
        finally:
            records.close()

    def bibtex(self, ids: Sequence[int], fp: TextIO, progress: Progress | None = None) -> int:
        """Write BibTeX for *ids* to *fp*; return the number of entries."""
        return self.write(ids, fp, "bibtex", progress)

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
        return write_atomic(Path(target), lambda fp: self.write(ids, fp, fmt, progress))

    def incomplete(self, ids: Sequence[int]) -> list[Incomplete]:
        """Return the papers of *ids* without an author or a year, in the order of *ids*.

        Each is (paper id, title, the missing fields among ``"author"`` and
        ``"year"``); unknown ids are skipped and repeated ones named once.
        Citation styles print such papers poorly (BibTeX writes "n.d." for
        the year; a title or key stands in for the author), so the clients
        tell the user before exporting and offer to fill their metadata.
        """
        found: dict[int, Incomplete] = {}
        with self.reads.db.reader() as session:
            conn = session.connection()
            for chunk in chunks(ids):
                params = tuple(chunk)
                sql = _INCOMPLETE_SQL.format(",".join("?" * len(params)))
                for pid, title, no_author, no_year in conn.exec_driver_sql(sql, params):
                    missing = ("author",) * bool(no_author) + ("year",) * bool(no_year)
                    found[pid] = (pid, title, missing)
        out: list[Incomplete] = []
        for pid in ids:
            entry = found.pop(pid, None)
            if entry is not None:
                out.append(entry)
        return out
