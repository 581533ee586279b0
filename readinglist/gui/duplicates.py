"""Tools → Find duplicates…: pairs of papers that may be one, side by side, merged on request.

Owns :class:`DuplicatesController` and :class:`DuplicatesDialog`.  Finding
the pairs is the core's (:meth:`Library.find_duplicates
<readinglist.library.Library.find_duplicates>`, run as the window's visible
job with progress and Cancel); so is merging (:meth:`Library.merge_papers
<readinglist.library.Library.merge_papers>` keeps every tag, note, star, link
and attachment of both papers on the one kept and deletes the other).  This
module shows the pairs and asks.

A merge deletes a paper for good, so it is not on the undo stack: like
emptying the trash it runs behind a snapshot of the library
(:meth:`BackupController.run_guarded
<readinglist.gui.backups.BackupController.run_guarded>`), listed afterwards
in File → Restore from backup…, and the undo stack is cleared since its
commands may name the deleted paper.

The dialog is not modal: the job's progress and Cancel stay reachable in the
window's status bar while a merge runs, and papers changed meanwhile are
read again before they are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStatusBar,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.backups import Snapshot
from ..core.duplicates import DuplicatePair
from ..core.progress import Progress
from ..library import Library
from ..records import PaperData
from .backups import BackupController
from .jobs import JobController
from .recovery import snapshot_label
from .widgets import info_box

__all__ = ["COMPARED_FIELDS", "DuplicatesController", "DuplicatesDialog"]

# Longest note excerpt shown in the comparison.
_NOTE_CHARS = 240
# Authors shown before "… (N authors)".
_MAX_AUTHORS = 8


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _authors(paper: PaperData) -> str:
    names = list(paper.authors)
    shown = ", ".join(names[:_MAX_AUTHORS])
    if len(names) > _MAX_AUTHORS:
        shown += f", … ({len(names)} authors)"
    return shown


def _ids(paper: PaperData) -> str:
    parts = []
    if paper.arxiv_id:
        parts.append(f"arXiv:{paper.arxiv_id}")
    if paper.doi:
        parts.append(f"DOI {paper.doi}")
    if paper.citekey:
        parts.append(f"key {paper.citekey}")
    return "\n".join(parts)


def _links(paper: PaperData) -> str:
    links: list[str] = []
    for link in (paper.url, *paper.links):
        if link and link not in links:
            links.append(link)
    return "\n".join(links)


def _flags(paper: PaperData) -> str:
    flags = [name for name, on in (("starred", paper.starred), ("read", paper.read)) if on]
    if paper.trashed:
        flags.append("in the trash")
    return ", ".join(flags)


def _note(paper: PaperData) -> str:
    note = _one_line(paper.note)
    return note if len(note) <= _NOTE_CHARS else note[: _NOTE_CHARS - 1] + "…"


#: The rows of the side-by-side comparison: (label, what to show of a paper).
COMPARED_FIELDS: tuple[tuple[str, Callable[[PaperData], str]], ...] = (
    ("Title", lambda p: _one_line(p.title) or "Untitled"),
    ("Authors", _authors),
    ("Year", lambda p: str(p.year) if p.year else ""),
    ("Venue", lambda p: _one_line(p.venue)),
    ("Identifiers", _ids),
    ("Links", _links),
    ("PDF", lambda p: p.pdf_path),
    ("Tags", lambda p: ", ".join(p.tags)),
    ("Flags", _flags),
    ("Note", _note),
    ("Added", lambda p: p.added_at.astimezone().strftime("%Y-%m-%d") if p.added_at else ""),
)


def _describe_search(progress: Progress) -> str:
    if progress.total > 0:
        return f"Looking for duplicates… {progress.done:,}/{progress.total:,} papers"
    return "Looking for duplicates…"


class DuplicatesDialog(QDialog):
    """Lists the pairs; shows the current pair side by side; asks to merge or skip.

    Every paper's text is shown as plain text in item views (it comes from
    imported files).  :attr:`mergeRequested` carries (keep, other); the
    controller confirms and merges, then calls :meth:`merged`.
    """

    #: The user asked to merge: (id kept, id merged into it and deleted).
    mergeRequested = Signal(int, int)

    def __init__(
        self,
        pairs: Sequence[DuplicatePair],
        papers: Callable[[Sequence[int]], list[PaperData]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("duplicatesDialog")
        self.setWindowTitle("Find duplicates")
        self.setModal(False)
        self.resize(1000, 640)
        self._read = papers
        #: The pairs still listed, best first, as (a, b, reason, score); the
        #: reason says how alike they are ("similar title (94%)").
        self.pairs: list[tuple[int, int, str, float]] = [
            (p.a, p.b, p.reason, p.score) for p in pairs
        ]
        self._papers: dict[int, PaperData] = {}
        self._load([i for a, b, _r, _s in self.pairs for i in (a, b)])

        layout = QVBoxLayout(self)
        self.headline = QLabel()
        self.headline.setObjectName("duplicatesHeadline")
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.list = QTreeWidget()
        self.list.setObjectName("duplicatePairs")
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setHeaderLabels(["Left paper", "Right paper", "Why"])
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.list.currentItemChanged.connect(lambda *_: self._show_current())
        splitter.addWidget(self.list)

        self.compare = QTableWidget(len(COMPARED_FIELDS), 2)
        self.compare.setObjectName("duplicateCompare")
        self.compare.setVerticalHeaderLabels([label for label, _get in COMPARED_FIELDS])
        self.compare.setHorizontalHeaderLabels(["Left", "Right"])
        self.compare.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.compare.setWordWrap(True)
        self.compare.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        compare_header = self.compare.horizontalHeader()
        compare_header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.compare.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.compare.verticalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
        )
        splitter.addWidget(self.compare)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([200, 400])
        layout.addWidget(splitter, 1)

        buttons = QHBoxLayout()
        self.keep_left = QPushButton("Merge (keep &left)")
        self.keep_left.setObjectName("keepLeft")
        self.keep_left.setToolTip("Merge the right paper into the left one, then delete it")
        self.keep_left.clicked.connect(lambda: self._request(left=True))
        self.keep_right = QPushButton("Merge (keep &right)")
        self.keep_right.setObjectName("keepRight")
        self.keep_right.setToolTip("Merge the left paper into the right one, then delete it")
        self.keep_right.clicked.connect(lambda: self._request(left=False))
        self.skip = QPushButton("&Not duplicates (skip)")
        self.skip.setObjectName("skipPair")
        self.skip.setToolTip("Leave both papers as they are and take the pair off this list")
        self.skip.clicked.connect(self.skip_current)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        for button in (self.keep_left, self.keep_right, self.skip):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self._busy = False
        self._fill_list()

    # --- the list ---------------------------------------------------------------------

    def _load(self, ids: Sequence[int]) -> None:
        wanted = sorted(set(ids))
        for pid in wanted:
            self._papers.pop(pid, None)
        for paper in self._read(wanted):
            self._papers[paper.id] = paper

    def _title(self, pid: int) -> str:
        paper = self._papers.get(pid)
        if paper is None:
            return f"(paper {pid} is gone)"
        year = f" ({paper.year})" if paper.year else ""
        return (_one_line(paper.title) or "Untitled") + year

    def _fill_list(self, current: int = 0) -> None:
        self.list.clear()
        for a, b, reason, _score in self.pairs:
            item = QTreeWidgetItem([self._title(a), self._title(b), reason])
            item.setToolTip(0, self._title(a))
            item.setToolTip(1, self._title(b))
            self.list.addTopLevelItem(item)
        n = len(self.pairs)
        self.headline.setText(
            f"{n:,} possible duplicate pair{'s' if n != 1 else ''}. Merging keeps every tag, "
            "note, star, link and attachment of both papers on the one kept."
            if n
            else "No possible duplicates left."
        )
        chosen = self.list.topLevelItem(min(current, n - 1)) if n else None
        if chosen is not None:
            self.list.setCurrentItem(chosen)
        self._show_current()

    def current_index(self) -> int | None:
        """The row of the pair shown, or None when the list is empty."""
        item = self.list.currentItem()
        return self.list.indexOfTopLevelItem(item) if item is not None else None

    def current_pair(self) -> tuple[int, int] | None:
        """(left id, right id) of the pair shown."""
        row = self.current_index()
        if row is None or not 0 <= row < len(self.pairs):
            return None
        a, b, _reason, _score = self.pairs[row]
        return a, b

    def _show_current(self) -> None:
        pair = self.current_pair()
        bold = QFont(self.compare.font())
        bold.setBold(True)
        for column in range(2):
            pid = pair[column] if pair is not None else None
            paper = self._papers.get(pid) if pid is not None else None
            self.compare.setHorizontalHeaderItem(
                column,
                QTableWidgetItem(
                    ("Left" if column == 0 else "Right") + (f" — paper {pid}" if pid else "")
                ),
            )
            for row, (_label, get) in enumerate(COMPARED_FIELDS):
                text = get(paper) if paper is not None else ""
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                item.setToolTip(text)
                self.compare.setItem(row, column, item)
        if pair is not None:
            left, right = (self._papers.get(pid) for pid in pair)
            for row, (_label, get) in enumerate(COMPARED_FIELDS):
                # Where the two differ is what the user must judge: show it in bold.
                differ = left is not None and right is not None and get(left) != get(right)
                for column in range(2):
                    cell = self.compare.item(row, column)
                    if cell is not None and differ:
                        cell.setFont(bold)
        self.compare.resizeRowsToContents()
        self._enable()

    def _enable(self) -> None:
        pair = self.current_pair()
        both = pair is not None and all(pid in self._papers for pid in pair)
        for button in (self.keep_left, self.keep_right):
            button.setEnabled(both and not self._busy)
        self.skip.setEnabled(pair is not None and not self._busy)

    # --- the user's answers -------------------------------------------------------------

    def _request(self, *, left: bool) -> None:
        pair = self.current_pair()
        if pair is None or self._busy:
            return
        keep, other = pair if left else (pair[1], pair[0])
        self.mergeRequested.emit(keep, other)

    def skip_current(self) -> None:
        """Take the pair shown off the list; both papers stay as they are."""
        row = self.current_index()
        if row is None:
            return
        del self.pairs[row]
        self._fill_list(row)

    def set_busy(self, busy: bool) -> None:
        """Disable the merge and skip buttons while a merge runs."""
        self._busy = busy
        self._enable()

    def merged(self, keep: int, other: int) -> None:
        """*other* was merged into *keep*: pairs naming it now name *keep*."""
        row = self.current_index() or 0
        seen: set[tuple[int, int]] = set()
        pairs: list[tuple[int, int, str, float]] = []
        for a, b, reason, score in self.pairs:
            a, b = (keep if a == other else a), (keep if b == other else b)
            key = (min(a, b), max(a, b))
            if a == b or key in seen:
                continue
            seen.add(key)
            pairs.append((a, b, reason, score))
        self.pairs = pairs
        self._papers.pop(other, None)
        self._load([keep])
        self.set_busy(False)
        self._fill_list(row)


class DuplicatesController(QObject):
    """The window's "Find duplicates…" command: the search job, the dialog, the merges."""

    #: A merge was done: (id kept, id deleted).
    merged = Signal(int, int)

    def __init__(
        self,
        lib: Library,
        jobs: JobController,
        backups: BackupController,
        undo_stack: QUndoStack,
        window: QWidget,
        status_bar: QStatusBar,
    ) -> None:
        super().__init__(window)
        self._lib = lib
        self._jobs = jobs
        self._backups = backups
        self._undo_stack = undo_stack
        self._window = window
        self._status_bar = status_bar
        #: The dialog last opened (kept for tests and so it is not collected while open).
        self.dialog: DuplicatesDialog | None = None
        #: The last merge confirmation asked (kept for tests).
        self.last_confirm: QMessageBox | None = None
        #: The "no duplicates" note, when there were none.
        self.last_info: QMessageBox | None = None

    def find(self) -> bool:
        """Look for duplicates as the visible job, then list them; False if not started."""
        lib = self._lib

        return self._jobs.run(
            "Looking for duplicates…",
            lambda progress: lib.find_duplicates(progress),
            self._show,
            describe=_describe_search,
            cancelled_message="The search for duplicates was cancelled.",
        )

    def _show(self, pairs: list[DuplicatePair]) -> None:
        if self._jobs.closing:
            return
        if self.dialog is not None:
            self.dialog.close()
        n = len(pairs)
        self._status_bar.showMessage(
            f"{n:,} possible duplicate pair{'s' if n != 1 else ''} found", 8000
        )
        if not pairs:
            self.dialog = None
            self.last_info = info_box(self._window, "No possible duplicates found.")
            return
        dialog = DuplicatesDialog(pairs, self._lib.get, self._window)
        dialog.mergeRequested.connect(self.ask_merge)
        self.dialog = dialog
        dialog.show()

    def ask_merge(self, keep: int, other: int) -> None:
        """Confirm merging *other* into *keep*; the answer starts :meth:`merge`."""
        parent = self.dialog if self.dialog is not None else self._window
        try:
            kept, gone = self._lib.get([keep])[0], self._lib.get([other])[0]
        except IndexError:
            return  # deleted meantime; the merge would fail anyway
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Merge papers",
            f"Merge “{_one_line(gone.title)}” into “{_one_line(kept.title)}”?",
            parent=parent,
        )
        box.setObjectName("confirmMerge")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(
            "The kept paper gets every tag, note, star, link and attachment of the other, "
            "which is then deleted. Undo cannot bring it back: a backup is taken first, "
            "and File → Restore from backup… lists it."
        )
        merge = box.addButton("Merge", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(merge)
        box.setEscapeButton(cancel)

        def answered(_result: int) -> None:
            if box.clickedButton() is merge:
                self.merge(keep, other)

        box.finished.connect(answered)
        self.last_confirm = box
        box.open()

    def merge(self, keep: int, other: int) -> bool:
        """Merge *other* into *keep* behind a backup, as the visible job."""
        lib = self._lib
        dialog = self.dialog

        def done(snapshot: Snapshot, kept: int) -> None:
            # Commands on the stack may name the deleted paper, or put back
            # a note or tags the merge has since combined.
            self._undo_stack.clear()
            self._status_bar.showMessage(
                f"Merged 2 papers into one; the backup from {snapshot_label(snapshot)} "
                "still has both (File → Restore from backup…).",
                15_000,
            )
            if dialog is not None:
                dialog.merged(kept, other)
            self.merged.emit(kept, other)

        started = self._backups.run_guarded(
            "merge-papers",
            "Merging papers…",
            lambda: lib.merge_papers(keep, other),
            done,
            refused="The papers were not merged",
        )
        if dialog is not None:
            dialog.set_busy(started)
            if started:
                # Failed or cancelled: the buttons work again.
                self._jobs.busyChanged.connect(self._job_ended)
        return started

    def _job_ended(self, busy: bool) -> None:
        if busy:
            return
        self._jobs.busyChanged.disconnect(self._job_ended)
        if self.dialog is not None:
            self.dialog.set_busy(False)
