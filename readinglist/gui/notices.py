"""A notification bar: one line of news under the paper table, dismissed with a click.

:class:`NoticeBar` is the slim panel of a browser's or editor's info bar: an
icon, one line of plain text, optionally a "Details" button, and a close
button.  It tells the outcome of something the user started (an import)
without stopping them with a modal dialog.  A notice that needs nothing
more from the user hides itself after a while; one that reports problems
stays until closed, so it cannot vanish unread.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QEnterEvent, QIcon, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QToolButton,
    QWidget,
)

__all__ = ["AUTO_HIDE_MS", "Level", "NoticeBar"]

#: How long a notice without problems stays up (milliseconds).
AUTO_HIDE_MS = 10_000

_ICON_SIZE = 16


class Level(Enum):
    """How much a notice matters: its icon and tint."""

    INFO = "info"
    WARNING = "warning"


class NoticeBar(QFrame):
    """A dismissible one-line notice with an optional Details button.

    :meth:`show_notice` replaces whatever the bar showed.  The text is plain
    (file names come from outside and are never read as markup) and, when
    longer than the bar, elided with the whole of it in the tooltip.  A
    notice given a timeout hides itself then, except while the pointer
    rests on the bar (the user is reading or about to click).
    """

    #: The close button was clicked (the notice was dismissed by the user).
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._level = Level.INFO
        self._text = ""
        self._details: Callable[[], object] | None = None
        # The auto-hide time left when the pointer came in (-1: none to resume).
        self._remaining = -1
        # Set while the style sheet is replaced: that changes the palette too.
        self._restyling = False

        self.icon_label = QLabel()
        self.icon_label.setFixedSize(_ICON_SIZE, _ICON_SIZE)
        self.text_label = QLabel()
        self.text_label.setObjectName("noticeText")
        self.text_label.setTextFormat(Qt.TextFormat.PlainText)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Elided to the room there is (see _elide): the bar stays one line high.
        self.text_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.details_button = QPushButton("Details…")
        self.details_button.setObjectName("noticeDetails")
        self.details_button.clicked.connect(self._open_details)
        self.close_button = QToolButton()
        self.close_button.setObjectName("noticeClose")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Close")
        self.close_button.setAccessibleName("Close the notice")
        self.close_button.clicked.connect(self._close_clicked)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        layout.setSpacing(8)
        layout.addWidget(self.icon_label)
        layout.addWidget(self.text_label, 1)
        layout.addWidget(self.details_button)
        layout.addWidget(self.close_button)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self._restyle()
        self.hide()

    # --- what it shows ------------------------------------------------------------

    def show_notice(
        self,
        text: str,
        *,
        level: Level = Level.INFO,
        details: Callable[[], object] | None = None,
        timeout_ms: int | None = AUTO_HIDE_MS,
    ) -> None:
        """Show *text*; *details* (if given) runs on "Details"; hide after *timeout_ms*.

        ``timeout_ms=None`` keeps the notice up until it is closed or replaced.
        """
        self._text = " ".join(text.split())  # One line, whatever the text held.
        self._level = level
        self._details = details
        self.details_button.setVisible(details is not None)
        self.setAccessibleName(self._text)
        self._restyle()
        self._elide()
        self._timer.stop()
        if timeout_ms is not None:
            self._timer.start(timeout_ms)
        self.show()

    def text(self) -> str:
        """The whole text of the notice (the label may show it elided)."""
        return self._text

    def level(self) -> Level:
        """The level of the notice shown last."""
        return self._level

    def auto_hides(self) -> bool:
        """True while a timer is due to hide the notice."""
        return self._timer.isActive()

    def clear(self) -> None:
        """Hide the notice and forget its Details action."""
        self._timer.stop()
        self._details = None
        self.hide()

    # --- behaviour ----------------------------------------------------------------------

    def _open_details(self) -> None:
        if self._details is not None:
            # Looked at: the notice stays until closed, next to what it describes.
            self._timer.stop()
            self._details()

    def _close_clicked(self) -> None:
        self.clear()
        self.dismissed.emit()

    def enterEvent(self, event: QEnterEvent) -> None:
        # Not hidden from under the pointer of someone reading it or about to click.
        self._remaining = self._timer.remainingTime() if self._timer.isActive() else -1
        self._timer.stop()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        remaining = self._remaining
        if remaining >= 0:
            # A little time to move back, rather than vanishing as the pointer leaves.
            self._timer.start(max(remaining, 3000))
        self._remaining = -1
        super().leaveEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._restyling:
            self._restyle()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        # The label ignores its text's width (it elides): ask for one line's height only.
        return QSize(hint.width(), max(hint.height(), self.fontMetrics().height() + 12))

    # --- looks ------------------------------------------------------------------------

    def _elide(self) -> None:
        width = self.text_label.width()
        metrics = self.text_label.fontMetrics()
        shown = metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, max(width, 0))
        self.text_label.setText(shown)
        self.text_label.setToolTip(self._text if shown != self._text else "")

    def _restyle(self) -> None:
        style = self.style()
        pixmap_icon: QIcon = style.standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning
            if self._level is Level.WARNING
            else QStyle.StandardPixmap.SP_MessageBoxInformation
        )
        self.icon_label.setPixmap(pixmap_icon.pixmap(_ICON_SIZE, _ICON_SIZE))
        self.close_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        # Tinted from the application's palette (light and dark themes alike;
        # not the bar's own, which its style sheet changes): the highlight for
        # news, amber for problems, mixed into the window colour.
        palette = QApplication.palette()
        window = palette.color(QPalette.ColorRole.Window)
        accent = (
            QColor("#e6a700")
            if self._level is Level.WARNING
            else palette.color(QPalette.ColorRole.Highlight)
        )
        fill = _mix(accent, window, 0.18)
        border = _mix(accent, window, 0.55)
        sheet = (
            f"QFrame#noticeBar {{ background: {fill.name()}; border: 1px solid {border.name()};"
            " border-radius: 4px; }"
        )
        if sheet != self.styleSheet():
            self._restyling = True
            try:
                self.setStyleSheet(sheet)
            finally:
                self._restyling = False


def _mix(colour: QColor, base: QColor, amount: float) -> QColor:
    """*amount* of *colour* over *base* (0: base, 1: colour)."""
    return QColor(
        round(colour.red() * amount + base.red() * (1 - amount)),
        round(colour.green() * amount + base.green() * (1 - amount)),
        round(colour.blue() * amount + base.blue() * (1 - amount)),
    )
