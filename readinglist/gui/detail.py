"""The detail pane: everything about the current paper, on the right of the window.

Like Zotero's item pane it shows the title, authors, bibliographic line,
links, tags, citation key, abstract and the user's Markdown note (edited as
text, or shown rendered by :class:`~readinglist.gui.markdown_view.NotePreview`),
and lets the user star, mark read, tag, re-key and annotate the paper.
With several papers selected it shows :meth:`DetailPane.show_selection`
instead: how many, the tags they share, and edits that apply to all of them.

The pane never touches the library.  Every edit leaves as a signal carrying
the paper id (or ids), and the main window turns it into an undoable
command; the window then calls :meth:`DetailPane.show_paper` (or
:meth:`DetailPane.show_selection`) again with the new snapshot.

Safety: titles, abstracts and links come from files and web pages, so they
are never interpreted as HTML.  Text goes in through
``QTextDocument.setPlainText`` or ``QLabel`` in plain-text mode; the one
rich-text label (the links) is built only from ``html.escape``'d values, and
links open only through :func:`readinglist.gui.links.open_url` (http and https
at once, a file after the user confirms, nothing else).  The paper's attached
PDF, a file the user chose at import, has its own "Open PDF" button, opened by
:func:`readinglist.gui.links.open_file` without that confirmation.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

from PySide6.QtCore import (
    QEvent,
    QObject,
    QPoint,
    QRect,
    QSize,
    QSizeF,
    QStringListModel,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.identifiers import normalise_arxiv
from ..core.tags import parse_tag_list
from ..records import PaperData
from ..search import SearchResult, highlight_spans
from .icons import icon
from .links import SAFE_SCHEMES, is_safe_url, open_file, open_url
from .markdown_view import NotePreview

__all__ = [
    "EMPTY_TEXT",
    "HIT_PROPERTY",
    "NOTE_SAVE_DELAY_MS",
    "SAFE_SCHEMES",
    "DetailPane",
    "is_safe_url",
    "links_html",
    "paper_links",
]

# Autosave delay after the last keystroke in the note editor.
NOTE_SAVE_DELAY_MS = 800
# Set on the character format of every highlighted search hit, so code (and
# tests) can find hits without comparing colours.
HIT_PROPERTY = QTextFormat.Property.UserProperty.value + 1

# Translucent yellow: over a light background it is a pale marker, over a dark
# one a muted olive, and the palette's own text colour stays readable on both.
_HIT_COLOUR = (255, 204, 0, 110)
# Show at most this many authors; a 300-author paper should not fill the pane.
_MAX_AUTHORS = 12
# Longest link text shown before the middle is elided.
_MAX_LINK_CHARS = 64

NOTE_PLACEHOLDER = "Write a note in Markdown — saved automatically"
EMPTY_TEXT = "Select a paper to see its details"
# Titles listed in the multi-selection pane before "… and N more".
_MAX_SELECTION_TITLES = 8
# Room kept above the note's header and below the editor when scrolling to it.
_NOTE_SCROLL_MARGIN = 12


def paper_links(paper: PaperData) -> list[str]:
    """Return the paper's links, main URL first, with DOI and arXiv links added."""
    candidates = [paper.url]
    if paper.doi:
        candidates.append(f"https://doi.org/{paper.doi}")
    # The abstract page unless the URL is already that page (of some version).
    if paper.arxiv_id and normalise_arxiv(paper.url) != paper.arxiv_id:
        candidates.append(f"https://arxiv.org/abs/{paper.arxiv_id}")
    candidates.extend(paper.links)
    links: list[str] = []
    for link in (c.strip() for c in candidates):
        if link and link not in links:
            links.append(link)
    return links


def _link_text(url: str) -> str:
    """Return a short readable form of *url* for display."""
    qurl = QUrl(url)
    if qurl.scheme().lower() == "file":
        text = qurl.toLocalFile() or url
    else:
        text = url.split("://", 1)[1] if "://" in url else url
    text = text.rstrip("/") or url
    if len(text) > _MAX_LINK_CHARS:
        half = (_MAX_LINK_CHARS - 1) // 2
        text = f"{text[:half]}…{text[-half:]}"
    return text


def links_html(links: Iterable[str]) -> str:
    """Return rich text for the links label, built only from escaped values.

    Safe links become anchors; anything else is shown as plain text so the
    user can still see (and copy) it, but there is nothing to click.
    """
    lines = []
    for url in links:
        shown = html.escape(_link_text(url))
        if is_safe_url(url):
            lines.append(f'<a href="{html.escape(url, quote=True)}">{shown}</a>')
        else:
            lines.append(shown)
    return "<br>".join(lines)


def _utf16_spans(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Convert Python character spans to the UTF-16 positions QTextCursor uses.

    They differ only after a character outside the Basic Multilingual Plane
    (emoji, mathematical letters like 𝑥), which takes two UTF-16 units.
    """
    if all(ord(ch) <= 0xFFFF for ch in text):
        return list(spans)
    offsets = [0] * (len(text) + 1)
    for index, ch in enumerate(text):
        offsets[index + 1] = offsets[index] + (2 if ord(ch) > 0xFFFF else 1)
    return [(offsets[start], offsets[end]) for start, end in spans]


def _is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


class _TextBlock(QTextBrowser):
    """Read-only, selectable plain text that grows to fit instead of scrolling.

    The whole pane scrolls as one page, so the title and abstract must not
    have scroll bars of their own; the height follows the laid-out document.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Plain text has no anchors, but never let a browser follow anything.
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTabChangesFocus(True)
        # Draw on the pane's background rather than a white "input" box.
        self.viewport().setAutoFillBackground(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().setDocumentMargin(0)
        layout = self.document().documentLayout()
        layout.documentSizeChanged.connect(self._fit_height)

    def _fit_height(self, size: QSizeF) -> None:
        margins = self.contentsMargins()
        self.setFixedHeight(max(1, math.ceil(size.height())) + margins.top() + margins.bottom())

    def set_plain_text(
        self,
        text: str,
        spans: Sequence[tuple[int, int]] = (),
        line_height: int = 100,
        paragraph_gap: float = 0.0,
    ) -> None:
        """Show *text* literally and mark the character *spans* as search hits."""
        document = self.document()
        document.setPlainText(text)
        cursor = QTextCursor(document)
        if line_height != 100 or paragraph_gap:
            block = QTextBlockFormat()
            block.setLineHeight(
                line_height, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value
            )
            block.setBottomMargin(paragraph_gap)
            cursor.select(QTextCursor.SelectionType.Document)
            cursor.mergeBlockFormat(block)
        hit = QTextCharFormat()
        hit.setBackground(QColor(*_HIT_COLOUR))
        hit.setProperty(HIT_PROPERTY, True)
        for start, end in _utf16_spans(text, spans):
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(hit)
        self.moveCursor(QTextCursor.MoveOperation.Start)


class _FlowLayout(QLayout):
    """Lays widgets out left to right, wrapping to new lines like words."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        x, y, line_height = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and line_height > 0:
                x, y = rect.x(), y + line_height + self._gap
                line_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._gap
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y()


class _TagEdit(QLineEdit):
    """A line edit for comma-separated tags that completes the tag being typed.

    ``QLineEdit.setCompleter`` would complete the whole text; here the
    completer is attached with ``setWidget`` and fed only the current entry,
    and a chosen completion replaces just that entry.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self._completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._completer.setWidget(self)
        # The unindexed signal is the activated(QString) overload.
        self._completer.activated.connect(self._insert_completion)
        self.textEdited.connect(self._update_completions)

    def _popup(self) -> QAbstractItemView:
        popup = self._completer.popup()
        # QCompleter creates its list view on first use; it is never None after.
        assert popup is not None
        return popup

    def completer_popup_visible(self) -> bool:
        """Return True while the completion list is open."""
        return self._popup().isVisible()

    def set_names(self, names: Sequence[str]) -> None:
        """Set the tag names offered for completion."""
        self._names = sorted(set(names), key=str.casefold)

    def _entry_bounds(self) -> tuple[int, int]:
        """Return the [start, end) of the comma-separated entry under the cursor."""
        text, pos = self.text(), self.cursorPosition()
        start = text.rfind(",", 0, pos) + 1
        end = text.find(",", pos)
        return start, len(text) if end < 0 else end

    def _update_completions(self, text: str) -> None:
        start, _ = self._entry_bounds()
        prefix = text[start : self.cursorPosition()].strip()
        popup = self._popup()
        if not prefix:
            popup.hide()
            return
        # Don't offer tags already in the text (other than the one being typed).
        _, end = self._entry_bounds()
        present = {name.casefold() for name in parse_tag_list(f"{text[:start]},{text[end:]}")}
        self._model.setStringList([n for n in self._names if n.casefold() not in present])
        self._completer.setCompletionPrefix(prefix)
        if self._completer.completionCount() == 0:
            popup.hide()
            return
        self._completer.complete()

    def _insert_completion(self, name: str) -> None:
        start, end = self._entry_bounds()
        text = self.text()
        before = text[:start].rstrip()
        lead = f"{before} " if before else ""
        new = f"{lead}{name}, "
        rest = text[end:].lstrip(",").strip()
        self.setText(new + rest)
        self.setCursorPosition(len(new))
        # setText clears "modified"; this was a user edit all the same.
        self.setModified(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.completer_popup_visible() and event.key() in (
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
            Qt.Key.Key_Escape,
            Qt.Key.Key_Tab,
            Qt.Key.Key_Backtab,
        ):
            popup = self._popup()
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
                not popup.currentIndex().isValid()
            ):
                # Nothing chosen in the list: Enter commits what was typed.
                popup.hide()
                super().keyPressEvent(event)
                return
            # Leave the key to the completer: it completes or closes the list.
            event.ignore()
            return
        super().keyPressEvent(event)


class DetailPane(QWidget):
    """Shows one paper and turns the user's edits into signals.

    Signals carry the paper id so the window applies them to the right paper
    even if the selection has moved on by the time it handles them.
    """

    starToggled = Signal(int, bool)
    readToggled = Signal(int, bool)
    # The full new list of tag names for the paper.
    tagsChanged = Signal(int, list)
    noteChanged = Signal(int, str)
    citekeyChanged = Signal(int, str)
    #: Several papers selected: (ids, "starred" or "read", value) for all of them.
    selectionFlagChanged = Signal(list, str, bool)
    #: Several papers selected: (ids, tag names) to add to every one of them.
    selectionTagsAdded = Signal(list, list)
    #: Several papers selected: (ids, tag names) to take off every one of them.
    selectionTagsRemoved = Signal(list, list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._paper: PaperData | None = None
        self._hits: SearchResult | None = None
        # Tags and key as last shown or sent, to send each change only once.
        self._known_tags: list[str] = []
        self._known_citekey = ""
        # The note text the library is known to hold for the current paper.
        self._saved_note = ""
        self._note_dirty = False
        self._loading_note = False
        # Bumped by every show_paper, to notice a nested call (see show_paper).
        self._generation = 0
        self._chip_tags: tuple[str, ...] | None = None
        # Tag colours by casefolded name ("" or absent: no colour chosen).
        self._tag_colours: dict[str, str] = {}
        # The papers of the multi-selection shown, [] when showing one paper.
        self._selection: list[PaperData] = []
        self._common_tags: list[str] = []

        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(NOTE_SAVE_DELAY_MS)
        self._note_timer.timeout.connect(self.flush_note)

        self._stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)

        self._empty = QLabel(EMPTY_TEXT)
        self._empty.setObjectName("emptyLabel")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setMargin(24)
        self._empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._stack.addWidget(self._empty)

        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._stack.addWidget(self._scroll)
        self._build_content()
        self._build_selection_page()
        self._apply_fonts()
        self._apply_colours()
        self.show_paper(None)

    # --- construction --------------------------------------------------------

    def _build_content(self) -> None:
        content = QWidget()
        content.setObjectName("detailContent")
        self._scroll.setWidget(content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(16, 14, 16, 16)
        layout.setSpacing(6)

        self._title = _TextBlock()
        self._title.setObjectName("title")
        self._title.setAccessibleName("Title")
        layout.addWidget(self._title)

        self._authors = self._plain_label("authors")
        layout.addWidget(self._authors)
        self._meta = self._plain_label("meta")
        self._meta.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self._meta)
        self._trashed = self._plain_label("trashedLabel")
        self._trashed.setText("This paper is in the trash.")
        self._trashed.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self._trashed)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 6, 0, 2)
        buttons.setSpacing(6)
        self._star = self._toggle_button("starButton", "Star or unstar this paper")
        self._star.clicked.connect(self._on_star_clicked)
        self._read = self._toggle_button("readButton", "Mark this paper as read or unread")
        self._read.clicked.connect(self._on_read_clicked)
        self._star.toggled.connect(self._update_toggle_looks)
        self._read.toggled.connect(self._update_toggle_looks)
        self._pdf = QToolButton()
        self._pdf.setObjectName("pdfButton")
        self._pdf.setText("Open PDF")
        self._pdf.setAutoRaise(True)
        self._pdf.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._pdf.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pdf.setIconSize(QSize(18, 18))
        self._pdf.clicked.connect(lambda _checked=False: self.open_pdf())
        self._pdf.hide()  # Shown for a paper with a PDF attached.
        buttons.addWidget(self._star)
        buttons.addWidget(self._read)
        buttons.addWidget(self._pdf)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self._links_header = self._header("Links")
        layout.addWidget(self._links_header)
        self._links = QLabel()
        self._links.setObjectName("links")
        self._links.setTextFormat(Qt.TextFormat.RichText)
        self._links.setWordWrap(True)
        # Never let the label open URLs itself: _open_link filters the scheme.
        self._links.setOpenExternalLinks(False)
        self._links.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self._links.setAccessibleName("Links")
        self._links.linkActivated.connect(self.open_link)
        self._links.linkHovered.connect(self._links.setToolTip)
        layout.addWidget(self._links)

        layout.addWidget(self._header("Tags"))
        self._chips = QWidget()
        self._chips.setObjectName("tagChips")
        self._chips_layout = _FlowLayout(self._chips, spacing=5)
        layout.addWidget(self._chips)
        self._tag_edit = _TagEdit()
        self._tag_edit.setObjectName("tagEdit")
        self._tag_edit.setPlaceholderText("Add tags, separated by commas")
        self._tag_edit.setAccessibleName("Tags")
        self._tag_edit.setClearButtonEnabled(True)
        self._tag_edit.editingFinished.connect(self._commit_tags)
        layout.addWidget(self._tag_edit)

        self._abstract_header = self._header("Abstract")
        layout.addWidget(self._abstract_header)
        self._abstract = _TextBlock()
        self._abstract.setObjectName("abstract")
        self._abstract.setAccessibleName("Abstract")
        layout.addWidget(self._abstract)

        note_header = QHBoxLayout()
        note_header.setContentsMargins(0, 0, 0, 0)
        self._note_header = self._header("Note")
        self._note_header.setObjectName("noteHeader")
        note_header.addWidget(self._note_header)
        note_header.addStretch(1)
        self._note_status = QLabel()
        self._note_status.setObjectName("noteStatus")
        self._note_status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        note_header.addWidget(self._note_status, 0, Qt.AlignmentFlag.AlignBottom)
        # A button, not a flat word: it must read as something to click.
        self._note_mode = QToolButton()
        self._note_mode.setObjectName("notePreviewButton")
        self._note_mode.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._note_mode.clicked.connect(self._note_mode_clicked)
        note_header.addWidget(self._note_mode, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(note_header)
        self._note = QPlainTextEdit()
        self._note.setObjectName("noteEdit")
        self._note.setAccessibleName("Note")
        self._note.setPlaceholderText(NOTE_PLACEHOLDER)
        self._note.setMinimumHeight(140)
        self._note.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._note.textChanged.connect(self._on_note_edited)
        layout.addWidget(self._note, 1)
        self._preview = NotePreview()
        self._preview.editRequested.connect(self.focus_note)
        self._preview.hide()
        layout.addWidget(self._preview)
        self._show_note_mode(False)

        layout.addWidget(self._header("Citation key"))
        self._citekey = QLineEdit()
        self._citekey.setObjectName("citekeyEdit")
        self._citekey.setAccessibleName("Citation key")
        self._citekey.setPlaceholderText("e.g. smith2024attention")
        self._citekey.editingFinished.connect(self._commit_citekey)
        self._citekey.textEdited.connect(self._clear_citekey_error)
        layout.addWidget(self._citekey)
        self._citekey_error = self._plain_label("citekeyError")
        self._citekey_error.hide()
        layout.addWidget(self._citekey_error)
        # Takes the slack while the note is shown rendered (the editor takes it
        # otherwise, having the only non-zero stretch): the sections stay together.
        layout.addStretch(0)

        # Only now: events start arriving as soon as a filter is installed.
        for watched in (self._tag_edit, self._note, self._citekey):
            watched.installEventFilter(self)

    def _build_selection_page(self) -> None:
        """The page shown for several papers: a count, bulk edits and shared tags."""
        self._selection_scroll = QScrollArea()
        self._selection_scroll.setObjectName("selectionPane")
        self._selection_scroll.setWidgetResizable(True)
        self._selection_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._selection_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._stack.addWidget(self._selection_scroll)
        content = QWidget()
        self._selection_scroll.setWidget(content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(16, 14, 16, 16)
        layout.setSpacing(6)

        self._selection_title = self._plain_label("selectionTitle")
        layout.addWidget(self._selection_title)
        self._selection_summary = self._plain_label("selectionSummary")
        self._selection_summary.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self._selection_summary)
        self._selection_trashed = self._plain_label("selectionTrashed")
        self._selection_trashed.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self._selection_trashed)

        # Two by two: four buttons do not fit a narrow pane on one line, and a
        # pair per line keeps each "do" next to its "undo".
        self._bulk_buttons = QWidget()
        self._bulk_buttons.setObjectName("bulkButtons")
        buttons = QGridLayout(self._bulk_buttons)
        buttons.setContentsMargins(0, 6, 0, 2)
        buttons.setHorizontalSpacing(6)
        buttons.setVerticalSpacing(2)
        buttons.setColumnStretch(2, 1)
        self._star_all = self._bulk_button("starAllButton", "Star all", "star-filled")
        self._unstar_all = self._bulk_button("unstarAllButton", "Unstar all", "star")
        self._read_all = self._bulk_button("readAllButton", "Mark all read", "read")
        self._unread_all = self._bulk_button("unreadAllButton", "Mark all unread", "unread")
        for index, (button, flag, value) in enumerate(
            (
                (self._star_all, "starred", True),
                (self._unstar_all, "starred", False),
                (self._read_all, "read", True),
                (self._unread_all, "read", False),
            )
        ):
            button.clicked.connect(
                lambda _checked=False, f=flag, v=value: self._send_selection_flag(f, v)
            )
            buttons.addWidget(button, index // 2, index % 2)
        layout.addWidget(self._bulk_buttons)

        layout.addWidget(self._header("Tags in common"))
        self._selection_chips = QWidget()
        self._selection_chips.setObjectName("selectionChips")
        self._selection_chips_layout = _FlowLayout(self._selection_chips, spacing=5)
        layout.addWidget(self._selection_chips)
        self._no_common_tags = self._plain_label("noCommonTags")
        self._no_common_tags.setText("No tag is on all of them.")
        self._no_common_tags.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self._no_common_tags)
        self._selection_tag_edit = _TagEdit()
        self._selection_tag_edit.setObjectName("selectionTagEdit")
        self._selection_tag_edit.setAccessibleName("Add tags to all selected papers")
        self._selection_tag_edit.setClearButtonEnabled(True)
        self._selection_tag_edit.editingFinished.connect(self._commit_selection_tags)
        layout.addWidget(self._selection_tag_edit)

        layout.addWidget(self._header("Selected"))
        self._selection_titles = self._plain_label("selectionTitles")
        layout.addWidget(self._selection_titles)
        layout.addStretch(1)
        self._selection_tag_edit.installEventFilter(self)

    def _bulk_button(self, name: str, text: str, icon_name: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setText(text)
        button.setProperty("iconName", icon_name)
        button.setAutoRaise(True)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        button.setIconSize(QSize(18, 18))
        button.setToolTip(f"{text} of the selected papers")
        return button

    @staticmethod
    def _plain_label(name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        # Imported text is shown literally, never guessed to be rich text.
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        # Mouse selection only: keyboard selection would add a Tab stop per label.
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    @staticmethod
    def _header(text: str) -> QLabel:
        label = QLabel(text)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setProperty("sectionHeader", True)
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        label.setContentsMargins(0, 10, 0, 0)
        return label

    def _toggle_button(self, name: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setCheckable(True)
        button.setAutoRaise(True)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        # Tool buttons only take focus by Tab; Space then toggles them.
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        button.setIconSize(QSize(18, 18))
        button.setToolTip(tip)
        return button

    def _apply_fonts(self) -> None:
        base = self.font()
        title = QFont(base)
        if base.pointSizeF() > 0:
            title.setPointSizeF(base.pointSizeF() * 1.35)
        else:
            title.setPixelSize(round(base.pixelSize() * 1.35))
        title.setWeight(QFont.Weight.Bold)
        self._title.setFont(title)
        self._selection_title.setFont(title)
        header = QFont(base)
        header.setWeight(QFont.Weight.DemiBold)
        header.setCapitalization(QFont.Capitalization.AllUppercase)
        header.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 106)
        if base.pointSizeF() > 0:
            header.setPointSizeF(base.pointSizeF() * 0.85)
        for label in self.findChildren(QLabel):
            if label.property("sectionHeader"):
                label.setFont(header)

    def _apply_colours(self) -> None:
        """Refresh everything drawn with colours computed from the palette."""
        self._update_toggle_looks()
        self._pdf.setIcon(icon("note"))  # a document; recoloured for the palette
        for button in (self._star_all, self._unstar_all, self._read_all, self._unread_all):
            button.setIcon(icon(str(button.property("iconName"))))
        dark = _is_dark(self.palette())
        error = "#f28b82" if dark else "#c5221f"
        self._citekey_error.setStyleSheet(f"color: {error};")
        self._chip_tags = None
        self._show_chips(self._known_tags)
        self._show_selection_chips()

    def changeEvent(self, event: QEvent) -> None:
        # A dark/light switch or a new font arrives here; refresh what we
        # computed from them (icons are recoloured for the new palette).
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()
        elif event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
        super().changeEvent(event)

    # --- public API ----------------------------------------------------------

    def current_id(self) -> int | None:
        """Return the id of the paper shown, or None when the pane is empty."""
        return self._paper.id if self._paper is not None else None

    def show_paper(self, paper: PaperData | None, hits: SearchResult | None = None) -> None:
        """Show *paper* (or the empty state), highlighting the search *hits*.

        A pending note edit of the previous paper is saved first.  Showing the
        same paper again (after an edit, or an undo) refreshes the view but
        keeps whatever the user is in the middle of typing.
        """
        self._generation += 1
        generation = self._generation
        typing = self._note_dirty
        self.flush_note()
        if generation != self._generation:
            # Saving the note made the window call show_paper again, with
            # newer data than ours: that call has already done the work.
            return
        previous = self._paper
        same = paper is not None and previous is not None and previous.id == paper.id
        self._paper = paper
        self._hits = hits
        self._selection = []
        self._common_tags = []
        if paper is None:
            self._known_tags = []
            self._known_citekey = ""
            self._load_note("")
            self._clear_citekey_error()
            self._stack.setCurrentWidget(self._empty)
            return

        self._show_header(paper, hits)
        self._star.setChecked(paper.starred)
        self._read.setChecked(paper.read)
        self._pdf.setVisible(bool(paper.pdf_path))
        self._pdf.setToolTip(f"Open the attached PDF: {paper.pdf_path}" if paper.pdf_path else "")
        links = paper_links(paper)
        self._links.setText(links_html(links))
        self._links_header.setVisible(bool(links))
        self._links.setVisible(bool(links))

        self._known_tags = list(paper.tags)
        self._show_chips(self._known_tags)
        if not (same and self._tag_edit.hasFocus() and self._tag_edit.isModified()):
            self._tag_edit.setText(", ".join(paper.tags))

        # Spans are computed on exactly the text shown, so positions line up.
        abstract = paper.abstract.replace("\r\n", "\n").strip()
        self._abstract.set_plain_text(
            abstract,
            highlight_spans(abstract, "abstract", hits) if hits else (),
            line_height=145,
            paragraph_gap=6,
        )
        self._abstract_header.setVisible(bool(abstract))
        self._abstract.setVisible(bool(abstract))

        self._known_citekey = paper.citekey
        if not (same and self._citekey.hasFocus() and self._citekey.isModified()):
            self._citekey.setText(paper.citekey)
        if same:
            # The window fetched *paper* before we flushed, so while the user
            # is typing its note is older than the editor's: keep the editor.
            # Otherwise a note other than the one we last saved or loaded was
            # changed elsewhere (an undo, the command line): show it.
            if not typing and paper.note != self._saved_note:
                position = self._note.textCursor().position()
                self._load_note(paper.note)
                cursor = self._note.textCursor()
                cursor.setPosition(min(position, len(self._note.toPlainText())))
                self._note.setTextCursor(cursor)
        else:
            self._clear_citekey_error()
            self._load_note(paper.note)
            self._scroll.verticalScrollBar().setValue(0)
        self._stack.setCurrentWidget(self._scroll)

    def show_selection(self, papers: Sequence[PaperData]) -> None:
        """Show several selected *papers*: their count, shared tags and bulk edits.

        No field of any one paper can be edited here; the edits apply to all
        of them and leave as the ``selection…`` signals.  One paper is shown
        as by :meth:`show_paper`, none as the empty state.  A pending note
        edit of the paper shown before is saved first.
        """
        if len(papers) <= 1:
            self.show_paper(papers[0] if papers else None, self._hits)
            return
        self._generation += 1
        # Unlike show_paper, go on after a nested call: the selection is newer.
        self.flush_note()
        same = [p.id for p in papers] == self.selection_ids()
        self._paper = None
        self._known_tags = []
        self._known_citekey = ""
        self._load_note("")
        self._selection = list(papers)
        n = len(papers)
        self._selection_title.setText(f"{n:,} papers selected")
        starred = sum(p.starred for p in papers)
        read = sum(p.read for p in papers)
        self._selection_summary.setText(f"{starred:,} starred · {read:,} read")
        trashed = any(p.trashed for p in papers)
        self._selection_trashed.setText(
            "These papers are in the trash."
            if all(p.trashed for p in papers)
            else "Some of these papers are in the trash."
        )
        self._selection_trashed.setVisible(trashed)
        # Papers in the trash are restored, not edited (as the toolbar has it).
        self._star_all.setEnabled(not trashed and starred < n)
        self._unstar_all.setEnabled(not trashed and starred > 0)
        self._read_all.setEnabled(not trashed and read < n)
        self._unread_all.setEnabled(not trashed and read > 0)
        self._selection_tag_edit.setEnabled(not trashed)
        self._selection_tag_edit.setPlaceholderText(
            f"Add tags to all {n:,} papers, separated by commas"
        )
        common = {t.casefold() for t in papers[0].tags}
        for paper in papers[1:]:
            common &= {t.casefold() for t in paper.tags}
        self._common_tags = [t for t in papers[0].tags if t.casefold() in common]
        self._show_selection_chips()
        titles = [" ".join(p.title.split()) or "Untitled" for p in papers]
        lines = [f"• {t}" for t in titles[:_MAX_SELECTION_TITLES]]
        if n > _MAX_SELECTION_TITLES:
            lines.append(f"… and {n - _MAX_SELECTION_TITLES:,} more")
        self._selection_titles.setText("\n".join(lines))
        if not same:
            self._selection_tag_edit.clear()
            self._selection_scroll.verticalScrollBar().setValue(0)
        self._stack.setCurrentWidget(self._selection_scroll)

    def selection_ids(self) -> list[int]:
        """Return the ids of the papers shown by :meth:`show_selection` ([] if none)."""
        return [p.id for p in self._selection]

    def set_tag_completions(self, names: list[str]) -> None:
        """Offer *names* (all tags in the library) when typing tags."""
        self._tag_edit.set_names(names)
        self._selection_tag_edit.set_names(names)

    def set_tag_colours(self, colours: Mapping[str, str]) -> None:
        """Draw the chip of each tag in *colours* (name → "#rrggbb") in that colour."""
        known = {name.casefold(): colour for name, colour in colours.items() if colour}
        if known == self._tag_colours:
            return
        self._tag_colours = known
        self._chip_tags = None
        self._show_chips(self._known_tags)
        self._show_selection_chips()

    def set_note_preview(self, on: bool) -> None:
        """Show the note rendered from Markdown (*on*) or its editor (off).

        The choice stays as the user moves between papers; Edit note
        (:meth:`focus_note`) always comes back to the editor.
        """
        if on == self.note_preview_shown():
            return
        if on:
            # Leaving the editor: save what was typed, as leaving it by Tab does.
            self.flush_note()
            self._preview.set_markdown(self._note.toPlainText())
        self._show_note_mode(on)

    def _note_mode_clicked(self) -> None:
        # "Edit" means writing: the editor takes the keyboard at once, or the
        # next keys would go to whatever had it (the list's shortcuts).
        if self.note_preview_shown():
            self.focus_note()
        else:
            self.set_note_preview(True)

    def note_preview_shown(self) -> bool:
        """Return True while the note is shown rendered rather than as text."""
        return not self._preview.isHidden()

    def _show_note_mode(self, preview: bool) -> None:
        had_focus = self._note.hasFocus()
        self._preview.setVisible(preview)
        self._note.setVisible(not preview)
        self._note_mode.setText("Edit" if preview else "Preview")
        self._note_mode.setToolTip(
            "Edit the note as Markdown text" if preview else "Show the note rendered"
        )
        if had_focus and preview:
            # The hidden editor had the focus: keep it on the switch just used.
            self._note_mode.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_note(self) -> None:
        """Move the keyboard focus to the note editor, scrolling it into view."""
        if self._paper is None:
            return
        self.set_note_preview(False)
        self._scroll_note_into_view()
        if not self._note.hasFocus():
            # Coming from the list, the user most likely wants to add to the note.
            self._note.moveCursor(QTextCursor.MoveOperation.End)
        self._note.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _scroll_note_into_view(self) -> None:
        """Scroll so the note's header and as much of its editor as fits are in view.

        ``QScrollArea.ensureWidgetVisible`` would only bring the text cursor
        into view (a sliver of the editor), and with the geometry from before
        the last :meth:`show_paper`, which lays out later.
        """
        content = self._scroll.widget()
        if content is None:
            return
        layout = content.layout()
        if layout is not None:
            layout.activate()
        # Resizes the content to its new layout now rather than on the next event.
        self._scroll.setWidgetResizable(True)
        top = self._note_header.mapTo(content, QPoint(0, 0)).y() - _NOTE_SCROLL_MARGIN
        bottom = self._note.mapTo(content, QPoint(0, self._note.height())).y()
        bottom += _NOTE_SCROLL_MARGIN
        bar = self._scroll.verticalScrollBar()
        height = self._scroll.viewport().height()
        if bottom - top > height or top < bar.value():
            bar.setValue(max(0, top))  # The header and the editor's first lines.
        elif bottom > bar.value() + height:
            bar.setValue(bottom - height)

    def flush_note(self) -> None:
        """Send a pending note edit now (on paper change, focus loss and quit)."""
        self._note_timer.stop()
        if not self._note_dirty or self._paper is None:
            return
        self._note_dirty = False
        text = self._note.toPlainText()
        self._note_status.setText("Saved")
        if text == self._saved_note:
            return
        self._saved_note = text
        # Emit last: the window may call back into show_paper from its slot.
        self.noteChanged.emit(self._paper.id, text)

    def show_citekey_error(self, message: str) -> None:
        """Show why a citation key was refused, and put the previous key back."""
        self._citekey_error.setText(message)
        self._citekey_error.show()
        self._known_citekey = self._paper.citekey if self._paper is not None else ""
        self._citekey.setText(self._paper.citekey if self._paper is not None else "")

    def pdf_path(self) -> str:
        """Return the attached PDF of the paper shown ("" if none, or no paper)."""
        return self._paper.pdf_path if self._paper is not None else ""

    def open_pdf(self) -> bool:
        """Open the attached PDF of the paper shown; return whether it was opened."""
        path = self.pdf_path()
        return open_file(self, path) if path else False

    def open_link(self, url: str) -> bool:
        """Open *url* if it is http(s), or a file the user confirms; return whether opened."""
        return open_url(self, url)

    # --- header ----------------------------------------------------------------

    def _show_header(self, paper: PaperData, hits: SearchResult | None) -> None:
        title = " ".join(paper.title.split()) or "Untitled"
        self._title.set_plain_text(title, highlight_spans(title, "title", hits) if hits else ())

        authors = list(paper.authors)
        if not authors:
            self._authors.setText("Unknown authors")
            self._authors.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self._authors.setToolTip("")
        else:
            shown = ", ".join(authors[:_MAX_AUTHORS])
            if len(authors) > _MAX_AUTHORS:
                shown += f", … ({len(authors)} authors)"
            self._authors.setText(shown)
            self._authors.setForegroundRole(QPalette.ColorRole.WindowText)
            self._authors.setToolTip("")

        parts = [str(paper.year) if paper.year else "", paper.venue.strip()]
        if paper.arxiv_id:
            parts.append(f"arXiv:{paper.arxiv_id}")
        if paper.doi:
            parts.append(f"DOI {paper.doi}")
        meta = " · ".join(p for p in parts if p)
        self._meta.setText(meta)
        self._meta.setVisible(bool(meta))
        self._trashed.setVisible(paper.trashed)

    # --- star and read -------------------------------------------------------------

    def _update_toggle_looks(self) -> None:
        starred = self._star.isChecked()
        self._star.setIcon(icon("star-filled" if starred else "star"))
        self._star.setText("Starred" if starred else "Star")
        read = self._read.isChecked()
        self._read.setIcon(icon("read" if read else "unread"))
        self._read.setText("Read" if read else "Unread")

    def _on_star_clicked(self, checked: bool) -> None:
        if self._paper is not None:
            self.starToggled.emit(self._paper.id, checked)

    def _on_read_clicked(self, checked: bool) -> None:
        if self._paper is not None:
            self.readToggled.emit(self._paper.id, checked)

    # --- tags ----------------------------------------------------------------------

    def _show_chips(self, tags: Sequence[str]) -> None:
        if self._chip_tags == tuple(tags):
            return
        self._chip_tags = tuple(tags)
        self._fill_chips(self._chips, self._chips_layout, tags, self._remove_tag)

    def _fill_chips(
        self,
        box: QWidget,
        layout: _FlowLayout,
        tags: Sequence[str],
        remove: Callable[[str], None],
        scope: str = "",
    ) -> None:
        """Put a removable chip per tag in *box*; a click calls *remove* with its name."""
        while (item := layout.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                # Later, not now: this may run inside the chip's own click.
                widget.hide()
                widget.deleteLater()
        dark = _is_dark(self.palette())
        for name in tags:
            chip = QToolButton(box)
            chip.setText(f"{name}  ×")
            chip.setToolTip(f"Remove the tag “{name}”{scope}")
            chip.setAccessibleName(f"Remove tag {name}")
            # Chips are created after the editors and would land at the end
            # of the Tab chain; the keyboard edits tags in the line edit.
            chip.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            chip.setStyleSheet(_chip_style(dark, self._tag_colours.get(name.casefold(), "")))
            chip.clicked.connect(lambda _=False, n=name: remove(n))
            layout.addWidget(chip)
            chip.show()
        box.setVisible(bool(tags))

    def _remove_tag(self, name: str) -> None:
        self._send_tags([t for t in self._known_tags if t != name])

    def _commit_tags(self) -> None:
        if self._tag_edit.completer_popup_visible():
            return
        tags = parse_tag_list(self._tag_edit.text())
        self._send_tags(tags)

    def _send_tags(self, tags: list[str]) -> None:
        if self._paper is None:
            return
        normal = ", ".join(tags)
        if self._tag_edit.text() != normal:
            self._tag_edit.setText(normal)
        if tags == self._known_tags:
            return
        self._known_tags = tags
        self._show_chips(tags)
        self.tagsChanged.emit(self._paper.id, list(tags))

    # --- several papers ---------------------------------------------------------------

    def _show_selection_chips(self) -> None:
        tags = self._common_tags
        self._fill_chips(
            self._selection_chips,
            self._selection_chips_layout,
            tags,
            self._remove_selection_tag,
            " from all selected papers",
        )
        trashed = any(p.trashed for p in self._selection)
        for chip in self._selection_chips.findChildren(QToolButton):
            chip.setEnabled(not trashed)
        self._no_common_tags.setVisible(bool(self._selection) and not tags)

    def _send_selection_flag(self, flag: str, value: bool) -> None:
        ids = self.selection_ids()
        if ids:
            self.selectionFlagChanged.emit(ids, flag, value)

    def _remove_selection_tag(self, name: str) -> None:
        ids = self.selection_ids()
        if not ids:
            return
        # Shown gone at once; the window's refresh confirms it.
        self._common_tags = [t for t in self._common_tags if t != name]
        self._show_selection_chips()
        self.selectionTagsRemoved.emit(ids, [name])

    def _commit_selection_tags(self) -> None:
        edit = self._selection_tag_edit
        if edit.completer_popup_visible():
            return
        tags = parse_tag_list(edit.text())
        edit.clear()
        ids = self.selection_ids()
        if ids and tags:
            self.selectionTagsAdded.emit(ids, tags)

    # --- citation key ----------------------------------------------------------------

    def _commit_citekey(self) -> None:
        if self._paper is None:
            return
        key = self._citekey.text().strip()
        if key == self._known_citekey:
            return
        self._known_citekey = key
        self.citekeyChanged.emit(self._paper.id, key)

    def _clear_citekey_error(self) -> None:
        self._citekey_error.hide()
        self._citekey_error.clear()

    # --- note ------------------------------------------------------------------------

    def _load_note(self, text: str) -> None:
        self._note_timer.stop()
        self._loading_note = True
        try:
            self._note.setPlainText(text)
        finally:
            self._loading_note = False
        self._note_dirty = False
        self._saved_note = text
        self._note_status.clear()
        if self.note_preview_shown():
            self._preview.set_markdown(text)

    def _on_note_edited(self) -> None:
        if self._loading_note or self._paper is None:
            return
        self._note_dirty = True
        self._note_status.setText("Saving…")
        # Restarting the timer on each keystroke saves once typing pauses.
        self._note_timer.start()

    # --- keys and focus ----------------------------------------------------------------

    def _revert_edit(self, watched: QObject) -> bool:
        """Abandon a half-typed tag or key edit (Escape); return True if one was reverted."""
        if watched is self._tag_edit and not self._tag_edit.completer_popup_visible():
            self._tag_edit.setText(", ".join(self._known_tags))
            return True
        if watched is self._citekey:
            self._citekey.setText(self._known_citekey)
            self._clear_citekey_error()
            return True
        if (
            watched is self._selection_tag_edit
            and not self._selection_tag_edit.completer_popup_visible()
        ):
            self._selection_tag_edit.clear()
            return True
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._note and event.type() == QEvent.Type.FocusOut:
            self.flush_note()
        elif (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and self._revert_edit(watched)
        ):
            return True
        return super().eventFilter(watched, event)


def _luminance(colour: QColor) -> float:
    """Return the WCAG relative luminance of *colour* (0 black … 1 white)."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def _readable_on(back: QColor) -> QColor:
    """Return black or white, whichever contrasts more with *back* (WCAG ratio)."""
    lum = _luminance(back)
    on_black = (lum + 0.05) / 0.05
    on_white = 1.05 / (lum + 0.05)
    return QColor("#000000") if on_black >= on_white else QColor("#ffffff")


def _chip_style(dark: bool, colour: str = "") -> str:
    """Return the style sheet of a tag chip.

    A tag with a colour chosen in the sidebar is drawn in that colour (as its
    dot there), with black or white text, whichever reads better on it.  A
    tag without one is a neutral grey, as its hollow dot in the sidebar: a
    colour of our choosing would look like one the user chose.
    """
    chosen = QColor(colour) if colour and QColor.isValidColorName(colour) else QColor()
    if chosen.isValid():
        back = chosen
        text = _readable_on(back)
        # A rim a shade off the fill keeps a pale chip visible on a pale pane.
        border = back.lighter(140) if dark else back.darker(125)
    elif dark:
        back, text, border = (
            QColor.fromHsl(0, 0, 68),
            QColor.fromHsl(0, 0, 225),
            QColor.fromHsl(0, 0, 100),
        )
    else:
        back, text, border = (
            QColor.fromHsl(0, 0, 236),
            QColor.fromHsl(0, 0, 50),
            QColor.fromHsl(0, 0, 205),
        )
    return (
        f"QToolButton {{ background-color: {back.name()}; color: {text.name()};"
        f" border: 1px solid {border.name()}; border-radius: 10px; padding: 1px 8px; }}"
        f" QToolButton:hover, QToolButton:focus {{ border-color: {text.name()}; }}"
    )
