"""Optional online metadata fill from the arXiv API and Crossref.

Papers are looked up by arXiv id (``export.arxiv.org/api/query?id_list=``,
up to :data:`ARXIV_BATCH` ids a request), by DOI (``api.crossref.org/works/``)
or, with neither, by their exact title on arXiv.  What the services know
fills the fields that are still **empty**: authors, year, venue, abstract,
arXiv id, DOI, entry type and the extra fields (publisher, volume, number,
pages, primary class).  Two rules keep the user's work safe:

* a field the user edited by hand (``PaperData.edited``) is never written;
* the title is replaced only when it is just the paper's identifier (an
  ``arXiv:2403.01234`` from an id-list import), never otherwise.

Writes go through :meth:`Edits.update_paper` with ``by_user=False``, one
paper at a time, each from a snapshot read just before its write (a field
the user typed while a request was on its way is not overwritten).  A
paper with both ids takes Crossref's answer first (the published version)
and arXiv's for what Crossref lacks (often the abstract); one whose lookup
failed is left alone, so a later fill does it right.

The network is reached through a :data:`Fetch` callable only, so tests
inject recorded answers and nothing here needs a connection to be tested.
"""

from __future__ import annotations

import html
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .. import __version__
from ..people import Person, parse_name
from ..records import PaperData, quoted
from .edits import Edits
from .faults import EnvironmentFault
from .identifiers import normalise_arxiv, normalise_doi, title_identifier
from .identifiers import normalise_title as _title_key
from .progress import Cancelled, Progress
from .reads import Reads

__all__ = [
    "ARXIV_API",
    "ARXIV_BATCH",
    "CROSSREF_API",
    "Fetch",
    "FillCancelled",
    "FillReport",
    "Found",
    "MetadataFill",
    "NotFound",
    "Offline",
    "ServiceError",
    "UrlFetch",
    "needs_fill",
    "parse_arxiv_feed",
    "parse_crossref",
    "title_identifier",
    "updates_for",
    "user_agent",
]

ARXIV_API = "https://export.arxiv.org/api/query"
CROSSREF_API = "https://api.crossref.org/works/"
# arXiv's API manual asks for modest batches; 50 ids keep a URL short too.
ARXIV_BATCH = 50
# Seconds to wait for one answer.
TIMEOUT = 30.0
# No answer of either service comes near this: a bigger one is not theirs.
MAX_RESPONSE = 8 * 1024 * 1024

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}

# Crossref's work types by the BibTeX entry type they are cited as.
_CROSSREF_TYPES = {
    "journal-article": "article",
    "proceedings-article": "inproceedings",
    "book-chapter": "incollection",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "dissertation": "phdthesis",
    "report": "techreport",
}

# The fields a fill may write besides the title (``extra`` holds the rest).
_FIELDS = ("authors", "year", "venue", "abstract", "arxiv_id", "doi", "entry_type")

# (url, timeout seconds) -> the answer's body.  Raises Offline, ServiceError
# or NotFound; anything else is a bug.
Fetch = Callable[[str, float], bytes]


class Offline(EnvironmentFault):
    """A service cannot be reached: no network, no name resolution, a timeout."""

    def __init__(self, host: str, reason: str, *, nothing_changed: bool = False) -> None:
        text = f"cannot reach {host}: {reason}"
        super().__init__(f"{text}; nothing was changed" if nothing_changed else text)
        self.host = host
        self.reason = reason


class ServiceError(EnvironmentFault):
    """A service answered with an error (HTTP 5xx, 429 "slow down") or a garbled body."""

    def __init__(self, host: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason
        self.status = status


class NotFound(Exception):
    """The service has no record under that identifier (HTTP 404 or 410)."""


@dataclass
class FillReport:
    """What a fill did, paper by paper.

    ``changed`` holds, per paper written, each field's old and new value as
    short strings (extra fields under their own names: ``publisher``...).
    ``unchanged`` papers were found, or complete already, with nothing to
    fill; ``failed`` ones were not filled because a lookup failed (see
    ``errors``) and are left as they were.
    """

    changed: list[tuple[int, dict[str, tuple[str, str]]]] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    # Titles of the changed papers after the fill, for :meth:`lines`.
    titles: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The JSON form for ``--json``: changes by paper id, then the lists."""
        return {
            "changed": {
                str(pid): {name: list(pair) for name, pair in fields.items()}
                for pid, fields in self.changed
            },
            "not_found": list(self.not_found),
            "unchanged": list(self.unchanged),
            "failed": list(self.failed),
            "errors": list(self.errors),
        }

    def lines(self) -> list[str]:
        """The report for a person: each change, what was not found, errors, a summary."""
        out: list[str] = []
        for pid, fields in self.changed:
            out.append(f"paper {pid} {quoted(self.titles.get(pid, ''), 60)}:")
            out += [
                f"  {name}: {quoted(old)} → {quoted(new)}" for name, (old, new) in fields.items()
            ]
        if self.not_found:
            out.append(f"not found: {_id_list(self.not_found)}")
        out += [f"error: {message}" for message in self.errors]
        count = sum(len(f) for _, f in self.changed)
        papers = len(self.changed)
        parts = [f"filled {count} field{_s(count)} of {papers} paper{_s(papers)}"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} complete already")
        if self.not_found:
            parts.append(f"{len(self.not_found)} not found")
        if self.failed:
            parts.append(f"{len(self.failed)} not filled for an error")
        out.append("; ".join(parts))
        return out


class FillCancelled(Cancelled):
    """The user cancelled a fill midway.

    Unlike other cancels, papers already filled stay filled (each was
    written whole, in a transaction of its own): :attr:`report` says which.
    """

    def __init__(self, report: FillReport) -> None:
        super().__init__("metadata fill cancelled")
        self.report = report


@dataclass
class Found:
    """What a service knows about one paper ("" or None: it does not say)."""

    title: str = ""
    people: list[Person] = field(default_factory=list)
    year: int | None = None
    venue: str = ""
    abstract: str = ""
    arxiv_id: str = ""
    doi: str = ""
    entry_type: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def over(self, fallback: Found) -> Found:
        """This record, with *fallback*'s values where this one has none."""
        return Found(
            title=self.title or fallback.title,
            people=self.people or fallback.people,
            year=self.year if self.year is not None else fallback.year,
            venue=self.venue or fallback.venue,
            abstract=self.abstract or fallback.abstract,
            arxiv_id=self.arxiv_id or fallback.arxiv_id,
            doi=self.doi or fallback.doi,
            entry_type=self.entry_type or fallback.entry_type,
            extra={**fallback.extra, **self.extra},
        )


# --- fetching -----------------------------------------------------------------


def user_agent(contact: str = "") -> str:
    """The User-Agent: program and version, and a contact address when known.

    Crossref's etiquette asks clients to name themselves and give a
    ``mailto:``; such requests go to its "polite" pool.
    """
    mail = f"; mailto:{contact}" if contact else ""
    return f"ReadingList/{__version__} (reading-list manager for research papers{mail})"


class UrlFetch:
    """The default :data:`Fetch`, on :mod:`urllib.request`, with errors sorted.

    404/410 raise :class:`NotFound`; other HTTP errors :class:`ServiceError`;
    anything that keeps the request from reaching the service or its answer
    from arriving (DNS, refused or dropped connection, timeout)
    :class:`Offline`.
    """

    def __init__(self, contact: str = "") -> None:
        self.user_agent = user_agent(contact)

    def __call__(self, url: str, timeout: float) -> bytes:
        host = urllib.parse.urlsplit(url).hostname or url
        request = urllib.request.Request(
            url,
            headers={
                "User-Agent": self.user_agent,
                "Accept": "application/json, application/atom+xml;q=0.9, */*;q=0.1",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                data: bytes = answer.read(MAX_RESPONSE + 1)
        except urllib.error.HTTPError as exc:  # before URLError: it is one
            exc.close()
            if exc.code in (404, 410):
                raise NotFound(url) from None
            raise ServiceError(host, f"answered HTTP {exc.code} {exc.reason}", exc.code) from None
        except urllib.error.URLError as exc:
            raise Offline(host, str(exc.reason)) from None
        except (OSError, http.client.HTTPException) as exc:  # timeouts, resets mid-answer
            raise Offline(host, str(exc) or type(exc).__name__) from None
        if len(data) > MAX_RESPONSE:
            raise ServiceError(host, "answered with more data than any record holds")
        return data


# --- parsing ------------------------------------------------------------------


def _fold(text: str | None) -> str:
    return " ".join((text or "").split())


_TAG = re.compile(r"<[^>]*>")
_MARKUP_TITLE = re.compile(r"<(?:jats:)?title\b[^>]*>.*?</(?:jats:)?title\s*>", re.S | re.I)
_PARA_END = re.compile(r"</(?:jats:)?p\s*>", re.I)


def _markup_text(value: str) -> str:
    """Plain text of Crossref's JATS/HTML snippets; paragraphs kept apart by a blank line."""
    text = _MARKUP_TITLE.sub(" ", value)  # the "Abstract" heading is not the abstract
    text = _PARA_END.sub("\n\n", text)
    text = html.unescape(_TAG.sub("", text))
    paragraphs = (_fold(p) for p in text.split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def _year(text: str) -> int | None:
    year = int(text[:4]) if re.match(r"\d{4}", text) else None
    return year if year is not None and 1000 < year < 3000 else None


def parse_arxiv_feed(data: bytes) -> tuple[list[Found], list[str]]:
    """The records of an arXiv API Atom feed, and the error messages it holds.

    arXiv reports a malformed id as an entry whose id is an ``/api/errors``
    address; those become messages.  An entry without a title (arXiv's
    answer for some unknown ids) is skipped.  Raises ValueError for
    anything that is not such a feed.
    """
    # No feed of arXiv has a DOCTYPE: refusing one refuses entity tricks.
    if b"<!doctype" in data.lower():
        raise ValueError("the answer declares a DOCTYPE")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"the answer is not XML ({exc})") from None
    if root.tag != f"{{{_NS['atom']}}}feed":
        raise ValueError("the answer is not an Atom feed")
    found: list[Found] = []
    errors: list[str] = []
    for entry in root.findall("atom:entry", _NS):
        entry_id = _fold(entry.findtext("atom:id", "", _NS))
        if "/api/errors" in entry_id:
            errors.append(_fold(entry.findtext("atom:summary", "", _NS)) or entry_id)
            continue
        arxiv_id = normalise_arxiv(entry_id.rsplit("/abs/", 1)[-1])
        title = _fold(entry.findtext("atom:title", "", _NS))
        if not arxiv_id or not title:
            continue
        people = [
            parse_name(author.findtext("atom:name", "", _NS))
            for author in entry.findall("atom:author", _NS)
        ]
        primary = entry.find("arxiv:primary_category", _NS)
        term = _fold(primary.get("term")) if primary is not None else ""
        found.append(
            Found(
                title=title,
                people=[p for p in people if p],
                # The first version's date: when the paper appeared.
                year=_year(_fold(entry.findtext("atom:published", "", _NS))),
                venue=_fold(entry.findtext("arxiv:journal_ref", "", _NS)),
                abstract=_fold(entry.findtext("atom:summary", "", _NS)),
                arxiv_id=arxiv_id,
                doi=normalise_doi(_fold(entry.findtext("arxiv:doi", "", _NS))),
                extra={"primaryclass": term} if term else {},
            )
        )
    return found, errors


def _first_text(value: Any) -> str:
    """The first string of a Crossref list field ("title", "container-title")."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    return _markup_text(value) if isinstance(value, str) else ""


def _crossref_person(author: Any) -> Person:
    if not isinstance(author, dict):
        return Person()
    given = _fold(str(author.get("given") or ""))
    family = _fold(str(author.get("family") or ""))
    if not family:  # an organisation: {"name": "The XYZ Consortium"}
        return Person(family=_fold(str(author.get("name") or "")) or given)
    # Crossref keeps particles in "family" ("van der Berg"); split them off
    # as the name parser does, so the paper sorts under B like the others.
    words = family.split()
    cut = 0
    while cut < len(words) - 1 and words[cut][:1].islower():
        cut += 1
    return Person(
        given=given,
        family=" ".join(words[cut:]),
        prefix=" ".join(words[:cut]),
        suffix=_fold(str(author.get("suffix") or "")),
    )


def _crossref_year(message: dict[str, Any]) -> int | None:
    # "issued" is the earliest of print and online publication: the year cited.
    for key in ("issued", "published", "published-print", "published-online"):
        date = message.get(key)
        parts = date.get("date-parts") if isinstance(date, dict) else None
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            first = parts[0][0]
            if isinstance(first, int) and 1000 < first < 3000:
                return first
    return None


def parse_crossref(data: bytes) -> Found:
    """The record of a Crossref ``/works/{doi}`` answer; ValueError if it is not one."""
    try:
        answer = json.loads(data)
    except ValueError:
        raise ValueError("the answer is not JSON") from None
    if not isinstance(answer, dict) or answer.get("status") != "ok":
        raise ValueError("the answer is not a Crossref record")
    message = answer.get("message")
    if answer.get("message-type") != "work" or not isinstance(message, dict):
        raise ValueError("the answer is not a Crossref work")
    authors = message.get("author")
    people = [_crossref_person(a) for a in authors] if isinstance(authors, list) else []
    extra = {
        name: _fold(str(message.get(key) or ""))
        for key, name in (
            ("publisher", "publisher"),
            ("volume", "volume"),
            ("issue", "number"),
            ("page", "pages"),
        )
    }
    abstract = message.get("abstract")
    return Found(
        title=_first_text(message.get("title")),
        people=[p for p in people if p],
        year=_crossref_year(message),
        venue=_first_text(message.get("container-title")),
        abstract=_markup_text(abstract) if isinstance(abstract, str) else "",
        doi=normalise_doi(str(message.get("DOI") or "")),
        entry_type=_CROSSREF_TYPES.get(str(message.get("type")), ""),
        extra={k: v for k, v in extra.items() if v},
    )


# --- the rules ----------------------------------------------------------------


def _is_empty(paper: PaperData, name: str) -> bool:
    if name == "authors":
        return not paper.people
    if name == "year":
        return paper.year is None
    value: str = getattr(paper, name)
    return not value.strip()


def needs_fill(paper: PaperData) -> bool:
    """Whether a lookup could give *paper* anything (its extra fields alone do not count).

    True when its title is just its identifier, or a field of authors, year,
    venue, abstract, arXiv id, DOI and entry type is empty and not edited by
    the user.  :meth:`MetadataFill.fill` asks the services about these only.
    """
    if "title" not in paper.edited and any(title_identifier(paper.title)):
        return True
    return any(name not in paper.edited and _is_empty(paper, name) for name in _FIELDS)


def _short(value: str, limit: int = 80) -> str:
    value = _fold(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def updates_for(
    paper: PaperData, found: Found
) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """The :meth:`Edits.update_paper` values *found* gives *paper*, and the changes as text.

    Only empty fields the user did not edit are written; the title only
    when it is the paper's identifier.  Pure: the rules in one place.
    """
    values: dict[str, Any] = {}
    changes: dict[str, tuple[str, str]] = {}
    edited = paper.edited
    if "title" not in edited and found.title and any(title_identifier(paper.title)):
        values["title"] = found.title
        changes["title"] = (_short(paper.title), _short(found.title))
    new: dict[str, Any] = {
        "authors": found.people,
        "year": found.year,
        "venue": found.venue,
        "abstract": found.abstract,
        "arxiv_id": normalise_arxiv(found.arxiv_id),
        "doi": normalise_doi(found.doi),
        "entry_type": found.entry_type,
    }
    names = ", ".join(p.display() for p in found.people)
    for name, value in new.items():
        if name in edited or not _is_empty(paper, name) or value in (None, "", []):
            continue
        values[name] = value
        changes[name] = ("", _short(names if name == "authors" else str(value)))
    if "extra" not in edited:
        extra = dict(paper.extra)
        added = {k: v for k, v in found.extra.items() if v.strip() and not extra.get(k, "").strip()}
        if added:
            values["extra"] = {**extra, **added}
            changes.update({k: ("", _short(v)) for k, v in sorted(added.items())})
    return values, changes


def _id_list(ids: Sequence[int]) -> str:
    return ("paper " if len(ids) == 1 else "papers ") + ", ".join(map(str, ids))


def _s(count: int) -> str:
    return "" if count == 1 else "s"


# --- the fill -----------------------------------------------------------------


class _Stop(Exception):
    """The connection went away after something was written: stop, report."""


class _Down(Exception):
    """The service failed this run (already reported): skip its lookups."""


class MetadataFill:
    """Fills empty fields of papers from arXiv and Crossref (see the module docstring).

    *fetch* reaches the network (default :class:`UrlFetch`); *delay* is the
    pause between two arXiv requests (its API terms ask for 3 seconds),
    taken in slices with *sleep* so a cancel is seen within a quarter
    second.  Tests pass a recorded *fetch* and ``delay=0``.
    """

    def __init__(
        self,
        reads: Reads,
        edits: Edits,
        fetch: Fetch | None = None,
        delay: float = 3.0,
        *,
        timeout: float = TIMEOUT,
        arxiv_batch: int = ARXIV_BATCH,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.reads = reads
        self.edits = edits
        self.fetch: Fetch = fetch if fetch is not None else UrlFetch()
        self.delay = delay
        self.timeout = timeout
        self.arxiv_batch = max(1, arxiv_batch)
        self.sleep = sleep

    def fill(self, ids: Sequence[int], progress: Progress | None = None) -> FillReport:
        """Look up papers *ids* and fill their empty fields; return what changed.

        Raises :class:`Offline` when the network fails before anything was
        written (nothing changed then).  A connection lost later stops the
        run with the report of what was done.  A cancel (*progress*) raises
        :class:`FillCancelled`, a :class:`Cancelled` carrying that report:
        the papers filled so far stay filled.
        """
        run = _Run(self, progress or Progress())
        try:
            run.run(list(dict.fromkeys(ids)))
        except Cancelled:
            raise FillCancelled(run.report) from None
        return run.report


class _Run:
    """The state of one :meth:`MetadataFill.fill`: the report, what is due, pacing."""

    def __init__(self, owner: MetadataFill, progress: Progress) -> None:
        self.owner = owner
        self.progress = progress
        self.report = FillReport()
        self.wrote = False
        self.down: set[str] = set()
        self.last_arxiv: float | None = None
        self.done = 0
        self.total = 0
        # Papers whose lookup failed: left alone, listed in ``failed``.
        self.failing: set[int] = set()
        # Papers with a DOI whose arXiv lookup failed: Crossref alone decides.
        self.arxiv_failed: set[int] = set()

    def run(self, ids: list[int]) -> None:
        papers = self.owner.reads.get(ids)
        due = [p for p in papers if needs_fill(p)]
        self.report.unchanged += [p.id for p in papers if not needs_fill(p)]
        self.total = len(due)
        self.progress.report("fill", 0, self.total)
        by_arxiv: dict[str, list[int]] = {}
        by_doi: dict[str, list[int]] = {}
        by_title: list[PaperData] = []
        for paper in due:
            title_arxiv, title_doi = title_identifier(paper.title)
            arxiv_id, doi = paper.arxiv_id or title_arxiv, paper.doi or title_doi
            if arxiv_id:
                by_arxiv.setdefault(arxiv_id, []).append(paper.id)
            if doi:
                by_doi.setdefault(doi, []).append(paper.id)
            if not arxiv_id and not doi:
                by_title.append(paper)
        with_doi = {pid for pids in by_doi.values() for pid in pids}
        held: dict[int, Found] = {}
        try:
            self._arxiv_ids(by_arxiv, with_doi, held)
            self._crossref(by_doi, held)
            for paper in by_title:
                self._title_search(paper)
        except _Stop as exc:
            settled = {pid for pid, _ in self.report.changed}
            settled |= {*self.report.unchanged, *self.report.not_found, *self.report.failed}
            left = [p.id for p in due if p.id not in settled]
            self.report.failed += left
            tail = f"; {_id_list(left)} not looked up" if left else ""
            self.report.errors.append(f"{exc}{tail}")

    # --- requests

    def _get(self, url: str) -> bytes | None:
        """The answer to *url*, None for "no such record"; paces arXiv, sees cancels."""
        host = urllib.parse.urlsplit(url).hostname or url
        if host in self.down:
            raise _Down()
        self.progress.check()
        is_arxiv = url.startswith(ARXIV_API)
        if is_arxiv and self.last_arxiv is not None:
            remaining = self.owner.delay - (time.monotonic() - self.last_arxiv)
            while remaining > 0:
                step = min(remaining, 0.25)
                self.owner.sleep(step)
                remaining -= step
                self.progress.check()
        try:
            return self.owner.fetch(url, self.owner.timeout)
        except NotFound:
            return None
        except Offline as exc:
            if not self.wrote:
                raise Offline(exc.host, exc.reason, nothing_changed=True) from exc
            raise _Stop(f"lost the connection to {exc.host} ({exc.reason})") from exc
        except ServiceError as exc:
            self._fail(host, exc.reason)
            raise _Down() from exc
        finally:
            if is_arxiv:
                self.last_arxiv = time.monotonic()

    def _fail(self, host: str, reason: str) -> None:
        """Stop asking *host* in this run: 429 asks to slow down, 5xx to come back later."""
        self.down.add(host)
        self.report.errors.append(f"{host}: {reason}; not asked again in this run")

    def _arxiv_ids(
        self, by_arxiv: dict[str, list[int]], with_doi: set[int], held: dict[int, Found]
    ) -> None:
        ids = list(by_arxiv)
        size = self.owner.arxiv_batch
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            query = urllib.parse.quote(",".join(batch), safe=",/.")
            url = f"{ARXIV_API}?id_list={query}&max_results={len(batch)}"
            records = self._arxiv(url, [pid for i in batch for pid in by_arxiv[i]])
            if records is None:
                # A failed batch: its papers with a DOI are still filled from
                # Crossref, the source that wins anyway (a later fill adds
                # arXiv's abstract); the others are left for a later fill.
                for i in batch:
                    for pid in by_arxiv[i]:
                        if pid in with_doi:
                            self.arxiv_failed.add(pid)
                        else:
                            self.failing.add(pid)
                            self._settle(pid, None)
                continue
            known = {r.arxiv_id: r for r in records}
            for arxiv_id in batch:
                for pid in by_arxiv[arxiv_id]:
                    record = known.get(arxiv_id)
                    if pid in with_doi:
                        if record is not None:
                            held[pid] = record
                    else:
                        self._settle(pid, record)

    def _arxiv(self, url: str, pids: list[int]) -> list[Found] | None:
        """The records of one arXiv request; None when it failed (reported)."""
        try:
            data = self._get(url)
        except _Down:
            return None
        if data is None:  # arXiv answers unknown ids with an empty feed, not 404
            return []
        try:
            records, errors = parse_arxiv_feed(data)
        except ValueError as exc:
            self._fail("export.arxiv.org", f"answered with something else than a feed: {exc}")
            return None
        self.report.errors += [f"export.arxiv.org: {e} ({_id_list(pids)})" for e in errors]
        return records

    def _crossref(self, by_doi: dict[str, list[int]], held: dict[int, Found]) -> None:
        for doi, pids in by_doi.items():
            record: Found | None = None
            try:
                data = self._get(CROSSREF_API + urllib.parse.quote(doi, safe="/"))
                record = parse_crossref(data) if data is not None else None
            except _Down:
                self.failing.update(pids)
            except ValueError as exc:
                self._fail("api.crossref.org", f"answered with something else than a work: {exc}")
                self.failing.update(pids)
            for pid in pids:
                if record is None and pid in self.arxiv_failed:
                    self.failing.add(pid)  # not "not found": arXiv was not heard
                arxiv = held.pop(pid, None)
                if record is not None and arxiv is not None:
                    self._settle(pid, record.over(arxiv))
                else:
                    self._settle(pid, record or arxiv)

    def _title_search(self, paper: PaperData) -> None:
        # arXiv's phrase search matches words, so the folded title asks for
        # exactly its words; only an entry whose folded title is the paper's counts.
        key = _title_key(paper.title)
        query = urllib.parse.urlencode({"search_query": f'ti:"{key}"', "max_results": "5"})
        records = self._arxiv(f"{ARXIV_API}?{query}", [paper.id])
        if records is None:
            self.failing.add(paper.id)
            self._settle(paper.id, None)
            return
        match = next((r for r in records if _title_key(r.title) == key), None)
        # The matched title is the paper's own: keep the user's spelling.
        self._settle(paper.id, replace(match, title="") if match else None)

    # --- writes

    def _settle(self, pid: int, found: Found | None) -> None:
        """Write what *found* gives paper *pid* (from a fresh snapshot), and count it."""
        self.done += 1
        if pid in self.failing:
            self.report.failed.append(pid)
        elif found is None:
            self.report.not_found.append(pid)
        else:
            try:
                self._write(pid, found)
            except KeyError:  # purged while its answer was on the way
                self.report.errors.append(f"paper {pid} was deleted during the fill")
        self.progress.report("fill", self.done, self.total)

    def _write(self, pid: int, found: Found) -> None:
        paper = self.owner.reads.paper(pid)
        values, changes = updates_for(paper, found)
        if not values:
            self.report.unchanged.append(pid)
            return
        self.owner.edits.update_paper(pid, by_user=False, **values)
        self.wrote = True
        self.report.changed.append((pid, changes))
        self.report.titles[pid] = values.get("title", paper.title)
