"""Help → Search syntax and Help → Keyboard shortcuts: two windows that stay open beside the work.

Owns :class:`HelpPages`, which opens them (non-modal, one of each, raised
when asked for again).  The search syntax page says what
:mod:`readinglist.search.parsing` understands, with examples that put
themselves in the search field when clicked.  The shortcut list is not
written anywhere: :func:`shortcut_rows` reads it from the window's QActions
each time the page is shown (the menus' order first, then any action with a
key that no menu shows), so a key added, changed or removed is listed as it
now is.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QTextBrowser,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "SEARCH_SYNTAX",
    "HelpPages",
    "ShortcutRow",
    "action_label",
    "search_syntax_html",
    "shortcut_rows",
]

#: What the search understands, by topic: (topic, ((example, what it finds), ...)).
#: Each example is real search text (tests/gui/test_help.py runs every one).
SEARCH_SYNTAX: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Words",
        (
            (
                "language models",
                "Papers with every word, anywhere: title, abstract, authors, tags, note, "
                "links or citation key. Best matches first, title matches above abstract ones.",
            ),
            (
                "modeling",
                "Words match their other forms: modeling, models and model find each other.",
            ),
        ),
    ),
    (
        "Fields",
        (
            ("title:mamba", "The word in the title."),
            ("abstract:graph", "The word in the abstract."),
            ("author:vaswani", "An author's name (also by:vaswani)."),
            ("tag:to-read", "Papers tagged to-read: the whole tag, not a word of it."),
            ('tag:"machine learning"', "A tag with a space in its name, in quotes."),
            ("note:idea", "The word in your note (also notes:idea)."),
            ("link:arxiv", "A word of a link (also url:arxiv)."),
            ("key:vaswani2017", "The citation key (case does not matter)."),
        ),
    ),
    (
        "Phrases and prefixes",
        (
            ('"object detection"', "The words next to each other, in this order."),
            ('title:"state space"', "A phrase in one field."),
            ("distill*", "Words starting with distill: distillation, distilled…"),
            (
                "language mod",
                "While you type, the last word is already a prefix (as mod*); "
                "a space after it searches the whole word.",
            ),
        ),
    ),
    (
        "Combining",
        (
            ("vision AND video", "Both words (the same as vision video)."),
            ("vision OR video", "Either word."),
            ("training NOT reinforcement", "The first word without the second."),
            (
                "(vision OR video) AND NOT diffusion",
                "Parentheses group; AND, OR and NOT are written in capitals "
                "(a lower-case and is just a word).",
            ),
            ("tag:to-read NOT tag:done", "Fields combine like words."),
        ),
    ),
)

# Links in the search syntax page carry their example after this scheme.
_TRY = "try-search"


def search_syntax_html() -> str:
    """The Search syntax page as rich text: one table, a heading row per topic.

    One table rather than one per topic, so the examples line up down the page.
    """
    parts = [
        "<p>Type in the search field at the top of the window; the list shows the "
        "matches as you type. A search that cannot be read says why, under the field. "
        "Click an example to try it.</p>",
        '<table cellspacing="0" cellpadding="3">',
    ]
    for topic, rows in SEARCH_SYNTAX:
        parts.append(f'<tr><td colspan="2"><h3>{html.escape(topic)}</h3></td></tr>')
        for example, meaning in rows:
            href = f"{_TRY}:{quote(example, safe='')}"
            parts.append(
                f'<tr><td style="white-space: pre"><a href="{html.escape(href)}">'
                f"<code>{html.escape(example)}</code></a>&nbsp;&nbsp;</td>"
                f"<td>{html.escape(meaning)}</td></tr>"
            )
    parts.append("</table>")
    parts.append(
        "<p>Sorting by a column (View → Sort by, or a click on its header) orders the "
        "matches by it; Relevance goes back to the best matches first.</p>"
    )
    return "\n".join(parts)


@dataclass(frozen=True)
class ShortcutRow:
    """One line of the shortcut list."""

    #: The menu it is in ("File", "View → Sort by"), or "Other".
    menu: str
    #: The command, as its menu shows it without the mnemonic's "&".
    command: str
    #: Its keys in the platform's own notation ("Ctrl+Shift+Z, Ctrl+Y").
    keys: str
    #: Where the keys work ("Anywhere", "In the paper list").
    where: str


def action_label(action: QAction) -> str:
    """An action's menu text without its mnemonic marks ("&&" is a real "&")."""
    text = action.text() or action.toolTip()
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _keys(action: QAction) -> str:
    native = QKeySequence.SequenceFormat.NativeText
    return ", ".join(k.toString(native) for k in action.shortcuts() if not k.isEmpty())


def _where(action: QAction, places: dict[QWidget, str]) -> str:
    if action.shortcutContext() in (
        Qt.ShortcutContext.ApplicationShortcut,
        Qt.ShortcutContext.WindowShortcut,
    ):
        return "Anywhere"
    # Menus, toolbars and their buttons show the action; the keys are meant
    # for the widgets it was added to for them (the paper list, the sidebar).
    shows = (QMenu, QMenuBar, QToolBar, QToolButton)
    names = [
        places.get(w) or w.accessibleName() or w.objectName() or type(w).__name__
        for w in action.associatedObjects()
        if isinstance(w, QWidget) and not isinstance(w, shows)
    ]
    names = list(dict.fromkeys(names))
    return "In " + ", ".join(names) if names else "Anywhere"


def _places(window: QMainWindow) -> dict[QWidget, str]:
    """The window's main widgets as the user knows them (for shortcuts scoped to one)."""
    named = {
        "table": "the paper list",
        "sidebar_view": "the sidebar",
        "welcome": "the welcome page",
        "detail": "the detail pane",
        "search_edit": "the search field",
    }
    out: dict[QWidget, str] = {}
    for attribute, label in named.items():
        widget = getattr(window, attribute, None)
        if isinstance(widget, QWidget):
            out[widget] = label
    return out


def _menu_actions(menu: QMenu, path: str) -> Iterable[tuple[str, QAction]]:
    for action in menu.actions():
        sub = action.menu()
        if isinstance(sub, QMenu):
            yield from _menu_actions(sub, f"{path} → {action_label(action)}")
        elif not action.isSeparator():
            yield path, action


def shortcut_rows(window: QMainWindow) -> list[ShortcutRow]:
    """Every action of *window* that has a key, in menu order, then those no menu shows.

    Read from the actions themselves (text, shortcuts, context) each time,
    so the list cannot drift from what the keys do.
    """
    places = _places(window)
    found: list[tuple[str, QAction]] = []
    seen: set[int] = set()
    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            for path, action in _menu_actions(menu, action_label(top)):
                if id(action) not in seen:
                    seen.add(id(action))
                    found.append((path, action))
    for action in window.findChildren(QAction):
        if id(action) not in seen:
            seen.add(id(action))
            found.append(("Other", action))
    rows: list[ShortcutRow] = []
    for path, action in found:
        keys = _keys(action)
        if keys:
            rows.append(ShortcutRow(path, action_label(action), keys, _where(action, places)))
    search = getattr(window, "search_edit", None)
    native = QKeySequence.SequenceFormat.NativeText
    for command, key in getattr(search, "KEYS", ()):
        rows.append(
            ShortcutRow(
                "Search field", command, QKeySequence(key).toString(native), "In the search field"
            )
        )
    return rows


class _SyntaxDialog(QDialog):
    """The Search syntax page."""

    def __init__(self, parent: QWidget, try_search: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.setObjectName("searchSyntax")
        self.setWindowTitle("Search syntax")
        self._try_search = try_search
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # The links are examples to try, not pages.
        self.browser.setHtml(search_syntax_html())
        self.browser.anchorClicked.connect(self._clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(680, 620)

    def _clicked(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith(f"{_TRY}:"):
            self._try_search(unquote(text.removeprefix(f"{_TRY}:")))


class _ShortcutsDialog(QDialog):
    """The Keyboard shortcuts page, rebuilt from the actions each time it is shown."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("keyboardShortcuts")
        self.setWindowTitle("Keyboard shortcuts")
        self._window = window
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Command", "Keys", "Where"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        note = QLabel("Keys of the paper list work while the list has the focus.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(620, 560)

    def refresh(self) -> None:
        """Fill the list from the window's actions as they are now."""
        self.tree.clear()
        heading_font = self.tree.font()
        heading_font.setBold(True)
        current = None
        for row in shortcut_rows(self._window):
            if row.menu != current:
                current = row.menu
                heading = QTreeWidgetItem(self.tree, [row.menu])
                heading.setFont(0, heading_font)
                heading.setFirstColumnSpanned(True)
            QTreeWidgetItem(self.tree, [f"    {row.command}", row.keys, row.where])

    def rows_text(self) -> list[tuple[str, str, str]]:
        """The (command, keys, where) shown, headings left out (for tests and copying)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.text(1):
                out.append((item.text(0).strip(), item.text(1), item.text(2)))
        return out


class HelpPages(QObject):
    """Opens the help pages of *window*; each stays open beside the work (non-modal)."""

    def __init__(self, window: QMainWindow, try_search: Callable[[str], None]) -> None:
        super().__init__(window)
        self._window = window
        self._try_search = try_search
        self.syntax: _SyntaxDialog | None = None
        self.shortcuts: _ShortcutsDialog | None = None

    def show_search_syntax(self) -> None:
        """Show the Search syntax page (raised if already open)."""
        if self.syntax is None:
            self.syntax = _SyntaxDialog(self._window, self._try_search)
            _beside_the_list(self.syntax, self._window)
        _present(self.syntax)

    def show_shortcuts(self) -> None:
        """Show the Keyboard shortcuts page, listing the keys as they are now."""
        if self.shortcuts is None:
            self.shortcuts = _ShortcutsDialog(self._window)
            _beside_the_list(self.shortcuts, self._window)
        self.shortcuts.refresh()
        _present(self.shortcuts)


def _beside_the_list(dialog: QDialog, window: QMainWindow) -> None:
    # Over the right of the window (the detail pane) rather than centred on
    # it: a clicked example's matches stay in view in the list.
    frame = window.frameGeometry()
    if window.isVisible() and frame.width() > dialog.width():
        dialog.move(frame.right() - dialog.width() - 24, frame.top() + 90)


def _present(dialog: QDialog) -> None:
    dialog.setModal(False)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
