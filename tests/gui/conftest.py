"""Fixtures for the GUI tests: libraries to show, and no task left running."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from readinglist.gui.workers import wait_for_all
from readinglist.library import Library
from readinglist.records import ParsedPaper, ParseResult

SAMPLE = Path(__file__).parents[1] / "data" / "hf-trending-mar11.txt"
SYNTHETIC_COUNT = 3000


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[Library]:
    """A temporary library holding the sample page (101 papers)."""
    library = Library(tmp_path / "lib")
    report = library.import_file(SAMPLE)
    assert not report.error, report.error
    yield library
    library.close()


@pytest.fixture(scope="module")
def big_lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """A library of 3,000 synthetic papers "Paper 0" … "Paper 2999".

    Shared by a module's tests (building it takes seconds): tests using it
    must not change it.
    """
    library = Library(tmp_path_factory.mktemp("big") / "lib")
    papers = [ParsedPaper(title=f"Paper {i}") for i in range(SYNTHETIC_COUNT)]
    library.import_records(ParseResult(format="test", papers=papers), "synthetic")
    yield library
    library.close()


@pytest.fixture(autouse=True)
def _no_task_left_running(qapp: object) -> Iterator[None]:
    # A worker still running against a library the next fixture closes makes
    # tests flaky (vorta's lesson): every test ends with all tasks finished.
    yield
    assert wait_for_all(10_000), "a background task did not stop"
