"""Help → Search syntax and Help → Keyboard shortcuts: true to the parser and to the actions."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence
from pytestqt.qtbot import QtBot

from readinglist.core.query import Query
from readinglist.gui.help import SEARCH_SYNTAX, action_label, shortcut_rows
from readinglist.gui.main_window import MainWindow
from readinglist.library import Library
from readinglist.search.analysis import FIELD_ALIASES

# The offscreen platform cannot do these window-system things and says so.
pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

NATIVE = QKeySequence.SequenceFormat.NativeText


def _help_entry(window: MainWindow, text: str) -> QAction:
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    return next(a for a in help_menu.actions() if action_label(a) == text)


def test_the_help_menu_opens_both_pages_beside_the_window(window: MainWindow) -> None:
    _help_entry(window, "Search syntax").trigger()
    syntax = window.help.syntax
    assert syntax is not None and syntax.isVisible() and not syntax.isModal()
    _help_entry(window, "Keyboard shortcuts").trigger()
    shortcuts = window.help.shortcuts
    assert shortcuts is not None and shortcuts.isVisible() and not shortcuts.isModal()
    # Asked for again, the same page comes forward.
    window.help.show_search_syntax()
    assert window.help.syntax is syntax and syntax.isVisible()


def test_every_action_with_a_key_is_listed_with_its_keys(window: MainWindow) -> None:
    window.help.show_shortcuts()
    assert window.help.shortcuts is not None
    shown = window.help.shortcuts.rows_text()
    with_keys = [
        a for a in window.findChildren(QAction) if any(not k.isEmpty() for k in a.shortcuts())
    ]
    assert len(with_keys) >= 15
    for action in with_keys:
        keys = ", ".join(k.toString(NATIVE) for k in action.shortcuts() if not k.isEmpty())
        assert any(cmd == action_label(action) and k == keys for cmd, k, _w in shown), (
            action_label(action),
            keys,
        )
    commands = {cmd for cmd, _k, _w in shown}
    # The menu's text without its mnemonic; the single keys say where they work.
    assert "Star / unstar" in commands and not any("&" in c for c in commands)
    where = {cmd: w for cmd, _k, w in shown}
    assert where["Star / unstar"] == "In the paper list"
    assert where["Import…"] == "Anywhere"
    assert ("Search syntax", QKeySequence("F1").toString(NATIVE)) in {(c, k) for c, k, _ in shown}


def test_a_changed_or_new_shortcut_shows_up(window: MainWindow) -> None:
    window.help.show_shortcuts()
    window.act.star.setShortcut(QKeySequence("Ctrl+Alt+K"))
    extra = QAction("Frobnicate &widgets", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+J"))
    window.help.show_shortcuts()  # Listed as the keys are now, not as they were.
    assert window.help.shortcuts is not None
    shown = {cmd: keys for cmd, keys, _w in window.help.shortcuts.rows_text()}
    assert shown["Star / unstar"] == QKeySequence("Ctrl+Alt+K").toString(NATIVE)
    assert shown["Frobnicate widgets"] == QKeySequence("Ctrl+Alt+J").toString(NATIVE)
    rows = shortcut_rows(window)
    assert next(r for r in rows if r.command == "Frobnicate widgets").menu == "Other"
    assert next(r for r in rows if r.command == "Star / unstar").menu == "Paper"
    window.act.star.setShortcut(QKeySequence())
    window.help.show_shortcuts()
    assert "Star / unstar" not in {cmd for cmd, _k, _w in window.help.shortcuts.rows_text()}


def test_every_search_example_is_read_by_the_parser(gui_lib: Library) -> None:
    ids = gui_lib.query_ids(Query())
    gui_lib.add_tags(ids[:3], ["to-read"])
    gui_lib.add_tags(ids[2:4], ["machine learning"])
    gui_lib.flush_index()
    examples = [example for _topic, rows in SEARCH_SYNTAX for example, _meaning in rows]
    for example in examples:
        gui_lib.query(Query(text=example))  # A QuerySyntaxError fails the test.
    assert len(gui_lib.query_ids(Query(text="tag:to-read"))) == 3
    assert len(gui_lib.query_ids(Query(text='tag:"machine learning"'))) == 2
    assert gui_lib.query_ids(Query(text="vision AND video")) == gui_lib.query_ids(
        Query(text="vision video")
    )
    # Every field name (and its other spellings) is on the page.
    page = " ".join(f"{e} {m}" for _t, rows in SEARCH_SYNTAX for e, m in rows)
    named = set(re.findall(r"\b([a-z]+):", page))
    for field, aliases in FIELD_ALIASES.items():
        assert named & {field, *aliases}, field
    for alias in ("by", "notes", "url"):
        assert f"{alias}:" in page
    for word in ("AND", "OR", "NOT", "(", '"', "*"):
        assert word in page


def test_clicking_an_example_searches_for_it(window: MainWindow, qtbot: QtBot) -> None:
    window.help.show_search_syntax()
    syntax = window.help.syntax
    assert syntax is not None
    assert "title:mamba" in syntax.browser.toPlainText()
    with qtbot.waitSignal(window.queryFinished, timeout=10_000):
        syntax.browser.anchorClicked.emit(QUrl(f"try-search:{quote('title:mamba', safe='')}"))
    assert window.search_edit.text() == "title:mamba"
    assert window.model.rowCount() == 1


def test_the_search_fields_own_keys_are_listed_and_work(window: MainWindow, qtbot: QtBot) -> None:
    rows = {r.command: r for r in shortcut_rows(window)}
    clear = rows["Clear the search"]
    assert clear.menu == "Search field" and clear.where == "In the search field"
    assert clear.keys == QKeySequence(Qt.Key.Key_Escape).toString(NATIVE)
    assert rows["Move to the results"].keys == QKeySequence(Qt.Key.Key_Down).toString(NATIVE)
    # The listed key is the one the field reacts to.
    window.search_edit.setText("mamba")
    key = next(k for c, k in window.search_edit.KEYS if c == "Clear the search")
    qtbot.keyClick(window.search_edit, key)
    assert window.search_edit.text() == ""
