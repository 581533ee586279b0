"""The sidebar as a user drives it: counts, the Trash's bar, imports' menu, undoable tag admin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QColorDialog, QFileDialog, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from readinglist.core.query import Query
from readinglist.gui import sidebar as sidebar_module
from readinglist.gui.main_window import MainWindow
from readinglist.gui.models import FILTER_ROLE, PAPER_ID_ROLE
from readinglist.library import Library

from .conftest import SAMPLE, open_window

DBLP = Path(__file__).parents[1] / "data" / "bib" / "dblp.bib"

# The offscreen platform cannot do these window-system things and says so.
pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def _label(window: MainWindow, key: str) -> str:
    return str(window.sidebar.model.index_for_key(key).data())


def _labels(window: MainWindow) -> list[str]:
    return [_label(window, key) for key in ("all", "starred", "unread", "recent", "trash")]


def _wait_labels(qtbot: QtBot, window: MainWindow, expected: list[str]) -> None:
    qtbot.waitUntil(lambda: _labels(window) == expected, timeout=10_000)


def _choose(qtbot: QtBot, window: MainWindow, key: str) -> None:
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        window.sidebar.select_key(key)


def _select_rows(window: MainWindow, rows: list[int]) -> list[int]:
    window.table.clearSelection()
    selection = window.table.selectionModel()
    for row in rows:
        selection.select(
            window.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    return [int(window.model.index(r, 0).data(PAPER_ID_ROLE)) for r in rows]


def _state(lib: Library) -> dict[str, tuple[str, list[int]]]:
    """Every tag as stored: its spelling, colour and papers (trash included)."""
    out = {}
    for tag in lib.tags():
        snap = lib.tag_snapshot(tag.name)
        out[snap.name] = (snap.colour, list(snap.paper_ids))
    return out


# --- 1. counts on every built-in view ---------------------------------------------------------


def test_builtin_views_show_their_counts_and_follow_star_read_trash(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    assert _labels(window) == [
        "All papers (101)",
        "Starred (0)",
        "Unread (101)",
        "Recently added (101)",
        "Trash (0)",
    ]
    ids = gui_lib.query_ids(Query())[:4]
    # Star and read marks are not sidebar changes, yet they move these counts.
    window.edits.set_flag("starred", True, ids[:2])
    _wait_labels(
        qtbot,
        window,
        ["All papers (101)", "Starred (2)", "Unread (101)", "Recently added (101)", "Trash (0)"],
    )
    window.edits.set_flag("read", True, ids[1:4])
    _wait_labels(
        qtbot,
        window,
        ["All papers (101)", "Starred (2)", "Unread (98)", "Recently added (101)", "Trash (0)"],
    )
    _select_rows(window, [window.model.row_of(i) or 0 for i in ids[:1]])
    window.act.delete.trigger()  # A starred, unread paper.
    _wait_labels(
        qtbot,
        window,
        ["All papers (100)", "Starred (1)", "Unread (97)", "Recently added (100)", "Trash (1)"],
    )
    window.act.undo.trigger()
    _wait_labels(
        qtbot,
        window,
        ["All papers (101)", "Starred (2)", "Unread (98)", "Recently added (101)", "Trash (0)"],
    )
    # The counts are the core's: what each view really lists.
    for key in ("all", "starred", "unread", "recent", "trash"):
        assert window.sidebar.model.view_count(key) == gui_lib.count(
            window.sidebar.model.index_for_key(key).data(FILTER_ROLE)
        )


# --- 2. the Trash's bar -----------------------------------------------------------------------


def test_trash_bar_restores_the_selection_and_empties_the_trash(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    bar = window.trash_bar
    assert not bar.isVisible()
    ids = gui_lib.query_ids(Query())[:3]
    gui_lib.trash(ids)
    _choose(qtbot, window, "trash")
    assert bar.isVisible()
    assert bar.restore_button.isVisible() and bar.empty_button.isVisible()
    assert bar.empty_button.isEnabled()
    assert not bar.restore_button.isEnabled()  # Nothing selected yet.
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)

    chosen = _select_rows(window, [0, 1])
    assert bar.restore_button.isEnabled()
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        qtbot.mouseClick(bar.restore_button, Qt.MouseButton.LeftButton)
    assert gui_lib.query_ids(Query(trashed=True)) == [i for i in ids if i not in chosen]
    assert window.undo_stack.undoText().startswith("Restore 2 papers")

    asked: list[str] = []

    def yes(*args: Any, **_kwargs: Any) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    left = gui_lib.query_ids(Query(trashed=True))
    qtbot.mouseClick(bar.empty_button, Qt.MouseButton.LeftButton)
    assert asked and "Delete 1 paper(s) in the trash for good" in asked[0]
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=20_000)
    assert gui_lib.count(Query(trashed=True)) == 0
    assert gui_lib.existing_ids(left) == []
    qtbot.waitUntil(lambda: _label(window, "trash") == "Trash (0)", timeout=10_000)

    _choose(qtbot, window, "all")
    assert not bar.isVisible()


# --- 3. an import's context menu ---------------------------------------------------------------


@pytest.fixture
def two_imports(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[MainWindow, Library, int]]:
    """A window on the sample page and a two-paper BibTeX file; the file's import id."""
    lib = Library(tmp_path / "lib2", background_index=True)
    lib.import_file(SAMPLE)
    report = lib.import_file(DBLP)
    assert len(report.added) == 2
    batch = next(b.id for b in lib.batches() if b.file_name == DBLP.name)
    win = open_window(qtbot, lib, tmp_path / "settings.ini")
    yield win, lib, batch
    win.close()
    lib.close()


def _batch_menu(window: MainWindow, batch: int) -> dict[str, QAction]:
    """The import's context menu, as a right-click on its entry opens it; actions by text."""
    view = window.sidebar.view
    index = window.sidebar.model.index_for_key(f"batch:{batch}")
    view.scrollTo(index)
    menu = window.sidebar.context_menu(view.indexAt(view.visualRect(index).center()))
    assert menu is not None
    return {a.text(): a for a in menu.actions() if a.text()}


def test_import_menu_opens_the_import(
    two_imports: tuple[MainWindow, Library, int], qtbot: QtBot
) -> None:
    window, lib, batch = two_imports
    actions = _batch_menu(window, batch)
    assert list(actions) == ["Open", "Export…", "Move to Trash"]
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        actions["Open"].trigger()
    assert window.sidebar.current_key() == f"batch:{batch}"
    assert sorted(window.model.ids()) == lib.batch_ids(batch)


@pytest.mark.parametrize(("fmt", "label"), [("ris", "RIS"), ("bibtex", "BibTeX")])
def test_import_menu_exports_just_that_import(
    two_imports: tuple[MainWindow, Library, int],
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fmt: str,
    label: str,
) -> None:
    window, lib, batch = two_imports
    offered: list[list[str]] = []

    def pick(_parent: object, _title: str, _text: str, items: list[str], *_a: Any) -> Any:
        offered.append(items)
        return next(i for i in items if i.startswith(label + " (")), True

    target = tmp_path / f"batch.{fmt}"
    monkeypatch.setattr(QInputDialog, "getItem", pick)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), ""))
    actions = _batch_menu(window, batch)
    with qtbot.waitSignal(window.exportFinished, timeout=20_000) as blocker:
        actions["Export…"].trigger()
    assert blocker.args[0] == (target, 2)
    text = target.read_text("utf-8")
    for paper in lib.get(lib.batch_ids(batch)):
        assert (paper.citekey if fmt == "bibtex" else paper.title) in text
    starts = "TY  - " if fmt == "ris" else "@"
    assert sum(line.startswith(starts) for line in text.splitlines()) == 2
    assert len(offered[0]) == 6  # Every format is offered.


def test_import_menu_moves_the_import_to_the_trash_undoably(
    two_imports: tuple[MainWindow, Library, int], qtbot: QtBot
) -> None:
    window, lib, batch = two_imports
    ids = lib.batch_ids(batch)
    window.edits.set_flag("starred", True, ids[:1])  # An earlier edit stays undoable.
    actions = _batch_menu(window, batch)
    actions["Move to Trash"].trigger()
    assert sorted(lib.query_ids(Query(trashed=True))) == ids
    assert lib.batch_ids(batch) == []
    assert window.undo_stack.count() == 2
    assert window.undo_stack.undoText() == "Delete 2 papers"
    qtbot.waitUntil(lambda: _label(window, "trash") == "Trash (2)", timeout=10_000)
    # An import with nothing left outside the trash offers neither.
    qtbot.waitUntil(
        lambda: not _batch_menu(window, batch)["Move to Trash"].isEnabled(),
        timeout=10_000,
    )
    window.act.undo.trigger()
    assert lib.batch_ids(batch) == ids
    assert lib.count(Query(trashed=True)) == 0
    assert window.undo_stack.undoText().startswith("Star")


# --- 4. tag administration is undoable ---------------------------------------------------------


@pytest.fixture
def tagged(window: MainWindow, gui_lib: Library) -> list[int]:
    """alpha (red) on papers 0-2, beta (blue) on 2-4; paper 5 starred through the window."""
    ids = gui_lib.query_ids(Query())[:6]
    gui_lib.add_tags(ids[:3], ["alpha"])
    gui_lib.add_tags(ids[2:5], ["Beta"])
    gui_lib.set_tag_colour("alpha", "#e74c3c")
    gui_lib.set_tag_colour("beta", "#2e86de")
    window.edits.set_flag("starred", True, ids[5:])
    assert window.undo_stack.count() == 1
    return ids


def _check_undo_redo(
    window: MainWindow,
    gui_lib: Library,
    before: dict[str, tuple[str, list[int]]],
    after: dict[str, tuple[str, list[int]]],
    text: str,
) -> None:
    stack = window.undo_stack
    assert _state(gui_lib) == after
    assert stack.count() == 2 and stack.index() == 2
    assert stack.text(0).startswith("Star") and stack.text(1) == text
    window.act.undo.trigger()
    assert _state(gui_lib) == before
    assert stack.index() == 1
    window.act.redo.trigger()
    assert _state(gui_lib) == after
    window.act.undo.trigger()
    window.act.undo.trigger()  # The star before is still there to undo.
    assert _state(gui_lib) == before
    assert stack.index() == 0
    assert not any(p.starred for p in gui_lib.get(gui_lib.query_ids(Query())))


def test_rename_tag_is_undoable(
    window: MainWindow, gui_lib: Library, tagged: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state(gui_lib)
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("  gamma  ray ", True))
    window.sidebar.rename_tag("alpha")
    after = {"Beta": before["Beta"], "gamma ray": before["alpha"]}
    _check_undo_redo(window, gui_lib, before, after, "Rename tag alpha to gamma ray")


def test_rename_onto_another_tag_merges_and_undoes_exactly(
    window: MainWindow, gui_lib: Library, tagged: list[int]
) -> None:
    before = _state(gui_lib)
    assert window.sidebar.rename_tag_to("alpha", "beta")
    after = {"Beta": ("#2e86de", tagged[:5])}
    _check_undo_redo(window, gui_lib, before, after, "Rename tag alpha to beta")


def test_recolour_tag_is_undoable(
    window: MainWindow, gui_lib: Library, tagged: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state(gui_lib)
    monkeypatch.setattr(QColorDialog, "getColor", lambda *_a, **_k: QColor("#27ae60"))
    window.sidebar.recolour_tag("alpha")
    after = {**before, "alpha": ("#27ae60", before["alpha"][1])}
    _check_undo_redo(window, gui_lib, before, after, "Change the colour of tag alpha")


def test_merge_tags_is_undoable_and_keeps_the_history(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tagged: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _state(gui_lib)
    monkeypatch.setattr(QInputDialog, "getItem", lambda *_a, **_k: ("Beta", True))
    window.sidebar.merge_tag("alpha")
    qtbot.waitUntil(lambda: window.undo_stack.count() == 2, timeout=20_000)
    after = {"Beta": ("#2e86de", tagged[:5])}
    _check_undo_redo(window, gui_lib, before, after, "Merge tag alpha into Beta")
    assert "before-merge-tags" in {s.reason for s in gui_lib.backups.snapshots()}


def test_delete_tag_is_undoable_and_keeps_the_history(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tagged: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gui_lib.trash(tagged[1:2])  # A trashed paper's link comes back too.
    before = _state(gui_lib)
    monkeypatch.setattr(sidebar_module, "confirm", lambda *_a: True)
    assert window.sidebar.delete_tag("alpha")
    qtbot.waitUntil(lambda: window.undo_stack.count() == 2, timeout=20_000)
    after = {"Beta": before["Beta"]}
    _check_undo_redo(window, gui_lib, before, after, "Delete tag alpha")
    assert "before-delete-tag" in {s.reason for s in gui_lib.backups.snapshots()}


def test_renamed_tag_stays_chosen(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, tagged: list[int]
) -> None:
    qtbot.waitUntil(
        lambda: window.sidebar.model.index_for_key("tag:alpha").isValid(), timeout=10_000
    )
    _choose(qtbot, window, "tag:alpha")
    assert window.sidebar.rename_tag_to("alpha", "gamma")
    qtbot.waitUntil(lambda: window.sidebar.current_key() == "tag:gamma", timeout=10_000)
    qtbot.waitUntil(lambda: sorted(window.model.ids()) == tagged[:3], timeout=10_000)


def test_a_refused_rename_is_reported_and_not_pushed(
    window: MainWindow, gui_lib: Library, tagged: list[int]
) -> None:
    assert not window.sidebar.rename_tag_to("no such tag", "x")
    assert window.last_error is not None and "no tag named" in window.last_error.text()
    assert window.undo_stack.count() == 1
    window.last_error.close()
