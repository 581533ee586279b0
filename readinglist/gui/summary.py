"""The dialog shown after an import: per file, what was added, duplicated or wrong."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..library import ImportReport
from .icons import icon


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
        self.setWindowTitle("Import finished")
        self.setMinimumSize(640, 320)
        added = sum(len(r.added) for r in reports)
        dups = sum(len(r.duplicates) for r in reports)
        problems = sum(len(r.problems) for r in reports)
        failed = sum(1 for r in reports if r.error)
        headline = QLabel()
        headline.setTextFormat(Qt.TextFormat.PlainText)
        parts = [f"{added} added", f"{dups} duplicates", f"{problems} problems"]
        if failed:
            parts.append(f"{failed} file{'s' if failed != 1 else ''} not imported")
        headline.setText(
            f"{len(reports)} file{'s' if len(reports) != 1 else ''}: " + ", ".join(parts)
        )
        font = headline.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        headline.setFont(font)
        self.headline = headline

        tree = QTreeWidget()
        tree.setHeaderLabels(["File", "Added", "Duplicates", "Problems"])
        tree.setRootIsDecorated(True)
        tree.setAlternatingRowColors(True)
        tree.setUniformRowHeights(True)
        for report in reports:
            if report.error:
                item = QTreeWidgetItem([report.file_name, "—", "—", "failed"])
                item.setIcon(0, icon("trash"))
                child = QTreeWidgetItem([report.error])
                child.setToolTip(0, report.error)
                child.setFirstColumnSpanned(True)
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
                item.setIcon(0, icon("folder"))
                for problem in report.problems:
                    message = problem.describe(report.file_name)
                    child = QTreeWidgetItem([message])
                    child.setToolTip(0, message)
                    child.setFirstColumnSpanned(True)
                    item.addChild(child)
                for child in _duplicate_items(report):
                    item.addChild(child)
            for col in (1, 2, 3):
                item.setTextAlignment(
                    col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
            tree.addTopLevelItem(item)
            item.setExpanded(bool(report.problems or report.error))
        tree.resizeColumnToContents(1)
        tree.setColumnWidth(0, 460)
        tree.setWordWrap(True)
        self.tree = tree

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


def _duplicate_items(report: ImportReport) -> list[QTreeWidgetItem]:
    """The rows under a file for its papers already there: merged ones, then unchanged ones."""
    items: list[QTreeWidgetItem] = []
    titles = {pid: title for title, pid in report.duplicates}
    if report.merged:
        merged = QTreeWidgetItem([f"{len(report.merged)} merged into the papers they match"])
        merged.setFirstColumnSpanned(True)
        for pid, what in report.merged[:200]:
            added = ", ".join(w.replace("tag:", "tag ") for w in what)
            merged.addChild(QTreeWidgetItem([f"#{pid}  {titles.get(pid, '')} — added {added}"]))
        items.append(merged)
    done = {pid for pid, _ in report.merged}
    same = [(title, pid) for title, pid in report.duplicates if pid not in done]
    if same:
        unchanged = QTreeWidgetItem([f"{len(same)} already in the library, unchanged"])
        unchanged.setFirstColumnSpanned(True)
        for title, pid in same[:200]:
            unchanged.addChild(QTreeWidgetItem([f"#{pid}  {title}"]))
        items.append(unchanged)
    return items
