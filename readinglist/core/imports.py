"""Imports: what to read, what it holds, and adding it in one transaction.

The work is split in two so the rules can be tested without a database:

* the **plan** is pure: :func:`expand_paths` turns dropped folders into the
  files they hold, the importer registry parses bytes into records, and
  :class:`ImportPlanner` decides, record by record and against a snapshot of
  what the library already has (:class:`Known`), which papers are new, which
  are duplicates and which are unusable;
* the **apply** (:meth:`Importer.import_records`) takes SQLite's write lock,
  reads the snapshot, runs the planner and inserts the new papers, their
  tags and notes and the batch row in one transaction through the unit of
  work, which then indexes the new papers.  A failure or a cancel before the
  commit leaves the library unchanged.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, case, func, insert, select, update
from sqlalchemy.orm import Session

from .. import importers
from ..citekeys import is_valid_citekey, make_citekey
from ..db import Database, ImportBatch, Note, Paper, PaperTag, Tag, get_meta, set_meta, utcnow
from ..people import Person, dump_people, load_people, people_from_names
from ..records import InputError, ParsedPaper, ParseResult, Problem, quoted
from .duplicates import (
    FILL_COLUMNS,
    IMPORT_CUTOFF,
    Facts,
    TitleIndex,
    compatible,
    edited_fields,
    eligible,
    fill_empty,
    join_notes,
)
from .edits import rekey_placeholder
from .identifiers import (
    authors_sort,
    dump_extra,
    dump_list,
    normalise_arxiv,
    normalise_doi,
    normalise_title,
)
from .progress import Cancelled, Progress
from .reads import chunks
from .tags import clean_tag, ensure_tags
from .writes import UnitOfWork

__all__ = [
    "ImportPlanner",
    "ImportReport",
    "Importer",
    "Known",
    "Planned",
    "PlannedMerge",
    "RecordKeys",
    "expand_paths",
]

# Rows per INSERT statement during an import (bounds the memory it needs).
INSERT_BATCH = 2000
# The papers table: the planned rows are complete, so they go in as a Core
# insert, without the ORM's per-row bookkeeping.
_PAPERS = cast(Table, Paper.__table__)


def expand_paths(paths: Sequence[Path], skipped: list[Path] | None = None) -> list[Path]:
    """Expand folders (recursively, sorted) into the files they hold.

    Hidden files and folders are skipped, and so are files of a folder whose
    name says they are not papers (images, archives...: see
    :func:`readinglist.importers.importable`); plain paths are kept as given
    (a missing one is reported by the import, not dropped here).  The files
    left out for their name are appended to *skipped*, to be reported.
    """
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if not child.is_file() or hidden:
                    continue
                if importers.importable(child):
                    out.append(child)
                elif skipped is not None:
                    skipped.append(child)
        else:
            out.append(path)
    return out


@dataclass
class ImportReport:
    """What one import did: ids added, duplicates found and merged, problems met."""

    file_name: str
    format: str = ""
    label: str = ""
    batch_id: int | None = None
    added: list[int] = field(default_factory=list)
    # Every record the library (or the file, earlier) already had: (title, that paper's id).
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    # The duplicates that brought something: (paper id, what it got), one per
    # record, in file order.  What it got: the fields filled (see
    # :func:`~.duplicates.fill_empty`), "tag:<name>" per tag added, "note".
    merged: list[tuple[int, list[str]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # A failure of the whole file (unreadable, empty, no papers...).
    error: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error and not self.problems

    @property
    def unchanged(self) -> int:
        """How many duplicates brought nothing new."""
        return len(self.duplicates) - len(self.merged)

    def summary(self) -> str:
        """One line for the user: file, added, duplicates (merged or not), problems."""
        if self.error:
            return f"{self.file_name}: failed: {self.error}"
        label = f" [{self.label}]" if self.label else ""
        # "N duplicates" stays as it was (scripts read it); the split follows.
        split = (
            f" ({len(self.merged)} merged into existing papers, {self.unchanged} unchanged)"
            if self.duplicates
            else ""
        )
        return (
            f"{self.file_name}{label}: {len(self.added)} added, "
            f"{len(self.duplicates)} duplicates{split}, {len(self.problems)} problems"
        )

    def to_json(self) -> dict[str, object]:
        """The JSON form printed by ``import --json``."""
        return {
            "file": self.file_name,
            "format": self.format,
            "label": self.label,
            "added": self.added,
            "duplicates": [{"title": t, "existing_id": i} for t, i in self.duplicates],
            "merged": [{"id": i, "filled": what} for i, what in self.merged],
            "problems": [p.describe(self.file_name) for p in self.problems],
            "error": self.error or None,
        }


@dataclass
class Known:
    """What the library already holds that an import must not repeat.

    A record is the same paper as a known one with the same arXiv id, DOI or
    folded title, or a nearly equal title (:meth:`match`).
    """

    by_arxiv: dict[str, int] = field(default_factory=dict)
    by_doi: dict[str, int] = field(default_factory=dict)
    by_title: dict[str, int] = field(default_factory=dict)
    citekeys: set[str] = field(default_factory=set)
    next_id: int = 1
    # Year, arXiv id and DOI by paper id: what a fuzzy title match must not contradict.
    facts: dict[int, Facts] = field(default_factory=dict)
    # Made at the first fuzzy look-up (most imports of known papers need none).
    _titles: TitleIndex | None = field(default=None, init=False, repr=False)

    @classmethod
    def read(cls, s: Session) -> Known:
        """Read the snapshot inside the import's (write-locked) transaction."""
        known = cls()
        facts = known.facts
        for pid, arxiv, doi, tkey, year in s.execute(
            select(Paper.id, Paper.arxiv_id, Paper.doi, Paper.title_key, Paper.year)
        ):
            if arxiv:
                known.by_arxiv[arxiv] = pid
            if doi:
                known.by_doi[doi] = pid
            known.by_title[tkey] = pid
            facts[pid] = (year, arxiv, doi)
        known.citekeys = set(s.scalars(select(Paper.citekey_lower)))
        max_id = s.scalar(select(func.max(Paper.id))) or 0
        # Ids are never reused, even after a purge: the index may still hold them.
        known.next_id = max(max_id, int(get_meta(s, "max_paper_id", "0"))) + 1
        return known

    def match(self, title_key: str, arxiv: str | None, doi: str | None, year: int | None) -> int:
        """The known paper a record is, or 0.

        The exact keys first (arXiv id, DOI, folded title, as before fuzzy
        matching); only a record none of them finds is compared with the
        titles that look alike (:class:`~.duplicates.TitleIndex`, made at
        the first such record), so a new paper costs a few comparisons, not
        one per paper of the library.  The best-scoring one that nothing
        contradicts (:func:`~.duplicates.compatible`) wins.
        """
        pid = (
            (arxiv and self.by_arxiv.get(arxiv))
            or (doi and self.by_doi.get(doi))
            or self.by_title.get(title_key)
        )
        if pid or not eligible(title_key):
            return int(pid or 0)
        if self._titles is None:
            self._titles = TitleIndex()
            self._titles.add_many(self.by_title.items())
        mine: Facts = (year, arxiv, doi)
        for known_id, _score, key in self._titles.similar(title_key, IMPORT_CUTOFF):
            if compatible(mine, self.facts.get(known_id, _NO_FACTS), title_key, key):
                return known_id
        return 0

    def remember(self, row: Mapping[str, Any]) -> None:
        """Add a planned paper's row, so the rest of the file finds it."""
        pid = row["id"]
        self.citekeys.add(row["citekey_lower"])
        if row["arxiv_id"]:
            self.by_arxiv[row["arxiv_id"]] = pid
        if row["doi"]:
            self.by_doi[row["doi"]] = pid
        self.by_title[row["title_key"]] = pid
        self.facts[pid] = (row["year"], row["arxiv_id"], row["doi"])
        if self._titles is not None:
            self._titles.add(row["title_key"], pid)


_NO_FACTS: Facts = (None, None, None)


class RecordKeys(NamedTuple):
    """A record's title and the keys it is matched by, worked out once per record."""

    title: str
    title_key: str
    arxiv_id: str | None
    doi: str | None

    @classmethod
    def of(cls, paper: ParsedPaper) -> RecordKeys:
        """The keys of *paper*."""
        title = " ".join(paper.title.split())
        return cls(
            title,
            normalise_title(title),
            normalise_arxiv(paper.arxiv_id) or None,
            normalise_doi(paper.doi) or None,
        )


@dataclass
class Planned:
    """One new paper of an import: its row, tags and note."""

    row: dict[str, Any]
    tags: list[str]
    note: str


@dataclass
class PlannedMerge:
    """A record of a paper the library (or the file, earlier) has: what it may add there."""

    target: int
    # The record's values of :data:`~.duplicates.FILL_COLUMNS`.
    values: dict[str, Any]
    tags: list[str]
    note: str


class ImportPlanner:
    """Decides, record by record, what an import adds; pure (no database).

    :meth:`plan` yields the new papers and the records of known papers (to
    merge), and fills *report* with duplicates and problems.  *known* is
    updated as it goes, so a file that lists the same paper twice adds it
    once (and merges the second into it).
    """

    def __init__(self, known: Known, batch_id: int, now: datetime) -> None:
        self.known = known
        self.batch_id = batch_id
        self.now = now

    def plan(
        self,
        papers: Iterable[ParsedPaper],
        report: ImportReport,
        progress: Progress | None = None,
        total: int = 0,
    ) -> Iterator[Planned | PlannedMerge]:
        """What to do with each of *papers*, in order (*total*: how many, 0 if unknown)."""
        k = self.known
        for n, paper in enumerate(papers):
            if progress is not None and n % 1000 == 0:
                progress.check()
                progress.report("database", n, total)
            keys = RecordKeys.of(paper)
            dup = k.match(keys.title_key, keys.arxiv_id, keys.doi, paper.year)
            if dup:
                report.duplicates.append((paper.title, dup))
                values = self.values_for(paper, keys=keys)
                yield PlannedMerge(dup, values, list(paper.tags), paper.note)
                continue
            if not keys.title_key:
                report.problems.append(
                    Problem(
                        "entry has no usable title", line=paper.line, entry=paper.citekey or None
                    )
                )
                continue
            row = self.row_for(paper, k.next_id, keys=keys)
            wanted = paper.citekey.strip()
            if wanted and row["citekey"] != wanted:
                # The file's own key is taken in the library: say which key it got.
                report.problems.append(
                    Problem(
                        f"citation key {quoted(wanted)} is already in the library; "
                        f"imported as {quoted(row['citekey'])}",
                        line=paper.line,
                        entry=row["citekey"],
                    )
                )
            k.remember(row)
            k.next_id += 1
            yield Planned(row, list(paper.tags), paper.note)

    @staticmethod
    def values_for(
        paper: ParsedPaper,
        people: Sequence[Person] | None = None,
        *,
        keys: RecordKeys | None = None,
    ) -> dict[str, Any]:
        """*paper*'s values of the columns a merge may fill (:data:`~.duplicates.FILL_COLUMNS`)."""
        if people is None:
            # Importers give people; display names (tests, older callers) are parsed.
            people = people_from_names(paper.authors)
        if keys is None:
            keys = RecordKeys.of(paper)
        # "[]" written out: most records of a page have no authors or links,
        # and json.dumps of an empty list costs as much as of a full one.
        return {
            "title": keys.title,
            "title_key": keys.title_key,
            "abstract": paper.abstract,
            "authors": dump_list([p.display() for p in people]) if people else "[]",
            "people": dump_people(people) if people else "",
            "authors_sort": authors_sort(people),
            "year": paper.year,
            "venue": paper.venue,
            "arxiv_id": keys.arxiv_id,
            "doi": keys.doi,
            "url": paper.url,
            "links": dump_list(paper.links) if paper.links else "[]",
            "entry_type": paper.entry_type,
            "pdf_path": paper.pdf_path,
            "extra": dump_extra(paper.extra),
        }

    def row_for(
        self, paper: ParsedPaper, pid: int, *, keys: RecordKeys | None = None
    ) -> dict[str, Any]:
        """The database row of *paper* as paper *pid* (citation key made unique).

        *keys*: the record's keys, when the caller has them already.
        """
        if keys is None:
            keys = RecordKeys.of(paper)
        key = paper.citekey.strip()
        people = people_from_names(paper.authors)
        if not key or not is_valid_citekey(key) or key.lower() in self.known.citekeys:
            key = make_citekey(people, keys.title, paper.year, self.known.citekeys)
        return {
            **self.values_for(paper, people, keys=keys),
            "id": pid,
            "citekey": key,
            "citekey_lower": key.lower(),
            "starred": False,
            "read": False,
            "batch_id": self.batch_id,
            "added_at": self.now,
            "updated_at": self.now,
            "revision": 1,
            "trashed_at": None,
            "edited": "",
        }


class Importer:
    """Reads files and adds their papers through the unit of work."""

    def __init__(self, db: Database, uow: UnitOfWork) -> None:
        self.db = db
        self.uow = uow

    def import_paths(
        self, paths: Sequence[Path], progress: Progress | None = None
    ) -> list[ImportReport]:
        """Import files and folders (expanded); one report per file.

        A folder with nothing to import gets a report of its own saying so.
        A cancel stops after the file being imported, which is rolled back;
        earlier files stay imported.
        """
        progress = progress or Progress()
        todo: list[Path | ImportReport] = []
        for path in paths:
            skipped: list[Path] = []
            files = expand_paths([path], skipped)
            if path.is_dir() and not files:
                what = "no files Reading List reads" if skipped else "no files"
                todo.append(ImportReport(path.name, error=f"{path}: the folder holds {what}"))
            if skipped:
                # Named, so nothing in a dropped folder disappears unexplained.
                shown = ", ".join(p.name for p in skipped[:5])
                more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
                todo.append(
                    ImportReport(
                        path.name,
                        problems=[
                            Problem(
                                f"{len(skipped)} file{'s' if len(skipped) > 1 else ''} "
                                f"skipped, not in a format Reading List reads: {shown}{more}"
                            )
                        ],
                    )
                )
            todo.extend(files)
        reports: list[ImportReport] = []
        for n, item in enumerate(todo):
            if isinstance(item, ImportReport):
                reports.append(item)
                continue
            if progress.cancelled():
                break
            step = progress.scoped(f"{item.name} ({n + 1}/{len(todo)})")
            try:
                reports.append(self.import_file(item, step))
            except Cancelled:
                reports.append(ImportReport(item.name, error="cancelled: nothing imported"))
                break
        return reports

    def import_file(self, path: Path | str, progress: Progress | None = None) -> ImportReport:
        """Import one file; failures are reported, never raised (except Cancelled).

        Formats that can be (a saved page) are parsed as the file is read, so
        a large file never sits in memory whole; the others are read whole.
        """
        path = Path(path)
        try:
            stream = importers.stream_file(path)
        except IsADirectoryError:
            return ImportReport(file_name=path.name, error=f"{path}: is a folder, not a file")
        except OSError as exc:
            why = exc.strerror or str(exc)
            return ImportReport(file_name=path.name, error=f"{path}: cannot read the file ({why})")
        except InputError as exc:
            return ImportReport(file_name=path.name, error=str(exc))
        if stream is None:
            return self._import(path.read_bytes, path.name, progress, where=path)
        try:
            report = self._add(
                stream.result,
                path.name,
                stream.digest,
                progress,
                consume=False,
                stream=stream.papers,
            )
        except InputError as exc:  # Found at the end of the file; nothing was added.
            return ImportReport(file_name=path.name, error=str(exc))
        except (OSError, UnicodeDecodeError) as exc:  # The file changed while it was read.
            return ImportReport(file_name=path.name, error=f"{path}: cannot read the file ({exc})")
        # Parsing ran inside the database stage, paper by paper.
        report.timings["parse"] = 0.0
        return report

    def import_bytes(
        self, data: bytes, name: str, progress: Progress | None = None
    ) -> ImportReport:
        """Import the bytes of a file (or pasted text) called *name*."""
        return self._import(lambda: data, name, progress)

    def _import(
        self,
        read: Callable[[], bytes],
        name: str,
        progress: Progress | None,
        where: Path | None = None,
    ) -> ImportReport:
        """Read, decode, parse and add one input, keeping one form of it at a time.

        The bytes are read here (through *read*) and dropped once decoded,
        the text once parsed, and the records once in the database: a
        100,000-paper page is 140 MB of bytes, as much text and more records,
        and holding all three at once was most of an import's peak memory.
        """
        try:
            data = read()
        except IsADirectoryError:
            return ImportReport(file_name=name, error=f"{where}: is a folder, not a file")
        except OSError as exc:
            why = exc.strerror or str(exc)
            return ImportReport(file_name=name, error=f"{where}: cannot read the file ({why})")
        t0 = time.perf_counter()
        digest = hashlib.sha256(data).hexdigest()
        decoding: list[Problem] = []
        try:
            if importers.sniff_binary(data) is not None:
                result = importers.parse(data, str(where) if where is not None else name)
            else:
                text = importers.decode_text(data, name, decoding)
                del data
                # The full path: relative paths inside the file (a .bib's `file`) resolve.
                result = importers.parse_text(text, str(where) if where is not None else name)
                del text
        except InputError as exc:
            return ImportReport(file_name=name, error=str(exc))
        result.problems[:0] = decoding
        if where is not None and result.format in importers.ATTACHING_FORMATS:
            # The file is the paper: keep where it is, to open it later.
            for paper in result.papers:
                paper.pdf_path = paper.pdf_path or str(where.resolve())
        parse_s = time.perf_counter() - t0
        report = self._add(result, name, digest, progress, consume=True)
        report.timings["parse"] = parse_s
        return report

    def import_records(
        self,
        result: ParseResult,
        name: str,
        content_hash: str = "",
        *,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Add parsed papers in one transaction (dedupe, citekeys, batch row), then index them.

        Raises :class:`~.progress.Cancelled` when *progress* is cancelled
        before the commit; the library is then unchanged.
        """
        return self._add(result, name, content_hash, progress, consume=False)

    def _add(
        self,
        result: ParseResult,
        name: str,
        content_hash: str,
        progress: Progress | None,
        *,
        consume: bool,
        stream: Iterator[ParsedPaper] | None = None,
    ) -> ImportReport:
        """:meth:`import_records`; with *consume*, the records are dropped once inserted.

        With *stream*, the papers come from it as the file is parsed, and
        *result* gets its problems and label only when the stream ends
        (inside the transaction, so a file found bad at its end adds nothing).
        """
        report = ImportReport(
            file_name=name, format=result.format, label=result.label, problems=list(result.problems)
        )
        papers: Iterable[ParsedPaper] = result.papers if stream is None else stream
        total = len(result.papers) if stream is None else 0
        t0 = time.perf_counter()
        timing: dict[str, float] = {}

        # Papers the library had that the import changed (merged records).
        refresh: list[int] = []

        def apply(s: Session, _ids: list[int]) -> list[int]:
            now = utcnow()
            batch = ImportBatch(
                file_name=name,
                content_hash=content_hash,
                format=result.format,
                label=result.label,
                created_at=now,
            )
            s.add(batch)
            # The insert takes SQLite's write lock, so the snapshot cannot race.
            s.flush()
            known = Known.read(s)
            planner = ImportPlanner(known, batch.id, now)
            refresh[:] = self._insert(s, planner.plan(papers, report, progress, total), report, now)
            if consume:
                # Indexing re-reads the papers from the database, a chunk at a time.
                result.papers.clear()
            if stream is not None:
                # Known only now that the whole file has been read.
                report.problems[:0] = result.problems
                report.label = batch.label = result.label
            batch.added = len(report.added)
            batch.duplicates = len(report.duplicates)
            batch.problems = len(report.problems)
            set_meta(s, "max_paper_id", str(known.next_id - 1))
            if report.added:
                report.batch_id = batch.id
            else:
                # Nothing new (every record a duplicate, or none read): a batch
                # would be an empty entry in the sidebar's imports.  Merged
                # papers keep the batch they first came in with.
                s.delete(batch)
            timing["database"] = time.perf_counter() - t0
            return report.added

        # Merged papers' rows were changed in the import's transaction; their
        # documents are replaced in its index batch (the new papers' are only
        # added: replacing those would look for copies that cannot exist).
        self.uow.run(
            "import", [], apply, touch=False, fresh=True, progress=progress, refreshed=refresh
        )
        report.timings["database"] = timing["database"]
        report.timings["index"] = time.perf_counter() - t0 - timing["database"]
        if progress is not None:
            done = len(report.added) + len(report.duplicates)
            progress.report("done", done, done)
        return report

    @staticmethod
    def _insert(
        s: Session,
        planned: Iterator[Planned | PlannedMerge],
        report: ImportReport,
        now: datetime,
    ) -> list[int]:
        """Insert the new papers and merge the rest; return the known papers changed.

        Rows, tags and notes go in a batch at a time as the plan comes (one
        giant executemany holds a second copy of every row's parameters at
        once).  Merges wait for the batch they may refer to (a paper planned
        earlier in the file), then are applied a batch at a time too.
        """
        rows: list[dict[str, Any]] = []
        tag_links: list[tuple[int, str]] = []
        notes: list[dict[str, Any]] = []
        merges: list[PlannedMerge] = []
        tag_ids: dict[str, int] = {}
        new: set[int] = set()
        changed: dict[int, None] = {}

        def flush() -> None:
            if rows:
                s.execute(insert(_PAPERS), rows)
                rows.clear()
            if tag_links:
                _link_tags(s, tag_links, tag_ids)
                tag_links.clear()
            if notes:
                s.execute(insert(Note), notes)
                notes.clear()

        def merge() -> None:
            flush()
            changed.update(dict.fromkeys(_merge(s, merges, report, now, new, tag_ids)))
            merges.clear()

        for item in planned:
            if isinstance(item, PlannedMerge):
                merges.append(item)
                if len(merges) >= INSERT_BATCH:
                    merge()
                continue
            pid = item.row["id"]
            rows.append(item.row)
            tag_links.extend((pid, t) for t in item.tags)
            if item.note.strip():
                notes.append(
                    {"paper_id": pid, "text": item.note, "created_at": now, "updated_at": now}
                )
            report.added.append(pid)
            new.add(pid)
            if len(rows) >= INSERT_BATCH:
                flush()
        merge()
        return list(changed)


def _link_tags(s: Session, links: Sequence[tuple[int, str]], tag_ids: dict[str, int]) -> None:
    """Tag papers: (paper id, tag name) pairs; *tag_ids* caches ids by folded name."""
    # A new tag is created with its first spelling in the file (by folded name).
    missing: dict[str, str] = {}
    for _, name in links:
        folded = clean_tag(name).casefold()
        if folded not in tag_ids:
            missing.setdefault(folded, name)
    if missing:
        tag_ids.update(ensure_tags(s, missing.values()))
    s.execute(
        insert(PaperTag).prefix_with("OR IGNORE"),
        [{"paper_id": p, "tag_id": tag_ids[clean_tag(t).casefold()]} for p, t in links],
    )


# The columns a merge reads of the papers merged into.  Of the abstract only
# whether it is blank: that is all the fill rule asks of it, and re-importing
# 100,000 papers would otherwise read 150 MB of abstracts.
_TARGET_COLUMNS = (
    Paper.id,
    Paper.revision,
    Paper.edited,
    Paper.citekey,
    case((func.trim(Paper.abstract, " \t\r\n") == "", ""), else_="…").label("abstract"),
    *(getattr(Paper, c) for c in FILL_COLUMNS if c != "abstract"),
)


def _merge(
    s: Session,
    merges: Sequence[PlannedMerge],
    report: ImportReport,
    now: datetime,
    new: set[int],
    tag_ids: dict[str, int],
) -> list[int]:
    """Apply records of papers already there, in order; return the known papers changed.

    Each record fills what its paper lacks (:func:`~.duplicates.fill_empty`),
    adds its tags and its note; what it brought goes to ``report.merged``.
    A paper of the library that changed gets a new revision (a paper new in
    this import is indexed after the commit as it then is).
    """
    if not merges:
        return []
    targets = list(dict.fromkeys(m.target for m in merges))
    state: dict[int, dict[str, Any]] = {}
    tags: dict[int, set[str]] = {pid: set() for pid in targets}
    note_of: dict[int, str] = {}
    for chunk in chunks(targets):
        for row in s.execute(select(*_TARGET_COLUMNS).where(Paper.id.in_(chunk))):
            state[row.id] = row._asdict()
        for pid, name in s.execute(
            select(PaperTag.paper_id, Tag.name_lower)
            .join(Tag, Tag.id == PaperTag.tag_id)
            .where(PaperTag.paper_id.in_(chunk))
        ):
            tags[pid].add(name)
        for pid, text in s.execute(
            select(Note.paper_id, Note.text).where(Note.paper_id.in_(chunk))
        ):
            note_of[pid] = text
    had_note = set(note_of)
    updates: dict[int, dict[str, Any]] = {pid: {} for pid in targets}
    tag_links: list[tuple[int, str]] = []
    notes: dict[int, str] = {}
    for item in merges:
        pid = item.target
        current = state[pid]
        edited = edited_fields(current)
        fill = fill_empty(current, item.values, edited)
        if "title" in fill.fields:
            # Keyed by its id until now: keyed by its real title from here on.
            fill.values.update(
                rekey_placeholder(
                    s,
                    pid,
                    (current["title"], current["citekey"], edited),
                    (
                        load_people(
                            fill.values.get("people", current["people"]),
                            json.loads(fill.values.get("authors", current["authors"]) or "[]"),
                        ),
                        fill.values["title"],
                        fill.values.get("year", current["year"]),
                    ),
                )
            )
        current.update(fill.values)
        updates[pid].update(fill.values)
        what = list(fill.fields)
        for name in item.tags:
            folded = clean_tag(name).casefold()
            if folded and folded not in tags[pid]:
                tags[pid].add(folded)
                tag_links.append((pid, name))
                what.append(f"tag:{clean_tag(name)}")
        old = note_of.get(pid, "")
        note = join_notes(old, item.note)
        if note != old:
            note_of[pid] = notes[pid] = note
            what.append("note")
        if what:
            report.merged.append((pid, what))
    tagged = {pid for pid, _ in tag_links}
    changed = [pid for pid in targets if updates[pid] or pid in notes or pid in tagged]
    if tag_links:
        _link_tags(s, tag_links, tag_ids)
    for pid, text in notes.items():
        if pid in had_note:
            s.execute(update(Note).where(Note.paper_id == pid).values(text=text, updated_at=now))
        else:
            s.add(Note(paper_id=pid, text=text, created_at=now, updated_at=now))
    known = [pid for pid in changed if pid not in new]
    for pid in changed:
        values = updates[pid]
        if pid not in new:
            # As the unit of work's touch does: the index sees a new revision.
            values = {**values, "revision": state[pid]["revision"] + 1, "updated_at": now}
        if values:
            s.execute(update(Paper).where(Paper.id == pid).values(values))
    return known
