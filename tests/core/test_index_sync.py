"""Index updates that fail are never swallowed: the user is told and doctor reports them."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from readinglist.cli import run
from readinglist.core.query import Query
from readinglist.core.writes import Change
from readinglist.library import IndexUpdateError, Library
from readinglist.records import ParsedPaper, ParseResult
from readinglist.search import SearchIndex


def _full_disk(*_args: Any, **_kwargs: Any) -> int:
    raise OSError(28, "No space left on device")


def _papers(*titles: str) -> ParseResult:
    return ParseResult(format="t", papers=[ParsedPaper(title=t) for t in titles])


def test_a_failed_update_is_raised_recorded_and_repaired(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = library.import_records(_papers("Walrus tusks", "Seal pups"), "x").added
    with monkeypatch.context() as m:
        m.setattr(SearchIndex, "index", _full_disk)
        with pytest.raises(IndexUpdateError, match="No space left on device"):
            library.add_tags(ids[:1], ["arctic"])
    # The change itself is saved; the index is behind and says why.
    assert library.paper(ids[0]).tags == ("arctic",)
    assert "No space left on device" in library.index_errors[-1]
    report = library.doctor()
    assert not report.ok and "No space left" in report.index_error
    assert report.index.stale == ids[:1]
    repaired = library.doctor(repair=True)
    assert "index: the failed update is repaired" in repaired.fixed
    assert library.doctor().ok
    assert library.query_ids(Query(text="tag:arctic")) == ids[:1]


def test_a_failed_background_update_is_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = Library(tmp_path / "lib", background_index=True)
    ids = lib.import_records(_papers("Walrus tusks"), "x").added
    announced = threading.Event()
    kinds: list[str] = []

    def listener(change: Change) -> None:
        kinds.append(change.kind)
        if change.kind == "index-error":
            announced.set()

    lib.listeners.append(listener)
    monkeypatch.setattr(SearchIndex, "index", _full_disk)
    lib.set_note(ids[0], "a note the index cannot take")
    assert announced.wait(10)
    assert kinds == ["note", "index-error"]
    assert "No space left on device" in lib.index_errors[-1]
    monkeypatch.undo()
    lib.close()
    # Opened again, the library repairs the index by itself.
    with Library(tmp_path / "lib") as again:
        assert again.doctor().ok
        assert again.query_ids(Query(text="note:cannot")) == ids


@pytest.fixture
def cli_lib(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "cli"
    with Library(folder) as lib:
        lib.import_records(_papers("Walrus tusks"), "x")
    yield folder


def test_the_command_line_says_what_failed(
    cli_lib: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(SearchIndex, "index", _full_disk)
    out = io.StringIO()
    assert run(["--library", str(cli_lib), "tag", "1", "--add", "x"], out=out) == 1
    err = capsys.readouterr().err
    assert err.startswith("readinglist: the search index could not be updated")
    assert "doctor --repair" in err and "Traceback" not in err
    monkeypatch.undo()
    out = io.StringIO()
    assert run(["--library", str(cli_lib), "doctor"], out=out) == 1
    assert "index: last update failed" in out.getvalue()
    assert run(["--library", str(cli_lib), "doctor", "--repair"], out=io.StringIO()) == 0
    out = io.StringIO()
    assert run(["--library", str(cli_lib), "doctor"], out=out) == 0
    assert "last update failed" not in out.getvalue()
