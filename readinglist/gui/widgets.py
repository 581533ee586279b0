"""Small widgets and dialogs of the main window that hold no state of their own.

Owns: the drop highlight (:class:`DropOverlay`), the empty-library panel
(:class:`WelcomePanel`), the export question — which papers, in what format
(:class:`ExportDialog`, its format names in :func:`export_label`),
the tag quick filter of the toolbar (:class:`TagFilter`), the tag prompt
(:func:`ask_tags`) and the helpers that show outside text safely
(:func:`as_label`, :func:`confirm`, :func:`error_box`, :func:`info_box`).

Everything that quotes a file name, tag or message from outside shows it as
plain text: a tag called ``<b>x</b>`` must read as those characters.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtGui import Qt as QtGuiNS
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME
from ..core.exports import ExportScope
from ..core.tags import TagInfo, parse_tag_list
from ..exporters import SUFFIXES
from .icons import icon

__all__ = [
    "DropOverlay",
    "ExportDialog",
    "SearchBox",
    "TagFilter",
    "WelcomePanel",
    "as_label",
    "ask_tags",
    "confirm",
    "error_box",
    "export_label",
    "info_box",
]


def as_label(text: str) -> str:
    """Return *text* so that a QLabel in automatic format shows it literally.

    Dialog labels guess whether text is markup; a tag named "<b>x</b>" must
    still read as those characters.
    """
    return QtGuiNS.convertFromPlainText(text) if QtGuiNS.mightBeRichText(text) else text


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Ask a yes/no question; *text* is shown as plain text, never as markup."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes


def error_box(parent: QWidget, message: str, exc: BaseException | None = None) -> QMessageBox:
    """Open (window-modal, not blocking) a warning about *message*; return the box.

    The traceback of *exc*, if given, goes into the box's details for bug reports.
    """
    box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, message, parent=parent)
    # Messages quote file and tag names from outside: never render them as markup.
    box.setTextFormat(Qt.TextFormat.PlainText)
    if exc is not None:
        box.setDetailedText("".join(traceback.format_exception(exc)))
    box.open()
    return box


def info_box(parent: QWidget, message: str) -> QMessageBox:
    """Open (window-modal, not blocking) a note about what was done; return the box."""
    box = QMessageBox(QMessageBox.Icon.Information, APP_NAME, message, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.open()
    return box


def ask_tags(parent: QWidget, title: str, label: str, suggestions: Sequence[str]) -> list[str]:
    """Prompt for comma-separated tags (completing known ones); [] when cancelled."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    edit = dialog.findChild(QLineEdit)
    if edit is not None:
        completer = QCompleter(list(suggestions), dialog)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        edit.setCompleter(completer)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return []
    # The core's rule, so "a, A ,b" means the same here as on the command line.
    return parse_tag_list(dialog.textValue())


class SearchBox(QLineEdit):
    """The search field: Escape clears it, Down moves into the results."""

    #: Down was pressed: the owner moves the focus to the results.
    downPressed = Signal()

    #: The field's own keys, as Help → Keyboard shortcuts lists them (they are
    #: not actions, so this is where that page reads them from).
    KEYS: tuple[tuple[str, Qt.Key], ...] = (
        ("Clear the search", Qt.Key.Key_Escape),
        ("Move to the results", Qt.Key.Key_Down),
    )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()  # textChanged runs the (empty) search
            return
        if event.key() == Qt.Key.Key_Down and not event.modifiers():
            self.downPressed.emit()
            return
        super().keyPressEvent(event)


class DropOverlay(QLabel):
    """The highlight shown over the window while files are dragged over it.

    A child of the window that floats over *target* (the window's central
    area) without being part of any layout: made the child of a splitter or
    a box, it would be taken in as one more pane and squash the others.
    """

    def __init__(self, parent: QWidget, target: QWidget | None = None) -> None:
        super().__init__("Drop files, folders, links or text to import them", parent)
        self._target = target
        self.setObjectName("dropOverlay")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        highlight = self.palette().highlight().color()
        fill = QColor(highlight)
        fill.setAlpha(40)
        self.setStyleSheet(
            f"QLabel {{ background: rgba({fill.red()},{fill.green()},{fill.blue()},{fill.alpha()});"
            f" border: 3px dashed {highlight.name()}; border-radius: 12px;"
            f" font-size: 18pt; font-weight: 600; color: {highlight.name()}; }}"
        )
        self.hide()

    def area(self) -> QRect:
        """What the overlay covers, in its parent's coordinates: the target, else the parent."""
        parent = self.parentWidget()
        if parent is None:
            return QRect()
        target = self._target
        if target is None or target is parent:
            return parent.rect()
        return QRect(target.mapTo(parent, QPoint(0, 0)), target.size())

    def cover(self) -> None:
        """Show the overlay over its target, inset a little, on top of everything."""
        self.setGeometry(self.area().adjusted(8, 8, -8, -8))
        self.raise_()
        self.show()


class WelcomePanel(QWidget):
    """Shown instead of the table while the library is empty."""

    def __init__(self, on_sample: Callable[[], None], on_import: Callable[[], None]) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        art = QLabel()
        art.setPixmap(icon("readinglist").pixmap(96, 96))
        art.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Your reading list is empty")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            "Drop a saved trending-papers page, a BibTeX or RIS file, PDFs,\n"
            "arXiv or DOI links or a folder anywhere on this window,\n"
            "or paste a page you copied from your browser (Ctrl+V)."
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.sample_button = QPushButton(icon("inbox"), "Load sample papers")
        self.sample_button.clicked.connect(on_sample)
        self.import_button = QPushButton(icon("import"), "Import files…")
        self.import_button.clicked.connect(on_import)
        buttons.addWidget(self.sample_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        for widget in (art, title, hint):
            layout.addWidget(widget)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(3)


# What the export format choice calls each format of Exports.FORMATS.
_EXPORT_LABELS: dict[str, str] = {
    "bibtex": "BibTeX",
    "biblatex": "BibLaTeX",
    "ris": "RIS",
    "csl-json": "CSL-JSON",
    "markdown": "Markdown reading list",
    "csv": "CSV",
}


def export_label(fmt: str) -> str:
    """``"ris"`` → ``"RIS (.ris)"``: an export format as the user reads it."""
    suffix = SUFFIXES.get(fmt, "")
    label = _EXPORT_LABELS.get(fmt, fmt)
    return f"{label} ({suffix})" if suffix else label


class ExportDialog(QDialog):
    """Asks which papers to export (all, the selection, the current view) and in what format."""

    def __init__(
        self,
        parent: QWidget,
        n_all: int,
        n_selected: int,
        n_view: int,
        formats: Sequence[str] = ("bibtex",),
        current_format: str = "bibtex",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export")
        # Room for the longest format name and a title bar that is not cut.
        self.setMinimumWidth(400)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Which papers should be exported?"))
        self.all = QRadioButton(f"All papers ({n_all:,})")
        self.selection = QRadioButton(f"Selected papers ({n_selected:,})")
        self.view = QRadioButton(f"Papers in the current view ({n_view:,})")
        self.selection.setEnabled(n_selected > 0)
        # One selected paper is usually just the current row, not a choice.
        (self.selection if n_selected > 1 else self.view).setChecked(True)
        for button in (self.all, self.selection, self.view):
            layout.addWidget(button)
        layout.addSpacing(8)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        self.format = QComboBox()
        self.format.setObjectName("exportFormat")
        for fmt in formats:
            self.format.addItem(export_label(fmt), fmt)
        self.format.setCurrentIndex(max(self.format.findData(current_format), 0))
        form.addRow("&Format:", self.format)
        layout.addLayout(form)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = box.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setText("Export…")
            ok.setIcon(icon("export"))
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout.addWidget(box)

    def choice(self) -> ExportScope:
        """The scope the user picked."""
        if self.all.isChecked():
            return ExportScope.ALL
        return ExportScope.SELECTION if self.selection.isChecked() else ExportScope.VIEW

    def fmt(self) -> str:
        """The format the user picked (a name of ``Exports.FORMATS``)."""
        return str(self.format.currentData())


class TagFilter(QComboBox):
    """The toolbar's "only papers with this tag" choice ("Any tag" first)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("tagFilter")
        self.setToolTip("Show only papers with this tag")
        # Sized for a usual tag name, not the longest one: "Computer Science - Computation
        # and Language" (an arXiv category imported as a tag) would otherwise squeeze the
        # search field. The list that drops down is as wide as the names need (up to a cap).
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(self.CONTENTS_LENGTH)
        self.view().setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.currentIndexChanged.connect(self._show_whole_name)
        self.addItem(icon("tag"), "Any tag", None)

    # Characters shown in the toolbar; the longest names are elided there.
    CONTENTS_LENGTH = 16
    # The widest the dropped-down list grows, in pixels.
    POPUP_MAX_WIDTH = 520

    def current_tag(self) -> str | None:
        """The chosen tag name, or None for "Any tag"."""
        data = self.currentData()
        return str(data) if data else None

    def fill(self, tags: Sequence[TagInfo]) -> bool:
        """List *tags* with their counts, keeping the choice; False if the chosen tag is gone.

        No signal is emitted: refilling is not a choice the user made.
        """
        current = self.current_tag()
        blocker = self.blockSignals(True)
        try:
            self.clear()
            self.addItem(icon("tag"), "Any tag", None)
            for tag in tags:
                self.addItem(f"{tag.name} ({tag.count})", tag.name)
            found = self.findData(current) if current else 0
            self.setCurrentIndex(max(found, 0))
        finally:
            self.blockSignals(blocker)
        self._show_whole_name()
        metrics = self.view().fontMetrics()
        widest = max(metrics.horizontalAdvance(self.itemText(i)) for i in range(self.count()))
        # Room for the icon, the margins and a scroll bar beside the text.
        self.view().setMinimumWidth(min(widest + 64, self.POPUP_MAX_WIDTH))
        return not current or found >= 0

    def _show_whole_name(self) -> None:
        """The chosen name whole in the tooltip, as the toolbar may show it elided."""
        tag = self.current_tag()
        self.setToolTip(
            f"Showing only papers tagged “{tag}”" if tag else "Show only papers with this tag"
        )
