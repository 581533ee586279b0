"""Papers in and out of the library: import, paste, drop, sample, export, copy as BibTeX.

Owns :class:`TransferController`: the file dialogs, the clipboard, and the
background jobs that call the core's :meth:`Library.import_paths`,
:meth:`~Library.import_bytes`, :meth:`~Library.import_records` (dropped or
pasted web links, read as a list of identifiers by
:func:`readinglist.importers.idlist.parse_urls`), :meth:`~Library.export_ids`
and :meth:`~Library.export_to_file`.  Folders are expanded, papers
deduplicated, identifiers recognised and files written atomically by the
core; this module only decides what to hand over and how to show the outcome.

An import's outcome is a notice in the window's bar (:mod:`.notices`), one
line whose Details button opens the full :class:`ImportSummaryDialog`; the
summary opens by itself, modal, only when nothing at all could be read
(every file failed).  A Cancel that came too late (the import had
committed, or was done) is said in the notice, never silently ignored.

Exports offer every format of :attr:`Exports.FORMATS
<readinglist.core.exports.Exports.FORMATS>` and remember the last one chosen.
Before a BibTeX or BibLaTeX export the core is asked which papers lack an
author or a year (:meth:`Library.incomplete_for_export`); if any do, the user
may fill their metadata first, export anyway or cancel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QStatusBar, QWidget

from ..core.exports import Exports, ExportScope
from ..core.imports import expand_paths
from ..core.progress import Cancelled, Progress
from ..core.query import Query
from ..exporters import SUFFIXES
from ..exporters.bibtex import dumps
from ..importers import FORMATS, InputError, idlist
from ..library import ImportReport, Library
from ..paths import resource_path
from .jobs import JobController
from .notices import AUTO_HIDE_MS, Level, NoticeBar
from .summary import ImportSummaryDialog, failed_entirely, outcome_line
from .widgets import ExportDialog, export_label

__all__ = [
    "CHECKED_FORMATS",
    "DROPPED_LINKS_NAME",
    "PASTED_LINKS_NAME",
    "TEXT_IMPORT_NAME",
    "TransferController",
]

# The "file name" of pasted or dropped text, in reports and the Imports list.
TEXT_IMPORT_NAME = "pasted text"
# ... and of dropped or pasted web links (arXiv, DOI pages), read as identifiers.
DROPPED_LINKS_NAME = "dropped links"
PASTED_LINKS_NAME = "pasted links"
CANCELLED_IMPORT = "cancelled: nothing imported"
# Formats whose citations need an author and a year: checked before exporting.
CHECKED_FORMATS = frozenset({"bibtex", "biblatex"})
# Where the last export format chosen is remembered.
FORMAT_SETTING = "export/format"
# Papers named in the incomplete-metadata question's details, at most.
_MAX_LISTED = 200

# A paper lacking metadata, as the core reports it: (id, title, missing fields).
Incomplete = tuple[int, str, tuple[str, ...]]
# Starts filling the metadata of these paper ids (the window's fill command).
FillStarter = Callable[[list[int]], object]


def _web_urls(urls: Sequence[QUrl]) -> list[str]:
    """The dropped or pasted URLs that are not local files, as text."""
    return [u.toString() for u in urls if not u.isLocalFile() and u.scheme()]


def _not_started(wanted: Sequence[Path], reports: Sequence[ImportReport]) -> list[ImportReport]:
    """Reports for the files a cancelled :meth:`Library.import_paths` never began.

    Matched by name, counting: every file begun has a report of its name.
    """
    left = Counter(p.name for p in expand_paths(wanted))
    left.subtract(r.file_name for r in reports)
    return [
        ImportReport(name, error=CANCELLED_IMPORT) for name, n in left.items() for _ in range(n)
    ]


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
        settings: QSettings | None = None,
        fill: FillStarter | None = None,
        notices: NoticeBar | None = None,
    ) -> None:
        super().__init__(window)
        self._lib = lib
        self._jobs = jobs
        self._window = window
        self._status_bar = status_bar
        self._selected_ids = selected_ids
        self._shown_ids = shown_ids
        self._view_query = view_query
        self._settings = settings if settings is not None else QSettings()
        #: Starts "Fill metadata" on paper ids (set by the window).
        self.fill = fill
        #: Where an import's outcome is told (the window places it under the table).
        self.notices = notices if notices is not None else NoticeBar(window)
        # The last import's reports, and its summary dialog once built.
        self._last_reports: list[ImportReport] | None = None
        self._summary: ImportSummaryDialog | None = None
        #: The last "papers without author or year" question (kept for tests).
        self.last_incomplete: QMessageBox | None = None

    # --- import ---------------------------------------------------------------------

    @property
    def last_summary(self) -> ImportSummaryDialog | None:
        """The full summary of the last import (None before any); built when first asked for.

        Not shown by itself (see :meth:`show_summary`) unless the import failed entirely.
        """
        if self._summary is None and self._last_reports is not None:
            self._summary = ImportSummaryDialog(self._last_reports, self._window)
        return self._summary

    def show_summary(self) -> ImportSummaryDialog | None:
        """Open the last import's summary beside the window (not modal); the notice's Details."""
        summary = self.last_summary
        if summary is not None:
            if not summary.isVisible():
                # Beside the window, which stays usable (open() made it modal).
                summary.setWindowModality(Qt.WindowModality.NonModal)
            summary.show()
            summary.raise_()
            summary.activateWindow()
        return summary

    def import_dialog(self) -> None:
        """Ask for files and import them."""
        filters = [f"{label} ({' '.join(globs)})" for label, globs in FORMATS]
        if not any(globs == ["*"] for _label, globs in FORMATS):
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
        """Import what the clipboard holds: copied files, else links, else text."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None:
            self._take(mime.urls(), mime.text() if mime.hasText() else "", PASTED_LINKS_NAME)

    def drop(self, urls: Sequence[QUrl], text: str) -> bool:
        """Import what was dropped on the window: files, else web links, else text.

        Returns False when there was nothing to import (the drop is refused).
        """
        return self._take(urls, text, DROPPED_LINKS_NAME)

    def _take(self, urls: Sequence[QUrl], text: str, links_name: str) -> bool:
        local = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        links = _web_urls(urls)
        if local:
            self.import_paths(local)
        elif links:
            # A link dragged from a browser also comes as text: the links say more.
            self.import_urls(links, links_name)
        elif text.strip():
            self.import_text(text)
        else:
            return False
        return True

    def import_paths(self, paths: Sequence[Path]) -> bool:
        """Import files and folders (expanded by the core), one report per file."""
        lib = self._lib
        wanted = list(paths)

        def work(progress: Progress) -> list[ImportReport]:
            reports = lib.import_paths(wanted, progress)
            if progress.cancelled() and not any(r.error == CANCELLED_IMPORT for r in reports):
                # The core stops between files without a word for those left:
                # name them, so a cancel that did stop the rest is not taken
                # for one that came too late.
                reports.extend(_not_started(wanted, reports))
            return reports

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

    def import_urls(self, urls: Sequence[str], name: str = DROPPED_LINKS_NAME) -> bool:
        """Import web links (arXiv, DOI, ... pages) as a list of identifiers.

        The core's id-list importer decides what each link names; links it
        cannot read are reported as problems in the summary like any file's.
        """
        lib = self._lib
        wanted = list(urls)

        def work(progress: Progress) -> list[ImportReport]:
            try:
                result = idlist.parse_urls(wanted, name)
                return [lib.import_records(result, name, progress=progress.scoped(name))]
            except InputError as exc:
                # Not one link names a paper: said in the summary, like a file that is not one.
                return [ImportReport(name, error=str(exc))]
            except Cancelled:
                return [ImportReport(name, error=CANCELLED_IMPORT)]

        return self._jobs.run("Importing…", work, self._imported, prefix="Importing")

    def _imported(self, reports: list[ImportReport]) -> None:
        cancel_pressed = self._jobs.cancel_requested
        if self._summary is not None:
            # The previous import's summary, if still open, stays as it is.
            self._summary.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            if not self._summary.isVisible():
                self._summary.close()
        self._summary = None
        self._last_reports = reports
        self.importFinished.emit(reports)
        if self._jobs.closing:
            return
        self._tell(reports, cancel_pressed)

    def _tell(self, reports: list[ImportReport], cancel_pressed: bool) -> None:
        """Show the outcome: the notice bar, or the modal summary when nothing was read."""
        done = [r for r in reports if r.error != CANCELLED_IMPORT]
        left = len(reports) - len(done)
        if left:
            # The cancel took effect: the files before it are in, the rest are not.
            if done:
                text = f"Import cancelled: {outcome_line(done)}; {left} file"
                text += f"{'s' if left != 1 else ''} not imported"
            else:
                text = "Import cancelled: nothing imported"
            self._notify(text, reports)
        elif failed_entirely(reports):
            # Nothing at all could be read: worth stopping the user for.
            self.notices.clear()
            summary = self.last_summary
            if summary is not None:
                summary.open()
        elif cancel_pressed:
            # Past the commit (or already done): the papers are in; say so.
            text = f"Import finished before it could be cancelled: {outcome_line(reports)}"
            self._notify(text, reports, sticky=True)
        else:
            self._notify(outcome_line(reports), reports)

    def _notify(self, text: str, reports: list[ImportReport], *, sticky: bool = False) -> None:
        if text.startswith((TEXT_IMPORT_NAME, DROPPED_LINKS_NAME, PASTED_LINKS_NAME)):
            # Not file names (those keep their case): a sentence begins with a capital.
            text = text[0].upper() + text[1:]
        troubled = any(r.problems or (r.error and r.error != CANCELLED_IMPORT) for r in reports)
        # Problems, and a cancel that came too late, stay until read and closed.
        stays = troubled or sticky
        self.notices.show_notice(
            text,
            level=Level.WARNING if stays else Level.INFO,
            details=self.show_summary,
            timeout_ms=None if stays else AUTO_HIDE_MS,
        )

    # --- export ---------------------------------------------------------------------

    def last_format(self) -> str:
        """The export format chosen last time (BibTeX at first)."""
        fmt = str(self._settings.value(FORMAT_SETTING, "bibtex") or "bibtex")
        return fmt if fmt in Exports.FORMATS else "bibtex"

    def export_dialog(self) -> None:
        """Ask what to export, in what format and where, then export in the background.

        For BibTeX and BibLaTeX the papers are first checked (in the
        background) for a missing author or year; see :meth:`check_and_export`.
        """
        selected = self._selected_ids()
        dialog = ExportDialog(
            self._window,
            self._lib.count(),
            len(selected),
            len(self._shown_ids()),
            Exports.FORMATS,
            self.last_format(),
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        fmt = dialog.fmt()
        self._settings.setValue(FORMAT_SETTING, fmt)
        if fmt in CHECKED_FORMATS:
            self.check_and_export(dialog.choice(), fmt, ids=selected)
        else:
            self.ask_target_and_export(dialog.choice(), fmt, ids=selected)

    def ask_target_and_export(
        self, scope: ExportScope, fmt: str, *, ids: Sequence[int] = ()
    ) -> bool:
        """Ask for the file to write (with *fmt*'s suffix), then :meth:`export`."""
        suffix = SUFFIXES.get(fmt, "")
        pattern = f"*{suffix}" if suffix else "*"
        name, _ = QFileDialog.getSaveFileName(
            self._window,
            f"Export {export_label(fmt)}",
            f"references{suffix}",
            f"{export_label(fmt)} ({pattern});;All files (*)",
        )
        if not name:
            return False
        target = Path(name)
        if suffix and not target.suffix:
            # Typed without one: the file still opens in what reads this format.
            target = target.with_name(target.name + suffix)
        return self.export(target, scope, ids=ids, fmt=fmt)

    def check_and_export(self, scope: ExportScope, fmt: str, *, ids: Sequence[int] = ()) -> bool:
        """Check the papers for a missing author or year, then ask where to export.

        The check runs as the visible job (a whole library is a bulk read).
        If papers lack either, :meth:`ask_incomplete` asks what to do.
        """
        lib = self._lib
        selection = list(ids)
        view = self._view_query() if scope is ExportScope.VIEW else None

        def work(progress: Progress) -> tuple[list[int], list[Incomplete]]:
            progress.report("checking the papers")
            chosen = lib.export_ids(scope, selection=selection, view=view)
            progress.check()
            return chosen, lib.incomplete_for_export(chosen)

        def done(result: tuple[list[int], list[Incomplete]]) -> None:
            chosen, incomplete = result
            if self._jobs.closing:
                return
            if incomplete:
                self.ask_incomplete(chosen, incomplete, fmt)
            else:
                # Out of the job's delivery first: the file dialog runs its own loop.
                QTimer.singleShot(
                    0,
                    self,
                    lambda: self.ask_target_and_export(ExportScope.SELECTION, fmt, ids=chosen),
                )

        return self._jobs.run("Checking the papers…", work, done, prefix="Export:")

    def ask_incomplete(self, ids: list[int], incomplete: Sequence[Incomplete], fmt: str) -> None:
        """Say that papers lack an author or year; fill them first, export anyway, or cancel.

        The question is opened, not run (the window stays responsive); the
        answer arrives when a button is clicked.
        """
        n = len(incomplete)
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Export",
            f"{n:,} of the {len(ids):,} papers to export have no author or year; "
            "bibliography styles print them poorly.",
            parent=self._window,
        )
        box.setObjectName("incompleteExport")
        # Titles come from imported data: plain text only.
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(
            "Fill metadata looks them up on arXiv and Crossref; afterwards, export again."
        )
        lines = [
            f"{' '.join(title.split()) or 'Untitled'} — missing {', '.join(missing)}"
            for _pid, title, missing in incomplete[:_MAX_LISTED]
        ]
        if n > _MAX_LISTED:
            lines.append(f"… and {n - _MAX_LISTED:,} more")
        box.setDetailedText("\n".join(lines))
        fill_button = box.addButton("Fill metadata first", QMessageBox.ButtonRole.ActionRole)
        fill_button.setEnabled(self.fill is not None)
        anyway = box.addButton("Export anyway", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(fill_button if self.fill is not None else anyway)
        box.setEscapeButton(cancel)
        missing_ids = [pid for pid, _title, _missing in incomplete]

        def answered(_result: int) -> None:
            clicked = box.clickedButton()
            if clicked is fill_button and self.fill is not None:
                self.fill(missing_ids)
            elif clicked is anyway:
                self.ask_target_and_export(ExportScope.SELECTION, fmt, ids=ids)

        box.finished.connect(answered)
        self.last_incomplete = box
        box.open()

    def export(
        self,
        target: Path,
        scope: ExportScope,
        *,
        ids: Sequence[int] = (),
        fmt: str = "bibtex",
    ) -> bool:
        """Write *scope* in format *fmt* to *target* in the background.

        ``SELECTION`` exports *ids* in their order, ``VIEW`` what the table's
        current query selects, ``ALL`` every paper outside the trash.  The
        file is replaced only once complete (the core writes it atomically).
        """
        lib = self._lib
        selection = list(ids)
        view = self._view_query() if scope is ExportScope.VIEW else None

        def work(progress: Progress) -> tuple[Path, int]:
            chosen = lib.export_ids(scope, selection=selection, view=view)
            return target, lib.export_to_file(chosen, target, fmt, progress)

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
