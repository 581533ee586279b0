"""Fixtures for the GUI tests: libraries to show, and no task left running."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from readinglist.gui.main_window import MainWindow
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


def open_window(qtbot: QtBot, lib: Library, settings_path: Path) -> MainWindow:
    """Show a main window on *lib* with its own settings file; return once its rows are in."""
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    window = MainWindow(lib, settings)
    qtbot.addWidget(window)
    # Results arrive through the event loop, so the first one cannot be missed.
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.show()
    return window


@pytest.fixture
def gui_lib(tmp_path: Path) -> Iterator[Library]:
    """The sample library, with index updates on their own thread as the window has them."""
    library = Library(tmp_path / "lib", background_index=True)
    library.import_file(SAMPLE)
    yield library
    library.close()


@pytest.fixture
def window(qtbot: QtBot, gui_lib: Library, tmp_path: Path) -> Iterator[MainWindow]:
    """A main window on :func:`gui_lib`."""
    win = open_window(qtbot, gui_lib, tmp_path / "settings.ini")
    yield win
    win.close()
