"""Plain data records shared by importers, the library, exporters and clients.

Importers produce :class:`ParsedPaper` objects and :class:`Problem` reports and
never touch the database.  The library hands out immutable :class:`PaperData`
snapshots, so no caller ever holds an ORM object bound to a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .people import Person, people_from_names

# Bibliographic fields kept beyond the columns every paper has, by their
# BibTeX names (RIS, CSL-JSON and the exports map them); see ``extra``.
EXTRA_FIELDS = (
    "publisher",
    "volume",
    "number",
    "pages",
    "editor",
    "edition",
    "series",
    "address",
    "institution",
    "school",
    "organization",
    "isbn",
    "issn",
    "month",
    "primaryclass",
)


# A month as stored in ``extra["month"]``: its English name, whatever the
# source wrote ("jun", "6", "June", "2020-06-01").  Not calendar.month_name:
# that follows the process's locale, which Qt sets.
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass
class ParsedPaper:
    """One paper as read from a file, before it reaches the library."""

    title: str
    abstract: str = ""
    # The authors as people (see :mod:`readinglist.people`).
    authors: list[Person] = field(default_factory=list)
    year: int | None = None
    venue: str = ""
    arxiv_id: str = ""
    doi: str = ""
    url: str = ""
    links: list[str] = field(default_factory=list)
    # BibTeX entry type when the source says so ("article", "inproceedings", ...).
    entry_type: str = ""
    # Citation key given by the source (kept if it does not clash).
    citekey: str = ""
    tags: list[str] = field(default_factory=list)
    note: str = ""
    # Label of the section the paper came from (a feed page's date line).
    section: str = ""
    # A PDF file the paper comes with (absolute path), "" if none.
    pdf_path: str = ""
    # Further fields by their BibTeX names (:data:`EXTRA_FIELDS`), plain text.
    extra: dict[str, str] = field(default_factory=dict)
    # 1-based line of the source where the entry starts, for messages.
    line: int | None = None


@dataclass(frozen=True)
class Problem:
    """Something in an input file that could not be imported."""

    message: str
    line: int | None = None
    entry: str | None = None

    def describe(self, file_name: str = "") -> str:
        """Return a one-line message naming file, line and entry where known."""
        where = file_name
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        if self.entry:
            where = f"{where} ({self.entry})" if where else self.entry
        return f"{where}: {self.message}" if where else self.message


def quoted(value: str, limit: int = 60) -> str:
    """Return *value* in quotes for a message: unprintable characters escaped, long ones cut.

    Values from a hostile file reach the terminal and the log this way, so
    an escape sequence or a megabyte of key is shown, never replayed.
    """
    cut = len(value) > limit
    shown = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in value[:limit]
    )
    return f"'{shown}…'" if cut else f"'{shown}'"


@dataclass
class ParseResult:
    """What an importer made of one input: papers, problems and a label."""

    format: str
    papers: list[ParsedPaper] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Human label for the batch, e.g. the page's date line ("Mar 11").
    label: str = ""


class InputError(Exception):
    """An input that cannot be imported at all (empty, binary, unreadable...).

    The message is one line meant for the user and names the file.
    """


@dataclass(frozen=True)
class PaperData:
    """An immutable snapshot of one paper in the library."""

    id: int
    title: str
    abstract: str = ""
    # Display names, derived from :attr:`people` (what the list and search show).
    authors: tuple[str, ...] = ()
    year: int | None = None
    venue: str = ""
    arxiv_id: str = ""
    doi: str = ""
    url: str = ""
    links: tuple[str, ...] = ()
    entry_type: str = ""
    citekey: str = ""
    starred: bool = False
    read: bool = False
    tags: tuple[str, ...] = ()
    note: str = ""
    batch_id: int | None = None
    added_at: datetime | None = None
    updated_at: datetime | None = None
    revision: int = 1
    trashed: bool = False
    # The authors as people: keys, sorting and exports use these.
    people: tuple[Person, ...] = ()
    # The attached PDF's path, "" if none.
    pdf_path: str = ""
    # Further fields (:data:`EXTRA_FIELDS`) as sorted (name, value) pairs.
    extra: tuple[tuple[str, str], ...] = ()
    # Fields the user edited by hand: metadata fill never overwrites these.
    edited: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Built by hand (tests, clients) with only one of the two forms: derive
        # the other, so the two always describe the same people.
        if self.authors and not self.people:
            object.__setattr__(self, "people", tuple(people_from_names(self.authors)))
        elif self.people and not self.authors:
            object.__setattr__(self, "authors", tuple(p.display() for p in self.people))

    def extra_field(self, name: str) -> str:
        """The value of extra field *name*, "" if unset."""
        return dict(self.extra).get(name, "")

    def to_json(self) -> dict[str, object]:
        """Return the JSON form used by ``--json`` on the command line."""
        return {
            "id": self.id,
            "title": self.title,
            "abstract": self.abstract,
            "authors": list(self.authors),
            "people": [p.to_json() for p in self.people],
            "year": self.year,
            "venue": self.venue,
            "arxiv_id": self.arxiv_id or None,
            "doi": self.doi or None,
            "url": self.url or None,
            "links": list(self.links),
            "tags": list(self.tags),
            "starred": self.starred,
            "read": self.read,
            "note": self.note,
            "citekey": self.citekey,
            "entry_type": self.entry_type or "misc",
            "pdf": self.pdf_path or None,
            "extra": dict(self.extra),
            "batch_id": self.batch_id,
            "added_at": self.added_at.isoformat() if self.added_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }
