"""Online metadata fill, against answers of arXiv and Crossref recorded by hand (no network)."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from readinglist.core.faults import explain
from readinglist.core.fill import (
    FillCancelled,
    Found,
    MetadataFill,
    NotFound,
    Offline,
    ServiceError,
    UrlFetch,
    parse_arxiv_feed,
    parse_crossref,
    title_identifier,
    updates_for,
)
from readinglist.core.progress import Cancelled, Progress
from readinglist.library import Library
from readinglist.people import Person
from readinglist.records import PaperData, ParsedPaper, ParseResult

DATA = Path(__file__).parent.parent / "data" / "fill"

ARXIV = "https://export.arxiv.org/api/query"
BOTH_IDS = f"{ARXIV}?id_list=2403.01234,2402.05678&max_results=2"
FIRST_ID = f"{ARXIV}?id_list=2403.01234&max_results=1"
SECOND_ID = f"{ARXIV}?id_list=2402.05678&max_results=1"
MISSING_ID = f"{ARXIV}?id_list=2401.99999&max_results=1"
TITLE_SEARCH = f"{ARXIV}?search_query=ti%3A%22sparse+widgets+for+dense+gadgets%22&max_results=5"
OTHER_SEARCH = f"{ARXIV}?search_query=ti%3A%22sparse+widgets%22&max_results=5"
CROSSREF = "https://api.crossref.org/works/10.1145/3588432"
CROSSREF_MISSING = "https://api.crossref.org/works/10.9999/nothing"

RECORDED: dict[str, str] = {
    BOTH_IDS: "arxiv_id_list.xml",
    # arXiv's feed for one id of the two holds just that entry; the parser
    # keeps only the ids asked for, so the two-entry recording serves too.
    FIRST_ID: "arxiv_id_list.xml",
    SECOND_ID: "arxiv_id_list.xml",
    MISSING_ID: "arxiv_empty.xml",
    TITLE_SEARCH: "arxiv_title_search.xml",
    OTHER_SEARCH: "arxiv_title_search.xml",
    CROSSREF: "crossref_work.json",
    CROSSREF_MISSING: "crossref_404.txt",
}


class Recorded:
    """A fetch answering from tests/data/fill and remembering every URL asked for."""

    def __init__(self, failures: dict[str, Exception] | None = None) -> None:
        self.failures = failures or {}
        self.calls: list[str] = []

    def __call__(self, url: str, timeout: float) -> bytes:
        self.calls.append(url)
        if url in self.failures:
            raise self.failures[url]
        name = RECORDED[url]  # a URL nobody recorded is a bug in the fill or the test
        if name.endswith("_404.txt"):  # what UrlFetch makes of an HTTP 404
            raise NotFound(url)
        return (DATA / name).read_bytes()


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[Library]:
    library = Library(tmp_path / "lib")
    yield library
    library.close()


def add(lib: Library, *papers: ParsedPaper) -> list[int]:
    report = lib.import_records(ParseResult(format="t", papers=list(papers)), "x")
    assert len(report.added) == len(papers)
    return list(report.added)


def filler(lib: Library, fetch: Recorded, **kwargs: Any) -> MetadataFill:
    return MetadataFill(lib.reads, lib.edits, fetch, delay=kwargs.pop("delay", 0.0), **kwargs)


def id_list_papers(lib: Library) -> list[int]:
    """Two papers as an import of a list of arXiv ids leaves them: the id is the title."""
    return add(
        lib,
        ParsedPaper(title="arXiv:2403.01234", arxiv_id="2403.01234"),
        ParsedPaper(title="2402.05678", arxiv_id="2402.05678"),
    )


def test_papers_from_an_id_list_get_title_authors_year_abstract_in_one_request(
    lib: Library,
) -> None:
    first, second = id_list_papers(lib)
    fetch = Recorded()
    report = filler(lib, fetch).fill([first, second])
    assert fetch.calls == [BOTH_IDS]
    a, b = lib.get([first, second])
    assert a.title == "Sparse Mixture Routing for Long-Context Retrieval"
    assert a.people == (
        Person(given="Ana Lucía", family="Torres"),
        Person(given="Harold T.", family="Finch", suffix="Jr."),
        Person(given="Wei", family="Zhang"),
    )
    assert a.authors[1] == "Harold T. Finch Jr."
    assert a.year == 2024
    assert a.abstract.startswith("We study routing in sparse mixtures of experts when the context")
    assert "\n" not in a.abstract
    assert a.venue == "IEEE Trans. Pattern Anal. Mach. Intell. 46 (2024) 5120-5133"
    assert a.doi == "10.1109/tpami.2024.3371234"
    assert a.extra_field("primaryclass") == "cs.LG"
    assert b.title == "Counting Tokens Is Not Enough: Budgets for Tool-Using Agents"
    assert b.authors == ("Priya Raman", "Jonas Müller")
    assert (b.venue, b.doi, b.extra_field("primaryclass")) == ("", "", "cs.CL")
    # A fill is not the user's hand: a later fill may still complete these papers.
    assert a.edited == frozenset() and b.edited == frozenset()
    # Keyed by the id until now (ArXiv2403012342024): now by the real title.
    assert a.citekey == "torresSparseMixtureRouting2024"
    changes = dict(report.changed)
    assert changes[first]["title"] == ("arXiv:2403.01234", a.title)
    assert changes[first]["authors"] == ("", "Ana Lucía Torres, Harold T. Finch Jr., Wei Zhang")
    assert changes[first]["year"] == ("", "2024")
    assert changes[first]["primaryclass"] == ("", "cs.LG")
    assert report.to_json()["changed"][str(first)]["year"] == ["", "2024"]  # type: ignore[index]
    assert "venue" not in changes[second]
    assert report.not_found == [] and report.errors == [] and report.failed == []
    lines = report.lines()
    assert f"paper {first} 'Sparse Mixture Routing for Long-Context Retrieval':" in lines
    assert "  year: '' → '2024'" in lines
    assert lines[-1] == "filled 12 fields of 2 papers"


def test_a_field_the_user_edited_and_a_filled_venue_are_kept(lib: Library) -> None:
    (pid,) = add(
        lib,
        ParsedPaper(
            title="arXiv:2403.01234", arxiv_id="2403.01234", venue="Sparse Methods Workshop"
        ),
    )
    lib.edits.update_paper(pid, year=1999)  # by the user: remembered as edited
    report = filler(lib, Recorded()).fill([pid])
    paper = lib.paper(pid)
    assert paper.year == 1999
    assert paper.venue == "Sparse Methods Workshop"
    assert paper.authors[0] == "Ana Lucía Torres"
    fields = dict(report.changed)[pid]
    assert "year" not in fields and "venue" not in fields and "authors" in fields


def test_user_edited_title_and_extra_are_kept_even_when_the_title_is_an_id(
    lib: Library,
) -> None:
    (pid,) = add(lib, ParsedPaper(title="2402.05678", arxiv_id="2402.05678"))
    lib.edits.update_paper(pid, title="2402.05678", extra={"note": ""})
    filler(lib, Recorded()).fill([pid])
    paper = lib.paper(pid)
    assert paper.title == "2402.05678"
    assert paper.extra == ()
    assert paper.authors == ("Priya Raman", "Jonas Müller")


def test_a_doi_paper_is_filled_from_crossref_with_given_and_family_names(lib: Library) -> None:
    (pid,) = add(
        lib,
        ParsedPaper(
            title="How researchers triage their reading lists",
            doi="https://doi.org/10.1145/3588432",
            extra={"publisher": "ACM"},
        ),
    )
    fetch = Recorded()
    report = filler(lib, fetch).fill([pid])
    assert fetch.calls == [CROSSREF]
    paper = lib.paper(pid)
    assert paper.title == "How researchers triage their reading lists"  # never replaced
    assert paper.people == (
        Person(given="Maria", family="Berg", prefix="van der"),
        Person(given="John", family="Smith", suffix="Jr."),
        Person(given="Li", family="Chen"),
    )
    assert paper.year == 2023
    assert paper.venue == "Communications of the ACM"
    assert paper.entry_type == "article"
    assert paper.abstract == (
        "Reading lists grow faster than they are read. We measure how researchers triage "
        "papers and find that two signals explain most choices.\n\n"
        "A tool built on them halves triage time & keeps recall."
    )
    assert dict(paper.extra) == {
        "publisher": "ACM",  # the paper's own value stays
        "volume": "66",
        "number": "3",
        "pages": "88-97",
    }
    assert set(dict(report.changed)[pid]) == {
        "authors",
        "year",
        "venue",
        "abstract",
        "entry_type",
        "volume",
        "number",
        "pages",
    }


def test_a_doi_title_is_replaced_by_crossrefs_title(lib: Library) -> None:
    (pid,) = add(lib, ParsedPaper(title="10.1145/3588432"))
    fetch = Recorded()
    filler(lib, fetch).fill([pid])
    assert fetch.calls == [CROSSREF]
    paper = lib.paper(pid)
    assert paper.title == "How Researchers Triage Their Reading Lists"
    assert paper.doi == "10.1145/3588432"


def test_papers_the_services_do_not_know_are_reported_not_found(lib: Library) -> None:
    ids = add(
        lib,
        ParsedPaper(title="2401.99999", arxiv_id="2401.99999"),
        ParsedPaper(title="A paper with an unknown DOI", doi="10.9999/nothing"),
        ParsedPaper(title="Sparse widgets"),
    )
    before = lib.get(ids)
    fetch = Recorded()
    report = filler(lib, fetch).fill(ids)
    assert fetch.calls == [MISSING_ID, CROSSREF_MISSING, OTHER_SEARCH]
    assert report.not_found == ids
    assert report.changed == [] and report.errors == []
    assert lib.get(ids) == before
    assert report.to_json() == {
        "changed": {},
        "not_found": ids,
        "unchanged": [],
        "failed": [],
        "errors": [],
    }
    assert report.lines() == [
        f"not found: papers {', '.join(map(str, ids))}",
        "filled 0 fields of 0 papers; 3 not found",
    ]


def test_a_paper_without_ids_is_found_by_its_exact_title_only(lib: Library) -> None:
    (pid,) = add(lib, ParsedPaper(title="Sparse widgets for DENSE gadgets"))
    fetch = Recorded()
    filler(lib, fetch).fill([pid])
    assert fetch.calls == [TITLE_SEARCH]
    paper = lib.paper(pid)
    # The survey listed first has a longer title: only the exact title counts.
    assert paper.arxiv_id == "2401.00042"
    assert paper.authors == ("Grace Hopper", "Vincent van Gogh")
    assert paper.title == "Sparse widgets for DENSE gadgets"  # the user's spelling stays


def test_offline_raises_one_line_and_changes_nothing(lib: Library) -> None:
    ids = [*id_list_papers(lib), *add(lib, ParsedPaper(title="T", doi="10.1145/3588432"))]
    before = lib.get(ids)
    changes = lib.changes()
    reason = "[Errno -3] Temporary failure in name resolution"
    fetch = Recorded({BOTH_IDS: Offline("export.arxiv.org", reason)})
    with pytest.raises(Offline) as caught:
        filler(lib, fetch).fill(ids)
    message = f"cannot reach export.arxiv.org: {reason}; nothing was changed"
    assert str(caught.value) == message
    assert explain(caught.value) == message  # the CLI's one line, no traceback
    assert fetch.calls == [BOTH_IDS]
    assert lib.get(ids) == before and lib.changes() == changes


def test_a_connection_lost_after_a_write_stops_with_a_report(lib: Library) -> None:
    first, second = id_list_papers(lib)
    fetch = Recorded({SECOND_ID: Offline("export.arxiv.org", "timed out")})
    report = filler(lib, fetch, arxiv_batch=1).fill([first, second])
    assert [pid for pid, _ in report.changed] == [first]
    assert report.failed == [second]
    assert report.errors == [
        f"lost the connection to export.arxiv.org (timed out); paper {second} not looked up"
    ]
    assert lib.paper(second).title == "2402.05678"


def test_a_service_error_skips_that_service_and_keeps_the_others(lib: Library) -> None:
    ids = [*id_list_papers(lib), *add(lib, ParsedPaper(title="T", doi="10.1145/3588432"))]
    fetch = Recorded(
        {BOTH_IDS: ServiceError("export.arxiv.org", "answered HTTP 503 Service Unavailable", 503)}
    )
    report = filler(lib, fetch).fill(ids)
    assert fetch.calls == [BOTH_IDS, CROSSREF]
    assert report.failed == ids[:2]
    assert [pid for pid, _ in report.changed] == [ids[2]]
    assert report.errors == [
        "export.arxiv.org: answered HTTP 503 Service Unavailable; not asked again in this run"
    ]
    assert report.lines()[-1] == "filled 9 fields of 1 paper; 2 not filled for an error"


def test_a_paper_with_both_ids_takes_crossref_first_and_arxiv_for_the_rest(
    lib: Library,
) -> None:
    (pid,) = add(lib, ParsedPaper(title="2402.05678", arxiv_id="2402.05678", doi="10.1145/3588432"))
    fetch = Recorded()
    filler(lib, fetch).fill([pid])
    assert fetch.calls == [SECOND_ID, CROSSREF]
    paper = lib.paper(pid)
    assert paper.title == "How Researchers Triage Their Reading Lists"
    assert (paper.year, paper.venue) == (2023, "Communications of the ACM")
    assert paper.authors[0] == "Maria van der Berg"
    assert paper.extra_field("primaryclass") == "cs.CL"  # arXiv's, Crossref has none


def test_with_arxiv_down_crossref_fills_but_with_crossref_down_nothing_is_written(
    lib: Library,
) -> None:
    both = ParsedPaper(title="2402.05678", arxiv_id="2402.05678", doi="10.1145/3588432")
    (pid,) = add(lib, both)
    down = ServiceError("export.arxiv.org", "answered HTTP 429 Too Many Requests", 429)
    report = filler(lib, Recorded({SECOND_ID: down})).fill([pid])
    assert [p for p, _ in report.changed] == [pid] and report.failed == []
    assert lib.paper(pid).year == 2023 and lib.paper(pid).extra_field("primaryclass") == ""

    (other,) = add(lib, ParsedPaper(title="2403.01234", arxiv_id="2403.01234", doi="10.1/y"))
    before = lib.paper(other)
    crossref = "https://api.crossref.org/works/10.1/y"
    fetch = Recorded({crossref: ServiceError("api.crossref.org", "answered HTTP 502 Bad Gateway")})
    report = filler(lib, fetch).fill([other])
    assert fetch.calls == [FIRST_ID, crossref]
    # arXiv's year is the preprint's: written alone it would stop Crossref's for good.
    assert report.failed == [other] and lib.paper(other) == before


def test_a_cancel_keeps_what_was_filled_and_hands_over_the_report(lib: Library) -> None:
    first, second = id_list_papers(lib)

    def on_report(stage: str, done: int, total: int) -> None:
        if done == 1:
            progress.cancel()

    progress = Progress(on_report)
    fetch = Recorded()
    with pytest.raises(Cancelled) as caught:
        filler(lib, fetch, arxiv_batch=1).fill([first, second], progress)
    assert fetch.calls == [FIRST_ID]
    assert isinstance(caught.value, FillCancelled)
    report = caught.value.report
    assert [pid for pid, _ in report.changed] == [first]
    assert lib.paper(first).year == 2024
    assert lib.paper(second).title == "2402.05678" and lib.paper(second).year is None


def test_arxiv_ids_are_batched_and_requests_paced(lib: Library) -> None:
    ids = [*id_list_papers(lib), *add(lib, ParsedPaper(title="x", arxiv_id="2401.99999"))]
    sleeps: list[float] = []
    progress_seen: list[tuple[str, int, int]] = []
    fetch = Recorded()
    report = filler(lib, fetch, delay=3.0, arxiv_batch=2, sleep=sleeps.append).fill(
        ids, Progress(lambda *a: progress_seen.append(a))
    )
    assert fetch.calls == [BOTH_IDS, MISSING_ID]
    # Three seconds between the two requests (less the time the writes took).
    assert 2.5 < sum(sleeps) <= 3.0 and max(sleeps) <= 0.25
    assert report.not_found == [ids[2]]
    assert progress_seen[0] == ("fill", 0, 3) and progress_seen[-1] == ("fill", 3, 3)


def test_complete_papers_are_not_looked_up(lib: Library) -> None:
    (pid,) = add(
        lib,
        ParsedPaper(
            title="Done",
            authors=[Person("A", "B")],
            year=2020,
            venue="V",
            abstract="text",
            arxiv_id="2403.01234",
            doi="10.1/x",
            entry_type="article",
        ),
    )
    fetch = Recorded()
    report = filler(lib, fetch).fill([pid, pid])
    assert fetch.calls == []
    assert report.unchanged == [pid]


@pytest.mark.parametrize(
    ("title", "ids"),
    [
        ("arXiv:2403.01234", ("2403.01234", "")),
        ("2403.01234v3", ("2403.01234", "")),
        ("https://arxiv.org/abs/hep-th/9901001v1", ("hep-th/9901001", "")),
        ("10.1145/3588432", ("", "10.1145/3588432")),
        ("doi:10.1145/3588432", ("", "10.1145/3588432")),
        ("Attention Is All You Need", ("", "")),
        ("2403.01234: a paper about ids", ("", "")),
        ("Transformers", ("", "")),
    ],
)
def test_title_identifier(title: str, ids: tuple[str, str]) -> None:
    assert title_identifier(title) == ids


def test_updates_follow_the_rules_and_crossref_comes_before_arxiv() -> None:
    paper = PaperData(id=1, title="A title", venue="Mine", edited=frozenset({"abstract"}))
    crossref = Found(title="Other", year=2023, venue="Journal", entry_type="article")
    arxiv = Found(title="Other", year=2022, abstract="arXiv's", arxiv_id="2403.01234v2")
    values, changes = updates_for(paper, crossref.over(arxiv))
    assert values == {"year": 2023, "arxiv_id": "2403.01234", "entry_type": "article"}
    assert changes["arxiv_id"] == ("", "2403.01234")


def test_parsers_refuse_what_is_not_the_services_answer() -> None:
    for bad in (b"", b"<html><body>Bad gateway</body></html>", b'{"status": "ok"}'):
        with pytest.raises(ValueError):
            parse_arxiv_feed(bad)
        with pytest.raises(ValueError):
            parse_crossref(bad)
    bomb = b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaa">]><feed>&a;</feed>'
    with pytest.raises(ValueError, match="DOCTYPE"):
        parse_arxiv_feed(bomb)
    error_feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        b"<id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.5</id>"
        b"<title>Error</title><summary>incorrect id format for 1234.5</summary>"
        b"</entry></feed>"
    )
    assert parse_arxiv_feed(error_feed) == ([], ["incorrect id format for 1234.5"])


class _Answer(io.BytesIO):
    def __enter__(self) -> _Answer:
        return self


def test_url_fetch_names_itself_and_sorts_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[urllib.request.Request] = []
    failure: list[Exception] = []

    def urlopen(request: urllib.request.Request, timeout: float) -> _Answer:
        seen.append(request)
        if failure:
            raise failure[0]
        return _Answer(b"answer")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    fetch = UrlFetch(contact="me@example.org")
    assert fetch(CROSSREF, 5.0) == b"answer"
    agent = seen[0].get_header("User-agent") or ""
    assert agent.startswith("ReadingList/0.1.0 (") and "mailto:me@example.org" in agent

    def http_error(code: int) -> urllib.error.HTTPError:
        return urllib.error.HTTPError(CROSSREF, code, "Reason", Message(), io.BytesIO(b""))

    cases: list[tuple[Exception, type[Exception], str]] = [
        (http_error(404), NotFound, CROSSREF),
        (http_error(503), ServiceError, "api.crossref.org: answered HTTP 503 Reason"),
        (http_error(429), ServiceError, "api.crossref.org: answered HTTP 429 Reason"),
        (urllib.error.URLError("no route"), Offline, "cannot reach api.crossref.org: no route"),
        (TimeoutError("timed out"), Offline, "cannot reach api.crossref.org: timed out"),
        (ConnectionResetError(104, "reset"), Offline, "cannot reach api.crossref.org: "),
    ]
    for raised, kind, message in cases:
        failure[:] = [raised]
        with pytest.raises(kind) as caught:
            fetch(CROSSREF, 5.0)
        assert str(caught.value).startswith(message)
