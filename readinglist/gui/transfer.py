"""Papers in and out of the library: import, paste, drop, sample, export, copy as BibTeX.

Owns :class:`TransferController`: the file dialogs, the clipboard, and the
background jobs that call the core's :meth:`Library.import_paths`,
:meth:`~Library.import_bytes`, :meth:`~Library.export_ids` and
:meth:`~Library.export_to_file`.  Folders are expanded, papers deduplicated
and files written atomically by the core; this module only decides what to
hand over and how to show the outcome (the import summary, a status line).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog, QStatusBar, QWidget

from ..core.exports import ExportScope
from ..core.progress import Cancelled, Progress
from ..core.query import Query
from ..exporters.bibtex import dumps
from ..importers import FORMATS
from ..library import ImportReport, Library
from ..paths import resource_path
from .jobs import JobController
from .summary import ImportSummaryDialog
from .widgets import ExportDialog

__all__ = ["TEXT_IMPORT_NAME", "TransferController"]

# The "file name" of pasted or dropped text, in reports and the Imports list.
TEXT_IMPORT_NAME = "pasted text"
CANCELLED_IMPORT = "cancelled: nothing imported"


class TransferController(QObject):
    """Imports and exports of the main window, each run as the visible job.

    Every method that starts a job returns False when it could not start
    (another job runs, or the window is closing); otherwise the outcome
    arrives later as :attr:`importFinished` or :attr:`exportFinished`.
    """

    #: An import ended (done or cancelled): the list of ImportReport, one per file.
    importFinished = Signal(object)
    #: An export was written: (target Path, number of entries).
    exportFinished = Signal(object)

    def __init__(
        self,
        lib: Library,
        jobs: JobController,
        window: QWidget,
        status_bar: QStatusBar,
        *,
        selected_ids: Callable[[], list[int]],
        shown_ids: Callable[[], list[int]],
        view_query: Callable[[], Query],
    ) -> None:
        super().__init__(window)
        self._lib = lib
        self._jobs = jobs
        self._window = window
        self._status_bar = status_bar
        self._selected_ids = selected_ids
        self._shown_ids = shown_ids
        self._view_query = view_query
        #: The summary of the last import (kept for tests and for re-showing).
        self.last_summary: ImportSummaryDialog | None = None

    # --- import ---------------------------------------------------------------------

    def import_dialog(self) -> None:
        """Ask for files and import them."""
        filters = [f"{label} ({' '.join(globs)})" for label, globs in FORMATS]
        filters.append("All files (*)")
        names, _ = QFileDialog.getOpenFileNames(
            self._window, "Import papers", "", ";;".join(filters)
        )
        if names:
            self.import_paths([Path(n) for n in names])

    def load_sample(self) -> None:
        """Import the sample page shipped with the app."""
        self.import_paths([resource_path("sample-papers.txt")])

    def paste(self) -> None:
        """Import what the clipboard holds: copied files, else copied text."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return
        local = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if local:
            self.import_paths(local)
        elif mime.hasText() and mime.text().strip():
            self.import_text(mime.text())

    def import_paths(self, paths: Sequence[Path]) -> bool:
        """Import files and folders (expanded by the core), one report per file."""
        lib = self._lib
        wanted = list(paths)

        def work(progress: Progress) -> list[ImportReport]:
            return lib.import_paths(wanted, progress)

        return self._jobs.run("Importing…", work, self._imported, prefix="Importing")

    def import_text(self, text: str) -> bool:
        """Import pasted or dropped text as if it were a file."""
        lib = self._lib
        data = text.encode("utf-8")

        def work(progress: Progress) -> list[ImportReport]:
            try:
                return [lib.import_bytes(data, TEXT_IMPORT_NAME, progress.scoped(TEXT_IMPORT_NAME))]
            except Cancelled:
                # Reported like a cancelled file import, so the summary says so.
                return [ImportReport(TEXT_IMPORT_NAME, error=CANCELLED_IMPORT)]

        return self._jobs.run("Importing…", work, self._imported, prefix="Importing")

    def _imported(self, reports: list[ImportReport]) -> None:
        summary = ImportSummaryDialog(reports, self._window)
        self.last_summary = summary
        self.importFinished.emit(reports)
        if not self._jobs.closing:
            summary.open()

    # --- export ---------------------------------------------------------------------

    def export_dialog(self) -> None:
        """Ask what to export and where, then export in the background."""
        selected = self._selected_ids()
        dialog = ExportDialog(
            self._window, self._lib.count(), len(selected), len(self._shown_ids())
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        name, _ = QFileDialog.getSaveFileName(
            self._window, "Export BibTeX", "references.bib", "BibTeX (*.bib);;All files (*)"
        )
        if name:
            self.export(Path(name), dialog.choice(), ids=selected)

    def export(self, target: Path, scope: ExportScope, *, ids: Sequence[int] = ()) -> bool:
        """Write BibTeX for *scope* to *target* in the background.

        ``SELECTION`` exports *ids* in their order, ``VIEW`` what the table's
        current query selects, ``ALL`` every paper outside the trash.  The
        file is replaced only once complete (the core writes it atomically).
        """
        lib = self._lib
        selection = list(ids)
        view = self._view_query() if scope is ExportScope.VIEW else None

        def work(progress: Progress) -> tuple[Path, int]:
            chosen = lib.export_ids(scope, selection=selection, view=view)
            return target, lib.export_to_file(chosen, target, "bibtex", progress)

        def done(result: tuple[Path, int]) -> None:
            self._status_bar.showMessage(f"Exported {result[1]} entries to {result[0]}", 8000)
            self.exportFinished.emit(result)

        return self._jobs.run("Exporting…", work, done)

    def copy_bibtex(self) -> None:
        """Put BibTeX of the selected papers on the clipboard."""
        ids = self._selected_ids()
        if not ids:
            return
        QGuiApplication.clipboard().setText(dumps(self._lib.get(ids)))
        self._status_bar.showMessage(
            f"Copied {len(ids)} BibTeX entr{'y' if len(ids) == 1 else 'ies'}", 4000
        )
