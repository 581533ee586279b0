"""How an import's outcome is told: a notice bar, the summary on demand, a modal only on failure.

Also: a Cancel that comes too late (after the commit) is said, not ignored;
and the summary shows every problem in full.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from readinglist.gui import transfer as transfer_module
from readinglist.gui.main_window import MainWindow
from readinglist.gui.notices import Level
from readinglist.gui.summary import ImportSummaryDialog, outcome_line, summary_text
from readinglist.library import ImportReport, Library
from readinglist.records import Problem

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

ABSTRACT = "Herons wait by the water for hours, and we measure how long they wait. " * 6
BROKEN_BIB = (
    "@article{h1, title={Herons at Dawn}, author={Ada Lovelace}, journal={J}, year=2020}\n"
    "@misc{bad, title={broken\n"
)


def _modal(window: MainWindow) -> QDialog | None:
    """The modal dialog *window* shows, if any.

    Looked for among the window's own dialogs rather than asked of
    QApplication.activeModalWidget(): a box an earlier test module left open
    would be the answer there, and would hide this window's.
    """
    shown = [
        d
        for d in window.findChildren(QDialog)
        if d.isVisible() and d.windowModality() != Qt.WindowModality.NonModal
    ]
    assert len(shown) <= 1, shown
    return shown[0] if shown else None


@pytest.fixture
def no_summary_left(window: MainWindow) -> Iterator[None]:
    yield
    summary = window.transfer.last_summary
    if summary is not None:
        summary.close()


# --- 1. the notice bar instead of a modal box ------------------------------------------------


def test_one_paper_paste_shows_a_notice_not_a_modal(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    QGuiApplication.clipboard().setText(f"Mar 13\n\nA Paper On Herons\n\n{ABSTRACT}\n")
    window.table.setFocus()
    with qtbot.waitSignal(window.importFinished, timeout=20_000):
        qtbot.keyClick(window.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyRelease(window.table, Qt.Key.Key_Control)
    assert _modal(window) is None
    bar = window.notices
    assert bar.isVisible()
    assert bar.text() == "Pasted text: 1 added"
    assert bar.level() is Level.INFO and bar.auto_hides()
    assert bar.details_button.isVisible()
    # No summary window was opened, modal or not.
    assert not any(
        isinstance(w, ImportSummaryDialog) and w.isVisible() for w in QApplication.topLevelWidgets()
    )


def test_clean_notice_hides_by_itself(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer_module, "AUTO_HIDE_MS", 150)
    with qtbot.waitSignal(window.importFinished, timeout=20_000):
        window.transfer.import_text(f"Mar 13\n\nA Paper On Egrets\n\n{ABSTRACT}\n")
    assert window.notices.isVisible()
    qtbot.waitUntil(lambda: not window.notices.isVisible(), timeout=5000)


def test_problems_keep_the_notice_and_details_open_the_full_summary(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, no_summary_left: None
) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BROKEN_BIB, "utf-8")
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        window.transfer.import_paths([bib])
    [report] = blocker.args[0]
    assert _modal(window) is None
    bar = window.notices
    assert bar.text() == "refs.bib: 1 added, 1 problem"
    # A problem is not whisked away before it is read.
    assert bar.level() is Level.WARNING and not bar.auto_hides()

    qtbot.mouseClick(bar.details_button, Qt.MouseButton.LeftButton)
    summary = window.transfer.last_summary
    assert summary is not None and summary.isVisible()
    # Beside the window, which stays usable: not modal.
    assert summary.windowModality() == Qt.WindowModality.NonModal and _modal(window) is None
    assert report.problems[0].describe("refs.bib") in summary_text(summary.reports)
    top = summary.tree.topLevelItem(0)
    assert top is not None and top.child(0).text(0) == report.problems[0].describe("refs.bib")

    qtbot.mouseClick(bar.close_button, Qt.MouseButton.LeftButton)
    assert not bar.isVisible()


def test_failed_import_opens_the_modal_summary(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, no_summary_left: None
) -> None:
    binary = tmp_path / "photo.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        window.transfer.import_paths([binary])
    assert blocker.args[0][0].error
    summary = window.transfer.last_summary
    assert summary is not None
    qtbot.waitUntil(summary.isVisible, timeout=5000)
    assert _modal(window) is summary
    assert summary.windowTitle() == "Import failed"
    assert summary.headline.text() == "Nothing was imported: the file could not be read"
    top = summary.tree.topLevelItem(0)
    assert top is not None and top.child(0).text(0) == blocker.args[0][0].error
    assert not window.notices.isVisible()


def test_outcome_line_words() -> None:
    assert outcome_line([ImportReport("a.bib", added=[1, 2])]) == "a.bib: 2 added"
    merged = ImportReport(
        "refs.bib",
        added=list(range(12)),
        duplicates=[("A", 1), ("B", 2), ("C", 3)],
        merged=[(1, ["year"]), (2, ["tag:x"])],
        problems=[Problem("bad entry", line=3)],
    )
    assert outcome_line([merged]) == (
        "refs.bib: 12 added, 2 merged, 1 already in the library, 1 problem"
    )
    two = [merged, ImportReport("x.bin", error="not a format Reading List reads")]
    assert outcome_line(two) == (
        "2 files: 12 added, 2 merged, 1 already in the library, 1 problem, 1 file not imported"
    )


# --- 2. a Cancel that comes too late ------------------------------------------------------------


class _AfterCommit:
    """Holds an import after the core has committed it, until the test says go."""

    def __init__(self, lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
        self.committed = threading.Event()
        self.release = threading.Event()
        real = lib.import_paths

        def held(paths: Any, progress: Any = None) -> list[ImportReport]:
            reports = real(paths, progress)
            self.committed.set()
            self.release.wait(20)
            return reports

        monkeypatch.setattr(lib, "import_paths", held)


def test_cancel_after_the_commit_is_told(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_summary_left: None,
) -> None:
    bib = tmp_path / "late.bib"
    bib.write_text("@misc{l1, title={Late Cancel Paper}}\n@misc{l2, title={Too Late}}\n", "utf-8")
    hold = _AfterCommit(gui_lib, monkeypatch)
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        window.transfer.import_paths([bib])
        try:
            qtbot.waitUntil(hold.committed.is_set, timeout=20_000)
            # The user presses Cancel: the papers are already in.
            qtbot.mouseClick(window.jobs.cancel_button, Qt.MouseButton.LeftButton)
            assert window.jobs.label.text() == "Cancelling…"
        finally:
            hold.release.set()
    assert len(blocker.args[0][0].added) == 2 and gui_lib.count() == 103
    bar = window.notices
    assert bar.isVisible() and _modal(window) is None
    assert bar.text() == "Import finished before it could be cancelled: late.bib: 2 added"
    # Not what the user asked for: it stays until they close it.
    assert not bar.auto_hides()
    assert not window.jobs.cancel_requested  # only while the outcome is delivered


def test_cancel_between_files_says_the_rest_were_not_imported(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = tmp_path / "a.bib", tmp_path / "b.bib"
    first.write_text("@misc{a1, title={First File Paper}}\n", "utf-8")
    second.write_text("@misc{b1, title={Second File Paper}}\n", "utf-8")
    done_first = threading.Event()
    release = threading.Event()
    real = gui_lib.imports.import_file

    def held(path: Any, progress: Any = None) -> ImportReport:
        report = real(path, progress)
        done_first.set()
        release.wait(20)
        return report

    monkeypatch.setattr(gui_lib.imports, "import_file", held)
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        window.transfer.import_paths([first, second])
        try:
            qtbot.waitUntil(done_first.is_set, timeout=20_000)
            qtbot.mouseClick(window.jobs.cancel_button, Qt.MouseButton.LeftButton)
        finally:
            release.set()
    reports: list[ImportReport] = blocker.args[0]
    assert [(r.file_name, bool(r.error)) for r in reports] == [("a.bib", False), ("b.bib", True)]
    assert gui_lib.count() == 102
    text = window.notices.text()
    assert text == "Import cancelled: a.bib: 1 added; 1 file not imported"
    assert "before it could be cancelled" not in text
    assert _modal(window) is None


# --- 3. problems shown whole ----------------------------------------------------------------


def test_summary_shows_long_problems_whole(qtbot: QtBot) -> None:
    long = (
        "entry 'smith2020' has an unbalanced brace in its title field; everything up to the "
        "next entry was skipped, so the three entries that follow it on lines 12 to 40 were "
        "not read either — fix the brace and import the file again to add them"
    )
    report = ImportReport("references-from-the-lab-shared-drive.bib", added=[1])
    report.problems.append(Problem(long, line=11))
    dialog = ImportSummaryDialog([report])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    tree = dialog.tree
    top = tree.topLevelItem(0)
    assert top is not None
    child = top.child(0)
    message = report.problems[0].describe(report.file_name)
    assert child.text(0) == message and child.toolTip(0) == message
    # The message has the whole width, not just the first column's...
    assert child.isFirstColumnSpanned()
    assert tree.visualItemRect(child).right() >= tree.header().sectionViewportPosition(3)
    # ... and wraps rather than being elided: the row is several lines high.
    assert tree.wordWrap() and not tree.uniformRowHeights()
    assert tree.textElideMode() == Qt.TextElideMode.ElideNone
    line = tree.fontMetrics().height()
    qtbot.waitUntil(lambda: tree.visualItemRect(child).height() >= 2 * line, timeout=2000)
    # Narrower, it wraps onto more lines (the heights follow the width).
    dialog.resize(1600, dialog.height())
    qtbot.waitUntil(lambda: tree.viewport().width() > 1400, timeout=2000)
    qtbot.wait(50)  # the rows are laid out again after the resize
    wide = tree.visualItemRect(child).height()
    dialog.resize(dialog.minimumWidth(), dialog.height())
    qtbot.waitUntil(lambda: tree.visualItemRect(child).height() > wide, timeout=2000)
    # Every column, Problems last, is inside the view: none cut off at the right.
    header = tree.header()
    right = header.sectionViewportPosition(3) + header.sectionSize(3)
    assert right <= tree.viewport().width()
    assert header.sectionSize(3) >= header.fontMetrics().horizontalAdvance("Problems")
    # And the whole report can be copied.
    dialog.copy_selected()  # nothing selected: the clipboard is left alone
    tree.setCurrentItem(child)
    dialog.copy_selected()
    assert QGuiApplication.clipboard().text() == message
    dialog.close()
