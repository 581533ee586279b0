"""The unit of work: every change, purge and import included, takes the same path."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import readinglist
from readinglist.core.index_sync import IndexSync
from readinglist.core.query import Query
from readinglist.core.writes import UnitOfWork
from readinglist.library import Library
from readinglist.records import ParsedPaper, ParseResult


class Spy:
    """Records every unit of work and every index update after a commit."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runs: list[str] = []
        self.commits: list[tuple[int, ...]] = []
        real_run = UnitOfWork.run
        real_after = IndexSync.after_commit

        def run(uow: UnitOfWork, kind: str, *args: Any, **kwargs: Any) -> list[int]:
            self.runs.append(kind)
            return real_run(uow, kind, *args, **kwargs)

        def after(sync: IndexSync, counter: int, ids: Sequence[int], **kwargs: Any) -> None:
            self.commits.append(tuple(ids))
            real_after(sync, counter, ids, **kwargs)

        monkeypatch.setattr(UnitOfWork, "run", run)
        monkeypatch.setattr(IndexSync, "after_commit", after)

    def take(self) -> tuple[list[str], list[tuple[int, ...]]]:
        out = (self.runs[:], self.commits[:])
        self.runs.clear()
        self.commits.clear()
        return out


def _page(*titles: str) -> ParseResult:
    return ParseResult(
        format="test", papers=[ParsedPaper(title=t, abstract=f"About {t}.") for t in titles]
    )


def test_tag_purge_and_import_update_the_index_the_same_way(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    report = library.import_records(_page("Walrus tusks", "Narwhal horns", "Seal pups"), "p")
    runs, commits = spy.take()
    assert runs == ["import"] and commits == [tuple(report.added)]
    assert library.index_in_step() and library.check_index().ok
    assert len(library.search("narwhal").ids) == 1

    walrus = library.query_ids(Query(text="walrus"))
    library.add_tags(walrus, ["arctic"])
    runs, commits = spy.take()
    assert runs == ["tags"] and commits == [tuple(walrus)]
    assert library.index_in_step() and library.check_index().ok
    assert library.query_ids(Query(text="tag:arctic")) == walrus

    library.purge(walrus)
    runs, commits = spy.take()
    assert runs == ["purge"] and commits == [tuple(walrus)]
    assert library.index_in_step() and library.check_index().ok
    assert library.search("walrus").ids == [] and library.count() == 2


def test_every_change_goes_through_the_unit_of_work(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    library.import_records(_page("Alpha paper", "Beta paper"), "p")
    a, b = library.query_ids(Query(sort="title", descending=False))
    library.add_tags([a], ["one"])
    spy = Spy(monkeypatch)
    changes: list[tuple[str, Callable[[], object]]] = [
        ("starred", lambda: library.set_starred([a])),
        ("read", lambda: library.set_read([a])),
        ("note", lambda: library.set_note(a, "a note")),
        ("edit", lambda: library.update_paper(a, year=2024)),
        ("citekey", lambda: library.set_citekey(a, "alpha2024")),
        ("tags", lambda: library.remove_tags([a], ["one"])),
        ("tag-colour", lambda: library.set_tag_colour("one", "#ff0000")),
        ("tags", lambda: library.rename_tag("one", "uno")),
        ("tags", lambda: library.merge_tags(["uno"], "two")),
        ("tags", lambda: library.delete_tag("two")),
        ("saved-search", lambda: library.save_search("s", Query(text="alpha"))),
        ("trash", lambda: library.trash([b])),
        ("restore", lambda: library.restore([b])),
        ("purge", lambda: library.purge([b])),
    ]
    for kind, change in changes:
        change()
        runs, _ = spy.take()
        assert runs == [kind], kind
        assert library.check_index().ok, kind


def test_nothing_else_opens_a_write_transaction() -> None:
    """Only the unit of work (and the database module itself) may commit."""
    package = Path(readinglist.__file__).parent
    writers = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if re.search(r"\.transaction\(\)", path.read_text("utf-8"))
    )
    # db.py defines it (and shows it in a docstring).
    assert writers == ["core/writes.py", "db.py"]


def test_imported_papers_are_listable_before_they_are_indexed(library: Library) -> None:
    seen: list[tuple[int, bool, int]] = []

    def listener(change: object) -> None:
        # Called once the transaction committed, before the index caught up.
        seen.append((library.count(), library.index_in_step(), len(library.search("walrus").ids)))

    library.listeners.append(listener)
    library.import_records(_page("Walrus tusks", "Walrus pups"), "p")
    assert seen == [(2, False, 0)]
    assert library.index_in_step() and len(library.search("walrus").ids) == 2
