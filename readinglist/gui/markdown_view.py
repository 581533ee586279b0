"""The rendered view of a paper's Markdown note.

Owns :class:`NotePreview`, a read-only :class:`QTextBrowser` showing the
HTML that :func:`readinglist.core.markdown.render_note` made from the note
(raw HTML escaped, only web and mail links, images as linked alt text).
The browser adds two guards of its own:

* it loads no resource at all (:meth:`NotePreview.loadResource` answers
  nothing), so even HTML that slipped through could not fetch a remote
  image or read a local file;
* it never follows a link itself: a click goes through
  :func:`readinglist.gui.links.open_url`, the one place links are opened.

QTextBrowser runs no scripts, so what is left is static text.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QSizeF, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPalette, QTextDocument
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

from .links import open_url

__all__ = ["EMPTY_NOTE_TEXT", "NotePreview"]

EMPTY_NOTE_TEXT = "No note yet — double-click or press Edit to write one."

# Lines of text the preview is at least tall, so an empty or one-line note
# still reads as a box the note lives in.
_MIN_LINES = 3


def _blank_image() -> QImage:
    """Return one transparent pixel: what the preview shows for any image."""
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    return image


class NotePreview(QTextBrowser):
    """A note rendered from Markdown; grows with its text instead of scrolling.

    It sits in the detail pane's scroll area, which scrolls the whole pane,
    so it has no scroll bars of its own.
    """

    #: The user double-clicked the note: they want to edit it.
    editRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notePreview")
        self.setAccessibleName("Note (rendered)")
        # Links are opened by open_url only, never by the browser itself.
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._open)
        self.highlighted.connect(self._show_target)
        self.setUndoRedoEnabled(False)
        self.setTabChangesFocus(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._markdown = ""
        self._apply_style()

    def markdown(self) -> str:
        """Return the Markdown text shown (as last set)."""
        return self._markdown

    def set_markdown(self, text: str) -> None:
        """Render and show *text*; an empty note shows a hint instead."""
        self._markdown = text
        if text.strip():
            # Imported on the first rendered note: the Markdown parser costs
            # ~60 ms to load, which the window's start need not pay.
            from ..core.markdown import render_note

            self.setHtml(render_note(text))
        else:
            self.setHtml(f'<p style="color: {self._placeholder()}"><i>{EMPTY_NOTE_TEXT}</i></p>')

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        # Nothing is ever loaded: no remote image (a read receipt to whoever
        # wrote the note), no local file.  Not None: on an empty answer Qt
        # reads a local file itself (QTextDocument.loadResource, and the image
        # handler loads an image's name as a path); a blank pixel it keeps.
        if type == QTextDocument.ResourceType.ImageResource.value:
            return _blank_image()
        return QByteArray()

    def _open(self, url: QUrl) -> None:
        open_url(self, url.toString())

    def _show_target(self, url: QUrl) -> None:
        # Where a link goes, before it is clicked (the text may say otherwise).
        self.setToolTip(url.toString() if url.isValid() and not url.isEmpty() else "")

    def _placeholder(self) -> str:
        palette = self.palette()
        colour = palette.color(QPalette.ColorRole.PlaceholderText)
        if colour.alpha() == 255:
            return colour.name()
        # Often translucent text colour: HTML gets it mixed over the background.
        base = palette.color(QPalette.ColorRole.Base)
        a = colour.alphaF()
        mixed = QColor.fromRgbF(
            colour.redF() * a + base.redF() * (1 - a),
            colour.greenF() * a + base.greenF() * (1 - a),
            colour.blueF() * a + base.blueF() * (1 - a),
        )
        return mixed.name()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        # A double-click on the rendered note means "let me change this".
        self.editRequested.emit()
        event.accept()

    def _apply_style(self) -> None:
        """Style code, quotes and tables with colours from the palette."""
        palette = self.palette()
        mid = palette.color(QPalette.ColorRole.Mid).name()
        dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
        code_back = palette.color(QPalette.ColorRole.AlternateBase).name()
        if not dark and code_back.lower() in {"#ffffff", palette.base().color().name()}:
            code_back = "#f3f3f3"
        self.document().setDefaultStyleSheet(
            f"pre {{ background-color: {code_back}; padding: 6px; }}"
            f" code {{ background-color: {code_back}; }}"
            f" blockquote {{ color: {self._placeholder()}; }}"
            f" th, td {{ border: 1px solid {mid}; padding: 3px 6px; }}"
            " table { border-collapse: collapse; }"
            # Qt's own sizes (h1 is xx-large) suit a page, not a note in a side pane.
            " h1 { font-size: x-large; } h2 { font-size: large; }"
            " h3, h4, h5, h6 { font-size: medium; }"
            " h1, h2, h3, h4, h5, h6 { margin-top: 8px; margin-bottom: 4px; }"
        )
        # Documents built before keep their old sheet: build the text again.
        if self._markdown or self.document().characterCount() > 1:
            self.set_markdown(self._markdown)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_style()
        super().changeEvent(event)

    def _fit_height(self, size: QSizeF) -> None:
        margins = self.contentsMargins()
        lines = self.fontMetrics().lineSpacing() * _MIN_LINES
        content = max(lines, math.ceil(size.height()))
        self.setFixedHeight(content + margins.top() + margins.bottom())
