"""An import's outcome: the one line of the notice bar and the full summary dialog.

:func:`outcome_line` words what an import did in one line ("refs.bib: 12
added, 2 merged, 1 problem") for the window's notice bar;
:class:`ImportSummaryDialog` lists it all, per file, with every problem in
full (rows wrap rather than cut a message off) and a Copy report button.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.wording import counted
from ..library import ImportReport
from .icons import icon

__all__ = ["ImportSummaryDialog", "failed_entirely", "outcome_line", "summary_text"]


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def failed_entirely(reports: Sequence[ImportReport]) -> bool:
    """True when every file failed (none read at all): the one outcome worth a modal box."""
    return bool(reports) and all(r.error for r in reports)


def outcome_line(reports: Sequence[ImportReport]) -> str:
    """What an import did, in one line: ``"refs.bib: 12 added, 2 merged, 1 problem"``.

    One file is named; several are counted.  Duplicates are split as the
    summary splits them: merged (they brought something) and already there.
    """
    if not reports:
        return "Nothing to import"
    added = sum(len(r.added) for r in reports)
    merged = sum(len(r.merged) for r in reports)
    unchanged = sum(r.unchanged for r in reports)
    problems = sum(len(r.problems) for r in reports)
    failed = sum(1 for r in reports if r.error)
    parts = [f"{added:,} added"]
    if merged:
        parts.append(f"{merged:,} merged")
    if unchanged:
        parts.append(f"{unchanged:,} already in the library")
    if problems:
        parts.append(_count(problems, "problem"))
    if len(reports) == 1:
        report = reports[0]
        if report.error:
            return f"{report.file_name}: not imported: {report.error}"
        return f"{report.file_name}: " + ", ".join(parts)
    if failed:
        parts.append(f"{_count(failed, 'file')} not imported")
    return f"{len(reports)} files: " + ", ".join(parts)


def summary_text(reports: Sequence[ImportReport]) -> str:
    """The whole summary as plain text (for the clipboard and for tests)."""
    lines = []
    for report in reports:
        lines.append(report.summary())
        for problem in report.problems:
            lines.append("    " + problem.describe(report.file_name))
    return "\n".join(lines)


class ImportSummaryDialog(QDialog):
    """Lists each imported file with counts; problems are listed under their file.

    Everything is shown as plain text in item views: file names and messages
    come from outside and are never interpreted as markup.
    """

    def __init__(self, reports: Sequence[ImportReport], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reports = list(reports)
        self.setWindowTitle("Import failed" if failed_entirely(reports) else "Import finished")
        self.setMinimumSize(640, 320)
        added = sum(len(r.added) for r in reports)
        dups = sum(len(r.duplicates) for r in reports)
        problems = sum(len(r.problems) for r in reports)
        failed = sum(1 for r in reports if r.error)
        headline = QLabel()
        headline.setTextFormat(Qt.TextFormat.PlainText)
        parts = [f"{added} added", counted(dups, "duplicate"), counted(problems, "problem")]
        if failed:
            parts.append(f"{counted(failed, 'file')} not imported")
        if failed_entirely(reports):
            # Counts of nothing say less than the plain fact; the reasons are listed below.
            headline.setText(
                f"Nothing was imported: {'the file' if failed == 1 else f'all {failed} files'}"
                " could not be read"
            )
        else:
            headline.setText(f"{counted(len(reports), 'file')}: " + ", ".join(parts))
        font = headline.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        headline.setFont(font)
        self.headline = headline

        tree = _WrappingTree()
        tree.setHeaderLabels(["File", "Added", "Duplicates", "Problems"])
        tree.setRootIsDecorated(True)
        tree.setAlternatingRowColors(True)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        for report in reports:
            if report.error:
                item = QTreeWidgetItem([report.file_name, "—", "—", "failed"])
                # A warning, not the trash can: the file was not read, nothing was deleted.
                item.setIcon(
                    0, self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
                )
                child = QTreeWidgetItem([report.error])
                child.setToolTip(0, report.error)
                item.addChild(child)
            else:
                name = f"{report.file_name} [{report.label}]" if report.label else report.file_name
                item = QTreeWidgetItem(
                    [
                        name,
                        str(len(report.added)),
                        str(len(report.duplicates)),
                        str(len(report.problems)),
                    ]
                )
                item.setIcon(0, self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon))
                for problem in report.problems:
                    message = problem.describe(report.file_name)
                    child = QTreeWidgetItem([message])
                    child.setToolTip(0, message)
                    item.addChild(child)
                for child in _duplicate_items(report):
                    item.addChild(child)
            for col in (1, 2, 3):
                item.setTextAlignment(
                    col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
            tree.addTopLevelItem(item)
            # Spans take effect only on items already in the tree (set before, they
            # were lost and each message was cut off at the first column).
            _span_children(item)
            item.setExpanded(bool(report.problems or report.error))
        # The first column takes the room left by the three counts, which
        # stay in view whatever the width (the Problems count was cut off).
        header = tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree = tree
        copy_rows = QShortcut(QKeySequence.StandardKey.Copy, tree, self.copy_selected)
        copy_rows.setContext(Qt.ShortcutContext.WidgetShortcut)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton(icon("copy"), "Copy report")
        copy.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(summary_text(self.reports))
        )
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(tree, 1)
        layout.addWidget(buttons)
        self.resize(860, 460)

    def copy_selected(self) -> None:
        """Put the selected rows' text on the clipboard, one line each."""
        rows = [
            "\t".join(t for t in (item.text(c) for c in range(4)) if t)
            for item in self.tree.selectedItems()
        ]
        if rows:
            QGuiApplication.clipboard().setText("\n".join(rows))


class _WrappingTree(QTreeWidget):
    """A tree whose long rows wrap onto more lines instead of ending in "…".

    A problem is read whole this way (its full text is also its tooltip).
    QTreeView measures a row's height without its width, so nothing would
    wrap: :class:`_WrapDelegate` measures with the width the text really
    gets, and a resize lays the rows out again.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setUniformRowHeights(False)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setItemDelegate(_WrapDelegate(self))
        self.header().sectionResized.connect(lambda *_: self.scheduleDelayedItemsLayout())

    def text_width(self, index: QModelIndex | QPersistentModelIndex) -> int:
        """The width the text of *index* is laid out in (a spanned row: the whole row)."""
        depth = 0
        parent = index.parent()
        while parent.isValid():
            depth += 1
            parent = parent.parent()
        indent = self.indentation() * (depth + (1 if self.rootIsDecorated() else 0))
        if self.isFirstColumnSpanned(index.row(), index.parent()):
            return self.viewport().width() - indent
        width = self.columnWidth(index.column())
        return width - indent if index.column() == 0 else width

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            # Spanned rows are as wide as the view: their heights change with it.
            self.scheduleDelayedItemsLayout()


class _WrapDelegate(QStyledItemDelegate):
    """Row heights measured at the width the text gets, so wrapped rows fit."""

    def __init__(self, tree: _WrappingTree) -> None:
        super().__init__(tree)
        self._tree = tree

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        measured = QStyleOptionViewItem(option)
        width = self._tree.text_width(index)
        if width > 0:
            # The style wraps only in a valid rectangle (the view passes none).
            measured.rect = QRect(0, 0, width, 1)
        return super().sizeHint(measured, index)


def _span_children(item: QTreeWidgetItem) -> None:
    """Let every row under *item* (a message, a paper) use the whole width."""
    for i in range(item.childCount()):
        child = item.child(i)
        if child is not None:
            child.setFirstColumnSpanned(True)
            _span_children(child)


def _duplicate_items(report: ImportReport) -> list[QTreeWidgetItem]:
    """The rows under a file for its papers already there: merged ones, then unchanged ones."""
    items: list[QTreeWidgetItem] = []
    titles = {pid: title for title, pid in report.duplicates}
    if report.merged:
        merged = QTreeWidgetItem([f"{len(report.merged)} merged into the papers they match"])
        for pid, what in report.merged[:200]:
            added = ", ".join(w.replace("tag:", "tag ") for w in what)
            merged.addChild(QTreeWidgetItem([f"#{pid}  {titles.get(pid, '')} — added {added}"]))
        items.append(merged)
    done = {pid for pid, _ in report.merged}
    same = [(title, pid) for title, pid in report.duplicates if pid not in done]
    if same:
        unchanged = QTreeWidgetItem([f"{len(same)} already in the library, unchanged"])
        for title, pid in same[:200]:
            unchanged.addChild(QTreeWidgetItem([f"#{pid}  {title}"]))
        items.append(unchanged)
    return items
