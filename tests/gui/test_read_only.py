"""A library in a read-only folder opens in the window, to browse, search and export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from readinglist.core.query import Query
from readinglist.gui import recovery
from readinglist.library import Library

from .conftest import SAMPLE, open_window

# The offscreen platform's limits, not ours.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def read_only_folder(tmp_path: Path, mount: Callable[..., None]) -> Path:
    source = tmp_path / "lib"
    with Library(source) as lib:
        lib.import_file(SAMPLE)
    view = tmp_path / "ro"
    view.mkdir()
    mount("--bind", str(source), str(view))
    mount("-o", "remount,ro,bind", str(view))
    return view


def test_a_read_only_library_opens_locked_and_browsable(
    qtbot: QtBot, read_only_folder: Path, tmp_path: Path
) -> None:
    # The lock cannot live in the folder: it lives in the temporary folder, still one
    # window per library.
    lock = recovery.acquire_lock(read_only_folder)
    assert lock is not None
    assert recovery.acquire_lock(read_only_folder) is None
    lib = Library(read_only_folder, sync_index=False, background_index=True)
    try:
        window = open_window(qtbot, lib, tmp_path / "s.ini")
        assert window.windowTitle().endswith("(read-only)")
        assert window.model.rowCount() == 101
        window.search.set_text("mamba")
        qtbot.waitUntil(lambda: window.model.rowCount() == lib.count(Query(text="mamba")))
        window.close()
    finally:
        lib.close()
        lock.unlock()
