"""Duplicate papers: the one fill rule, fuzzy title matching, finding and merging pairs.

Two papers are the same when they share an arXiv id (any version), a DOI or
a folded title (:func:`~.identifiers.normalise_title`), or when their folded
titles are nearly equal (:mod:`rapidfuzz`'s ratio) and nothing contradicts
it (a different year, arXiv id or DOI, or different numbers in the titles:
"Part 1" and "Part 2" are two papers).

Comparing every title with every other is quadratic (5·10⁹ pairs at
100,000 papers), so :class:`TitleIndex` files each title by its first and
last characters and its length: a title and its near-copy (a typo, a word
more or less) share one end and have about the same length, so each title
is compared with the few titles that do.

What goes into the paper kept is decided by :func:`fill_empty`, used both by
an import that meets a paper the library has (:mod:`.imports`) and by
:meth:`Duplicates.merge`: empty fields are filled, nothing the paper has is
overwritten, and the fields the user edited by hand are never touched.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import delete, insert, literal, select, update
from sqlalchemy.orm import Session

from ..db import Database, Note, Paper, PaperTag, utcnow
from .identifiers import dump_extra, dump_list, load_extra, normalise_title, title_identifier
from .progress import Progress
from .reads import Reads
from .writes import UnitOfWork

__all__ = [
    "FILL_COLUMNS",
    "FIND_CUTOFF",
    "IMPORT_CUTOFF",
    "DuplicatePair",
    "Duplicates",
    "Facts",
    "Fill",
    "TitleIndex",
    "compatible",
    "edited_fields",
    "fill_empty",
    "join_notes",
]

# Similarity (0-100, rapidfuzz's ratio of folded titles) from which an import
# takes a title for the same paper.  "Attention Is Not All You Need" is 92.6
# against "Attention Is All You Need": below, so it stays a paper of its own.
IMPORT_CUTOFF = 93.0
# Find duplicates lists pairs from here: the user decides, so it may ask more.
FIND_CUTOFF = 90.0
# Titles shorter than this (in words) are compared exactly only: between
# short titles one letter is a different word, and a different paper.
MIN_WORDS = 4
# A title is filed under its first and its last characters, each with its
# length band, this many characters wide (bucket keys hold the band as one
# character from _BAND_BASE on).
_BAND = 8
_BAND_BASE = 0x100
# How many characters of each end: half the band's shortest length, so the
# two ends never overlap (one typo cannot change both), and at most this
# many (long ends make small buckets: "reasoning " began 4% of the titles).
_AFFIX = 16


def _affix(band_no: int) -> int:
    """How many characters of each end the titles of length band *band_no* are filed by."""
    return max(1, min(_AFFIX, band_no * _BAND // 2))


# _affix() for the bands of titles up to 2·_AFFIX characters (a look-up, not a call).
_AFFIXES = tuple(_affix(n) for n in range(2 * _AFFIX // _BAND + 1))

# Columns :func:`fill_empty` reads and may set (plus ``edited``, which it obeys).
FILL_COLUMNS = (
    "title",
    "title_key",
    "abstract",
    "authors",
    "people",
    "authors_sort",
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
# Plain fields filled when blank (None or white space), by their column names,
# which are also the names :data:`~.edits.EDITABLE` and ``edited`` use.
_PLAIN_FIELDS = ("abstract", "year", "venue", "arxiv_id", "doi", "url", "pdf_path")
# Entry types that say nothing: another source's specific type replaces them.
_VAGUE_TYPES = frozenset({"", "misc"})

# A paper's year, arXiv id and DOI: what a fuzzy title match must not contradict.
Facts = tuple[int | None, str | None, str | None]


# --- the fill rule -----------------------------------------------------------


@dataclass
class Fill:
    """What :func:`fill_empty` would change: column values, and the fields they are."""

    values: dict[str, Any] = field(default_factory=dict)
    # User-level names (``authors`` for its three columns; an extra field by its name).
    fields: list[str] = field(default_factory=list)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _json_list(value: object) -> list[str]:
    if not isinstance(value, str) or value in ("", "[]"):
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    return [str(v) for v in data] if isinstance(data, list) else []


def _has_authors(row: Mapping[str, Any]) -> bool:
    # Rows from before schema 4 have display names but no people: both count.
    # An empty JSON list is written "[]": no need to parse to know.
    return row.get("people") not in _NO_LIST or row.get("authors") not in _NO_LIST


_NO_LIST = (None, "", "[]")


def edited_fields(row: Mapping[str, Any]) -> frozenset[str]:
    """The fields the user edited by hand, from a row's ``edited`` column."""
    return frozenset(_json_list(row.get("edited")))


def fill_empty(
    current: Mapping[str, Any], incoming: Mapping[str, Any], edited: Collection[str] = ()
) -> Fill:
    """What *incoming* adds to *current* (both rows of :data:`FILL_COLUMNS`).

    A field is filled only when *current* has nothing there and is never
    taken from *incoming* when the user edited it (*edited*): the abstract,
    year, venue, arXiv id, DOI, URL and attached PDF when blank; the authors
    when there are none; the title when it is only an identifier (a paper
    from a list of ids); the entry type when it says nothing ("" or "misc")
    and *incoming*'s says more; links *incoming* has that *current* lacks;
    further fields (``extra``) *current* lacks.  The one rule for both an
    import meeting a known paper and a merge of two papers.
    """
    # Each test looks at *incoming* first: a record usually brings little,
    # and an import of a file already imported runs this for every record.
    fill = Fill()
    for name in _PLAIN_FIELDS:
        value = incoming.get(name)
        if not _blank(value) and _blank(current.get(name)) and name not in edited:
            fill.values[name] = value
            fill.fields.append(name)
    title = current.get("title") or ""
    if (
        # Only a title with no space can be a bare identifier: a cheap test first.
        " " not in title.strip()
        and any(title_identifier(title))
        and "title" not in edited
        and incoming.get("title")
        and not any(title_identifier(incoming["title"]))
    ):
        # A paper from a list of ids is titled by its id until something
        # (this record, or a metadata fill) brings its real title.
        fill.values["title"] = incoming["title"]
        fill.values["title_key"] = incoming.get("title_key") or normalise_title(incoming["title"])
        fill.fields.append("title")
    if _has_authors(incoming) and not _has_authors(current) and "authors" not in edited:
        for name in ("authors", "people", "authors_sort"):
            fill.values[name] = incoming.get(name) or ""
        fill.fields.append("authors")
    new_kind = (incoming.get("entry_type") or "").strip()
    if (
        new_kind.casefold() not in _VAGUE_TYPES
        and (current.get("entry_type") or "").strip().casefold() in _VAGUE_TYPES
        and "entry_type" not in edited
    ):
        fill.values["entry_type"] = new_kind
        fill.fields.append("entry_type")
    if incoming.get("links") not in _NO_LIST and "links" not in edited:
        links = _json_list(current.get("links"))
        more = [u for u in _json_list(incoming.get("links")) if u not in links]
        if more:
            fill.values["links"] = dump_list(links + list(dict.fromkeys(more)))
            fill.fields.append("links")
    if incoming.get("extra") and "extra" not in edited:
        extra = dict(load_extra(current.get("extra")))
        more_extra = {k: v for k, v in load_extra(incoming.get("extra")) if not extra.get(k)}
        if more_extra:
            fill.values["extra"] = dump_extra({**extra, **more_extra})
            fill.fields += sorted(more_extra)
    return fill


def join_notes(first: str, second: str, separator: str = "") -> str:
    """*first* with *second* after it as a new paragraph (under *separator*, if given).

    A *second* already in *first* (the same file imported twice) adds
    nothing, and an empty one neither.
    """
    if not second.strip() or second.strip() in first:
        return first
    if not first.strip():
        return second
    middle = f"\n\n{separator}\n\n" if separator else "\n\n"
    return f"{first.rstrip()}{middle}{second.strip()}"


# --- fuzzy titles ------------------------------------------------------------


def _numbers(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(w for w in words if any(c.isdigit() for c in w))


def compatible(a: Facts, b: Facts, title_a: str, title_b: str, *, year_slack: int = 0) -> bool:
    """Whether nothing says two papers with similar titles are different papers.

    Different arXiv ids, DOIs, years (more than *year_slack* apart; either
    unknown says nothing) or numbers in the titles ("Llama 2", "Part 1")
    each do.
    """
    (year_a, arxiv_a, doi_a), (year_b, arxiv_b, doi_b) = a, b
    if year_a is not None and year_b is not None and abs(year_a - year_b) > year_slack:
        return False
    if arxiv_a and arxiv_b and arxiv_a != arxiv_b:
        return False
    if doi_a and doi_b and doi_a != doi_b:
        return False
    return _numbers(title_a.split()) == _numbers(title_b.split())


def eligible(title_key: str) -> bool:
    """Whether a folded title is long enough to be compared fuzzily."""
    # Folded titles have single spaces between words.
    return title_key.count(" ") >= MIN_WORDS - 1


def _window(length: int, cutoff: float) -> range:
    """The length bands a title of *length* can score *cutoff* or more with.

    The ratio is at most 200·min/(len₁+len₂), so lengths further apart than
    this cannot reach *cutoff*, whatever the letters.
    """
    low = math.ceil(length * cutoff / (200 - cutoff))
    high = math.floor(length * (200 - cutoff) / cutoff)
    return range(low // _BAND, high // _BAND + 1)


class TitleIndex:
    """Folded titles filed by how they begin and end, for fuzzy look-ups.

    A title is filed twice: under its first characters and under its last
    (:func:`_affix` says how many), each with its length band.  A typo, an
    added or dropped word changes one end of a title, not both, so its
    near-copy shares the other end; a look-up reads the two ends' buckets
    in the bands within reach of the cutoff (:func:`_window`) and compares
    only the titles there.  Filing is a few dictionary operations and needs
    no statistics of the library, so an import adds its titles one at a
    time as it plans them.  Two changes at both ends of a title can hide a
    near-copy: the price of not comparing every pair.
    """

    def __init__(self) -> None:
        self._titles: list[str] = []
        self._ids: list[int] = []
        # Bucket key -> positions in the two lists above.  Plain ints: a
        # bucket's own lists of titles and ids cost twice as much to build.
        self._buckets: dict[str, list[int]] = {}

    def __len__(self) -> int:
        return len(self._titles)

    def add(self, title_key: str, pid: int) -> None:
        """File paper *pid*'s folded title (a short one is not: see :data:`MIN_WORDS`)."""
        self.add_many([(title_key, pid)])

    def add_many(self, items: Iterable[tuple[str, int]]) -> None:
        """File many (folded title, paper id) at once: ~1.5 µs a title, 0.15 s at 100,000."""
        titles, ids = self._titles, self._ids
        buckets = self._buckets
        get = buckets.get
        n = len(titles)
        for title_key, pid in items:
            # eligible(), inlined: this loop runs over the whole library.
            if title_key.count(" ") < MIN_WORDS - 1:
                continue
            band_no = len(title_key) // _BAND
            band = chr(_BAND_BASE + band_no)
            size = _AFFIXES[band_no] if band_no < len(_AFFIXES) else _AFFIX
            titles.append(title_key)
            ids.append(pid)
            # The two keys written out: a loop over them costs a third more.
            head = "<" + title_key[:size] + band
            bucket = get(head)
            if bucket is None:
                buckets[head] = [n]
            else:
                bucket.append(n)
            tail = ">" + title_key[-size:] + band
            bucket = get(tail)
            if bucket is None:
                buckets[tail] = [n]
            else:
                bucket.append(n)
            n += 1

    def similar(self, title_key: str, cutoff: float) -> list[tuple[int, float, str]]:
        """(paper id, score, its folded title) of the filed titles scoring *cutoff* or more.

        Best first; an equal title scores 100.  A short title finds nothing.
        """
        if not eligible(title_key):
            return []
        near: set[int] = set()
        get = self._buckets.get
        for band_no in _window(len(title_key), cutoff):
            band = chr(_BAND_BASE + band_no)
            # The ends as long as the titles filed in that band have them.
            size = _affix(band_no)
            near.update(get("<" + title_key[:size] + band, ()))
            near.update(get(">" + title_key[-size:] + band, ()))
        if not near:
            return []
        # Compared in one call: rapidfuzz's loop costs ~0.1 µs a title, a
        # Python loop calling it ten times as much (buckets of common
        # beginnings hold dozens).
        order = list(near)
        found = process.extract(
            title_key,
            [self._titles[n] for n in order],
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
            limit=None,
        )
        hits = [(self._ids[order[i]], score, other) for other, score, i in found]
        hits.sort(key=lambda hit: (-hit[1], hit[0]))
        return hits


# --- the service -------------------------------------------------------------


@dataclass(frozen=True)
class DuplicatePair:
    """Two papers that are likely the same (``a < b``) and why."""

    a: int
    b: int
    # "arXiv id", "DOI", "same title" or "similar title (94%)".
    reason: str
    # 100 for a shared identifier or title; the title similarity otherwise.
    score: float


# Reasons for a shared key, strongest first: a pair found twice keeps the first.
_KEY_REASONS = ("arXiv id", "DOI", "same title")

# The columns a merge reads of both papers.
_MERGE_COLUMNS = (
    Paper.id,
    Paper.starred,
    Paper.read,
    Paper.edited,
    *(getattr(Paper, c) for c in FILL_COLUMNS),
)


class Duplicates:
    """Finds likely duplicate papers and merges two papers into one."""

    def __init__(self, db: Database, reads: Reads, uow: UnitOfWork) -> None:
        self.db = db
        self.reads = reads
        self.uow = uow

    def find(
        self, ids: Sequence[int] | None = None, progress: Progress | None = None
    ) -> list[DuplicatePair]:
        """Likely duplicate pairs among the papers outside the trash, best first.

        With *ids*, only pairs with at least one paper of *ids* (the others
        from the whole library).  Papers sharing an arXiv id, a DOI or a
        title are paired with the first of them (lowest id), so *n* copies
        make *n* - 1 pairs, not n²/2.  Each pair is listed once, under its
        strongest reason.
        """
        with self.db.reader() as s:
            rows = s.execute(
                select(Paper.id, Paper.arxiv_id, Paper.doi, Paper.title_key, Paper.year)
                .where(Paper.trashed_at.is_(None))
                .order_by(Paper.id)
            ).all()
        wanted = None if ids is None else set(ids)
        pairs: dict[tuple[int, int], DuplicatePair] = {}

        def pair(a: int, b: int, reason: str, score: float) -> None:
            key = (min(a, b), max(a, b))
            if key not in pairs:  # Reasons come strongest first.
                pairs[key] = DuplicatePair(key[0], key[1], reason, score)

        groups: tuple[dict[str, list[int]], ...] = ({}, {}, {})
        for pid, arxiv, doi, title_key, _year in rows:
            for group, value in zip(groups, (arxiv, doi, title_key), strict=True):
                if value:
                    group.setdefault(value, []).append(pid)
        for reason, group in zip(_KEY_REASONS, groups, strict=True):
            for members in group.values():
                first = members[0]
                for other in members[1:]:
                    if wanted is None or first in wanted or other in wanted:
                        pair(first, other, reason, 100.0)

        facts: dict[int, Facts] = {pid: (year, arxiv, doi) for pid, arxiv, doi, _t, year in rows}
        index = TitleIndex()
        index.add_many((title_key, pid) for pid, _a, _d, title_key, _y in rows)
        queries = [(pid, t) for pid, _a, _d, t, _y in rows if wanted is None or pid in wanted]
        for n, (pid, title_key) in enumerate(queries):
            if progress is not None and n % 1000 == 0:
                progress.check()
                progress.report("duplicates", n, len(queries))
            for other, score, other_key in index.similar(title_key, FIND_CUTOFF):
                if other == pid or other_key == title_key:
                    continue  # Itself, or the same title (paired above).
                # A year apart is the preprint and its publication; allowed here,
                # where the user decides, and not when an import decides alone.
                if compatible(facts[pid], facts[other], title_key, other_key, year_slack=1):
                    pair(pid, other, f"similar title ({round(score)}%)", float(score))
        if progress is not None:
            progress.report("duplicates", len(queries), len(queries))
        return sorted(pairs.values(), key=lambda p: (-p.score, p.a, p.b))

    def merge(self, keep: int, other: int) -> int:
        """Fold paper *other* into *keep* and delete *other*; return *keep*.

        In one transaction: *keep*'s empty fields are filled from *other*
        (:func:`fill_empty`, never a field the user edited in *keep*), it
        gets every tag of both, both notes (*keep*'s first, then *other*'s
        under a ``---`` line), the star or read mark either had; then
        *other* is deleted for good, with its tags and note, and leaves the
        search index.  *keep*'s citation key and import batch stay.  Raises
        ValueError for a paper merged into itself or an unknown id.
        """
        if keep == other:
            raise ValueError(f"cannot merge paper {keep} into itself")
        found = self.reads.existing_ids([keep, other])
        for pid in (keep, other):
            if pid not in found:
                raise ValueError(f"no paper with id {pid}")

        def apply(s: Session, ids: list[int]) -> list[int]:
            rows = {
                r.id: r._asdict()
                for r in s.execute(select(*_MERGE_COLUMNS).where(Paper.id.in_(ids)))
            }
            if len(rows) != 2:  # Deleted by another process since the check above.
                raise ValueError(f"no paper with id {other if keep in rows else keep}")
            values = fill_empty(rows[keep], rows[other], edited_fields(rows[keep])).values
            for flag in ("starred", "read"):
                values[flag] = rows[keep][flag] or rows[other][flag]
            s.execute(update(Paper).where(Paper.id == keep).values(values))
            s.execute(
                insert(PaperTag)
                .prefix_with("OR IGNORE")
                .from_select(
                    ["paper_id", "tag_id"],
                    select(literal(keep), PaperTag.tag_id).where(PaperTag.paper_id == other),
                )
            )
            notes = {n.paper_id: n for n in s.scalars(select(Note).where(Note.paper_id.in_(ids)))}
            kept, gone = notes.get(keep), notes.get(other)
            text = join_notes(kept.text if kept else "", gone.text if gone else "", "---")
            now = utcnow()
            if kept is not None and text != kept.text:
                kept.text, kept.updated_at = text, now
            elif kept is None and text.strip():
                assert gone is not None
                s.add(Note(paper_id=keep, text=text, created_at=gone.created_at, updated_at=now))
            s.flush()
            # The row goes with its tags and note (ON DELETE CASCADE); the
            # unit of work drops it from the index as it does for a purge.
            s.execute(delete(Paper).where(Paper.id == other))
            return ids

        self.uow.run("merge", [keep, other], apply)
        return keep
