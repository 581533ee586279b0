"""Paper → Fill metadata: complete papers from online sources, in the background.

Owns :class:`FillController`, which runs the core's
:meth:`Library.fill_metadata <readinglist.library.Library.fill_metadata>` on
the selected papers (or every paper shown when none is selected) as the
window's visible job, with progress and Cancel, and shows what it did: a
status-bar line and, when anything changed or failed, :class:`FillReportDialog`
with the report's lines (copyable).  Which fields are filled, from where, and
what counts as better is the core's (:mod:`readinglist.core.fill`); when the
sources cannot be reached at all the core raises ``Offline`` before changing
anything, and its message is shown as it is.  Each paper is written on its
own, so a cancelled fill keeps the papers filled so far: the core's
``FillCancelled`` carries their report, which is shown like a finished one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)

from ..core.progress import Progress
from ..library import Library
from .jobs import JobController
from .widgets import confirm

if TYPE_CHECKING:
    # Only for types: the module (HTTP, XML) is imported when a fill runs,
    # not at every start of the window (as the Library does).
    from ..core.fill import FillReport

__all__ = ["ASK_ABOVE", "FillController", "FillReportDialog", "fill_summary"]

# Filling every paper shown (nothing selected) is confirmed above this many.
ASK_ABOVE = 20


def fill_summary(report: FillReport) -> str:
    """One line for the status bar: ``"Filled 3 papers (7 fields); 1 not found"``."""
    papers = len(report.changed)
    fields = sum(len(fields) for _pid, fields in report.changed)
    text = (
        f"Filled {papers:,} paper{'s' if papers != 1 else ''} "
        f"({fields:,} field{'s' if fields != 1 else ''}); {len(report.not_found):,} not found"
    )
    if report.errors:
        n = len(report.errors)
        text += f"; {n:,} error{'s' if n != 1 else ''}"
    return text


class FillReportDialog(QDialog):
    """The report of a fill: its summary line, then every line, selectable and copyable."""

    def __init__(self, report: FillReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fillReport")
        self.setWindowTitle("Fill metadata")
        self.setMinimumSize(640, 360)
        layout = QVBoxLayout(self)
        self.headline = QLabel(fill_summary(report))
        self.headline.setObjectName("fillHeadline")
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        layout.addWidget(self.headline)
        self.text = QPlainTextEdit()
        self.text.setObjectName("fillLines")
        self.text.setReadOnly(True)
        # Titles and values come from outside: plain text, never markup.
        self.text.setPlainText("\n".join(report.lines()))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.text, 1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = box.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        box.rejected.connect(self.reject)
        layout.addWidget(box)


class FillController(QObject):
    """The window's "Fill metadata" command."""

    #: A fill ended and was shown; carries the core's FillReport.
    filled = Signal(object)

    def __init__(
        self,
        lib: Library,
        jobs: JobController,
        window: QWidget,
        status_bar: QStatusBar,
        *,
        selected_ids: Callable[[], list[int]],
        shown_ids: Callable[[], list[int]],
    ) -> None:
        super().__init__(window)
        self._lib = lib
        self._jobs = jobs
        self._window = window
        self._status_bar = status_bar
        self._selected_ids = selected_ids
        self._shown_ids = shown_ids
        #: The last report shown (kept for tests and so it is not collected while open).
        self.last_report: FillReportDialog | None = None

    def fill_chosen(self) -> bool:
        """Fill the selected papers, or every paper shown when none is selected.

        Every paper shown may be thousands of lookups (arXiv asks for three
        seconds between requests): that is asked first.
        """
        selected = self._selected_ids()
        if selected:
            return self.fill(selected)
        shown = self._shown_ids()
        n = len(shown)
        if n > ASK_ABOVE and not confirm(
            self._window,
            "Fill metadata",
            f"No paper is selected: look up all {n:,} papers shown on arXiv and Crossref? "
            "Only empty fields are filled. It can take a while; Cancel in the status bar "
            "stops it, keeping what was filled.",
        ):
            return False
        return self.fill(shown)

    def fill(self, ids: Sequence[int]) -> bool:
        """Fill the metadata of *ids* as the visible job; False when it did not start."""
        wanted = list(ids)
        if not wanted:
            return False
        lib = self._lib

        def work(progress: Progress) -> tuple[FillReport, bool]:
            from ..core.fill import FillCancelled

            try:
                return lib.fill_metadata(wanted, progress), False
            except FillCancelled as exc:
                # What was filled before the cancel stays filled: say what.
                return exc.report, True

        def offline(exc: BaseException) -> str | None:
            from ..core.fill import Offline

            # Expected, and nothing was written: its own words, no traceback.
            return f"Could not fill metadata: {exc}." if isinstance(exc, Offline) else None

        n = len(wanted)
        return self._jobs.run(
            f"Filling metadata of {n:,} paper{'s' if n != 1 else ''}…",
            work,
            self._show,
            prefix="Filling metadata:",
            cancelled_message="Fill metadata cancelled: nothing was changed.",
            on_error=offline,
        )

    def _show(self, outcome: tuple[FillReport, bool]) -> None:
        report, cancelled = outcome
        summary = fill_summary(report)
        if cancelled:
            summary = f"Fill metadata cancelled; before that: {summary[0].lower()}{summary[1:]}"
        self._status_bar.showMessage(summary, 15_000)
        if (report.changed or report.not_found or report.errors) and not self._jobs.closing:
            dialog = FillReportDialog(report, self._window)
            self.last_report = dialog
            dialog.open()
        self.filled.emit(report)
