"""The detail pane's note preview, Edit note scrolling, tag colours and several papers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, QSize, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QImage, QTextCursor, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPlainTextEdit, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from readinglist.gui.detail import DetailPane
from readinglist.gui.main_window import MainWindow
from readinglist.gui.markdown_view import NotePreview
from readinglist.gui.models import PAPER_ID_ROLE
from readinglist.library import Library

from .test_detail import child, make_paper

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

NOTE = (
    "# Key idea\n\n"
    "Selective *state spaces* are **fast**.\n\n"
    "- linear time\n- no attention\n\n"
    "`code` and [the paper](https://arxiv.org/abs/2312.00752)\n\n"
    "<script>alert(1)</script> [bad](javascript:alert(1))\n\n"
    "![plot](http://tracker.example/pixel.png)"
)


@pytest.fixture
def pane(qtbot: QtBot) -> DetailPane:
    widget = DetailPane()
    qtbot.addWidget(widget)
    widget.resize(420, 800)
    return widget


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    urls: list[str] = []

    def fake_open(url: QUrl) -> bool:
        urls.append(url.toString())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", fake_open)
    yield urls


def anchors(document: QTextDocument) -> list[str]:
    """Return the href of every anchor in *document*, in order."""
    found: list[str] = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isAnchor() and fmt.anchorHref() not in found:
                found.append(fmt.anchorHref())
            it += 1
        block = block.next()
    return found


# --- the preview ---------------------------------------------------------------------


def test_preview_toggle_shows_the_rendered_note(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    pane.show_paper(make_paper(note=NOTE))
    editor = child(pane, QPlainTextEdit, "noteEdit")
    preview = child(pane, NotePreview, "notePreview")
    button = child(pane, QToolButton, "notePreviewButton")
    assert button.text() == "Preview"
    assert editor.isVisible() and not preview.isVisible()

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert pane.note_preview_shown()
    assert preview.isVisible() and not editor.isVisible()
    assert button.text() == "Edit"
    text = preview.toPlainText()
    assert "Key idea" in text and "# Key idea" not in text
    assert "state spaces" in text and "*state" not in text
    assert "linear time" in text and "- linear" not in text
    # Raw HTML is shown as what was typed; only the web link is a link.
    assert "<script>alert(1)</script>" in text
    assert anchors(preview.document()) == [
        "https://arxiv.org/abs/2312.00752",
        "http://tracker.example/pixel.png",
    ]
    assert "[image: plot]" in text

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert editor.isVisible() and not preview.isVisible()
    assert editor.toPlainText() == NOTE  # the text itself is untouched


def test_preview_follows_the_paper_and_changes_elsewhere(pane: DetailPane) -> None:
    pane.show_paper(make_paper(1, note="# First"))
    pane.set_note_preview(True)
    preview = child(pane, NotePreview, "notePreview")
    assert preview.toPlainText().strip() == "First"
    pane.show_paper(make_paper(2, note="**Second**"))
    assert pane.note_preview_shown()  # the choice stays from paper to paper
    assert preview.toPlainText().strip() == "Second"
    pane.show_paper(make_paper(2, note="**Second, undone**"))  # an undo, say
    assert preview.toPlainText().strip() == "Second, undone"
    pane.show_paper(make_paper(3, note=""))
    assert "No note yet" in preview.toPlainText()


def test_switching_to_the_preview_saves_what_was_typed(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(5, note=""))
    editor = child(pane, QPlainTextEdit, "noteEdit")
    qtbot.keyClicks(editor, "## typed")
    with qtbot.waitSignal(pane.noteChanged, timeout=100) as blocker:
        pane.set_note_preview(True)
    assert blocker.args == [5, "## typed"]
    assert child(pane, NotePreview, "notePreview").toPlainText().strip() == "typed"


def test_edit_note_leaves_the_preview_for_the_editor(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    pane.activateWindow()
    pane.show_paper(make_paper(note="some note"))
    pane.set_note_preview(True)
    pane.focus_note()
    editor = child(pane, QPlainTextEdit, "noteEdit")
    assert not pane.note_preview_shown()
    qtbot.waitUntil(editor.hasFocus, timeout=1000)


def test_the_edit_button_gives_the_editor_the_keyboard(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    pane.activateWindow()
    pane.show_paper(make_paper(note="first line"))
    pane.set_note_preview(True)
    button = child(pane, QToolButton, "notePreviewButton")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    editor = child(pane, QPlainTextEdit, "noteEdit")
    assert not pane.note_preview_shown()
    # Typed keys go to the note, after what is there, not to the button.
    qtbot.waitUntil(editor.hasFocus, timeout=1000)
    qtbot.keyClicks(QApplication.focusWidget(), " and more")
    assert editor.toPlainText() == "first line and more"


def test_double_clicking_the_preview_edits_the_note(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    pane.activateWindow()
    pane.show_paper(make_paper(note="*rendered*"))
    pane.set_note_preview(True)
    preview = child(pane, NotePreview, "notePreview")
    qtbot.mouseDClick(preview.viewport(), Qt.MouseButton.LeftButton)
    assert not pane.note_preview_shown()
    qtbot.waitUntil(child(pane, QPlainTextEdit, "noteEdit").hasFocus, timeout=1000)


def test_the_preview_loads_no_resource(
    pane: DetailPane, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked: list[tuple[str, Any]] = []
    original = NotePreview.loadResource

    def recording(self: NotePreview, kind: int, name: QUrl | str) -> Any:
        answer = original(self, kind, name)
        asked.append((QUrl(name).toString(), answer))
        return answer

    monkeypatch.setattr(NotePreview, "loadResource", recording)
    pane.show()
    pane.show_paper(make_paper(note=NOTE + "\n\n![local](file:///etc/hostname)"))
    pane.set_note_preview(True)
    preview = child(pane, NotePreview, "notePreview")
    preview.grab()  # paint it, as the screen would
    # The renderer made links of the images: there was nothing to load.
    assert asked == []

    # Even an image that reached the browser some other way loads nothing:
    # neither from the web nor from a file (which Qt reads on an empty answer).
    picture = tmp_path / "picture.png"
    image = QImage(40, 40, QImage.Format.Format_RGB32)
    image.fill(QColor(255, 0, 0))
    assert image.save(str(picture))
    local = QUrl.fromLocalFile(str(picture)).toString()
    for html in (
        f'<p><img src="http://tracker.example/p.png"><img src="{local}"></p>',
        f'<p><img src="{picture}"></p>',
    ):
        preview.setHtml(html)
        shot = preview.grab().toImage()
        red = [
            (x, y)
            for x in range(0, shot.width(), 2)
            for y in range(0, shot.height(), 2)
            if shot.pixelColor(x, y) == QColor(255, 0, 0)
        ]
        assert red == [], html
    asked_urls = {url for url, _ in asked}
    assert {"http://tracker.example/p.png", local} <= asked_urls
    for _url, answer in asked:
        assert isinstance(answer, QImage) and answer.size() == QSize(1, 1)


def _click_text(qtbot: QtBot, preview: NotePreview, needle: str) -> None:
    found = preview.document().find(needle)
    assert not found.isNull(), needle
    cursor = QTextCursor(found)
    cursor.setPosition(found.selectionStart() + 1)
    rect = preview.cursorRect(cursor)
    qtbot.mouseClick(
        preview.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.x() + 1, rect.center().y())
    )


def test_clicking_a_link_opens_it_through_open_url(
    pane: DetailPane, qtbot: QtBot, opened: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from readinglist.gui import markdown_view

    through: list[str] = []
    real_open_url = markdown_view.open_url

    def spy(parent: QWidget | None, url: str) -> bool:
        through.append(url)
        return real_open_url(parent, url)

    monkeypatch.setattr(markdown_view, "open_url", spy)
    pane.show()
    qtbot.waitExposed(pane)
    pane.show_paper(make_paper(note=NOTE))
    pane.set_note_preview(True)
    preview = child(pane, NotePreview, "notePreview")
    _click_text(qtbot, preview, "the paper")
    assert through == ["https://arxiv.org/abs/2312.00752"]
    assert opened == ["https://arxiv.org/abs/2312.00752"]
    # The browser itself went nowhere.
    assert preview.source().isEmpty()
    assert "Key idea" in preview.toPlainText()
    # The javascript: link is text: clicking it opens nothing.
    _click_text(qtbot, preview, "bad")
    assert opened == ["https://arxiv.org/abs/2312.00752"]


# --- Edit note brings the editor into view -------------------------------------------


def _visible_height(pane: DetailPane, widget: QWidget) -> int:
    """Return how many pixels of *widget*'s height the pane's scroll area shows."""
    viewport = pane.findChild(QWidget, "detailContent").parentWidget()  # type: ignore[union-attr]
    assert viewport is not None
    top = widget.mapTo(viewport, QPoint(0, 0)).y()
    bottom = top + widget.height()
    return max(0, min(bottom, viewport.height()) - max(top, 0))


def test_edit_note_shows_several_lines_of_the_editor(pane: DetailPane, qtbot: QtBot) -> None:
    pane.resize(380, 380)
    pane.show()
    qtbot.waitExposed(pane)
    editor = child(pane, QPlainTextEdit, "noteEdit")
    lines = 5 * editor.fontMetrics().lineSpacing()
    long_abstract = ("A sentence of the abstract that goes on and on. " * 12 + "\n\n") * 6
    # A short paper first, then one with a long abstract and Edit note at
    # once, before the pane has laid the new text out.
    pane.show_paper(make_paper(1, abstract="short"))
    qtbot.wait(10)
    pane.show_paper(make_paper(2, abstract=long_abstract, note="a\nb\nc"))
    pane.focus_note()
    assert _visible_height(pane, editor) >= lines
    qtbot.wait(50)  # and still once the layout has settled
    assert _visible_height(pane, editor) >= lines
    # The header above the editor is in view too: the user sees what this is.
    header = child(pane, QLabel, "noteHeader")
    assert _visible_height(pane, header) == header.height()


# --- tag colours ---------------------------------------------------------------------


def _chip(box: QWidget, name: str) -> QToolButton:
    for chip in box.findChildren(QToolButton):
        if chip.text().startswith(f"{name} ") and chip.isVisibleTo(box):
            return chip
    raise AssertionError(f"no chip {name}")


def test_a_coloured_tag_has_a_chip_in_its_colour(pane: DetailPane) -> None:
    pane.show_paper(make_paper(tags=("mamba", "vision")))
    chips = child(pane, QWidget, "tagChips")
    assert "#e74c3c" not in _chip(chips, "mamba").styleSheet()
    pane.set_tag_colours({"Mamba": "#e74c3c", "vision": ""})
    style = _chip(chips, "mamba").styleSheet()
    assert "background-color: #e74c3c" in style
    # Black reads better than white on this red (WCAG contrast 5.5 against 3.8).
    assert "color: #000000" in style
    pane.set_tag_colours({"mamba": "#1a237e"})  # dark blue: white text
    assert "color: #ffffff" in _chip(chips, "mamba").styleSheet()
    # A tag without a colour is neutral grey, as its hollow dot in the sidebar.
    back = re.search(r"background-color: (#[0-9a-f]{6})", _chip(chips, "vision").styleSheet())
    assert back is not None and QColor(back.group(1)).hslSaturation() == 0


def test_a_colour_chosen_in_the_sidebar_reaches_the_chips(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    window.table.selectRow(0)
    pid = window.detail.current_id()
    assert pid is not None
    gui_lib.add_tags([pid], ["hot"])
    chips = child(window.detail, QWidget, "tagChips")
    qtbot.waitUntil(
        lambda: any(c.text().startswith("hot ") for c in chips.findChildren(QToolButton))
    )
    gui_lib.set_tag_colour("hot", "#e74c3c")
    qtbot.waitUntil(lambda: "#e74c3c" in _chip(chips, "hot").styleSheet(), timeout=3000)


# --- several papers ------------------------------------------------------------------


def _select_rows(window: MainWindow, rows: list[int]) -> list[int]:
    """Select *rows* as a user does (click, then Ctrl+click); return their ids."""
    table = window.table
    table.clearSelection()
    selection = table.selectionModel()
    for i, row in enumerate(rows):
        flags = QItemSelectionModel.SelectionFlag.Rows | (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            if i == 0
            else QItemSelectionModel.SelectionFlag.Select
        )
        selection.setCurrentIndex(window.model.index(row, 0), flags)
    return [int(window.model.index(r, 0).data(PAPER_ID_ROLE)) for r in rows]


def test_several_papers_show_the_selection_pane(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    ids = _select_rows(window, [0, 1, 2])
    gui_lib.add_tags(ids, ["shared"])
    gui_lib.add_tags(ids[:1], ["only-one"])
    detail = window.detail
    title = child(detail, QLabel, "selectionTitle")
    qtbot.waitUntil(lambda: title.isVisible() and "shared" in _chip_names(detail), timeout=3000)
    assert title.text() == "3 papers selected"
    assert detail.selection_ids() == ids
    assert _chip_names(detail) == ["shared"]
    # No single paper's field can be edited: they are not even shown.
    assert detail.current_id() is None
    for name in ("noteEdit", "tagEdit", "citekeyEdit", "starButton"):
        assert not child(detail, QWidget, name).isVisible(), name

    # Add a tag to all three, then undo it from all three.
    edit = child(detail, QLineEdit, "selectionTagEdit")
    edit.setFocus()
    qtbot.keyClicks(edit, "bulk")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert all("bulk" in p.tags for p in gui_lib.get(ids))
    assert edit.text() == ""
    qtbot.waitUntil(lambda: "bulk" in _chip_names(detail), timeout=3000)
    window.act.undo.trigger()
    assert not any("bulk" in p.tags for p in gui_lib.get(ids))
    qtbot.waitUntil(lambda: "bulk" not in _chip_names(detail), timeout=3000)

    # Star all: every one is starred, and the pane says so.
    qtbot.mouseClick(child(detail, QToolButton, "starAllButton"), Qt.MouseButton.LeftButton)
    assert all(p.starred for p in gui_lib.get(ids))
    star_all = child(detail, QToolButton, "starAllButton")
    qtbot.waitUntil(lambda: not star_all.isEnabled(), timeout=3000)
    assert child(detail, QLabel, "selectionSummary").text().startswith("3 starred")
    qtbot.mouseClick(child(detail, QToolButton, "readAllButton"), Qt.MouseButton.LeftButton)
    assert all(p.read for p in gui_lib.get(ids))

    # Removing a shared tag's chip removes it from every one.
    qtbot.mouseClick(
        _chip(child(detail, QWidget, "selectionChips"), "shared"), Qt.MouseButton.LeftButton
    )
    assert not any("shared" in p.tags for p in gui_lib.get(ids))
    assert "only-one" in gui_lib.paper(ids[0]).tags
    assert detail.selection_ids() == ids  # still the same three

    # Back to one paper: its own fields again.
    window.table.selectRow(1)
    qtbot.waitUntil(lambda: detail.current_id() == ids[1], timeout=3000)
    assert child(detail, QWidget, "noteEdit").isVisible()


def _chip_names(detail: DetailPane) -> list[str]:
    box = child(detail, QWidget, "selectionChips")
    return [c.text().split("  ×")[0] for c in box.findChildren(QToolButton) if c.isVisibleTo(box)]


def test_a_pending_note_is_saved_before_the_selection_is_shown(
    pane: DetailPane, qtbot: QtBot
) -> None:
    pane.show_paper(make_paper(7, note=""))
    qtbot.keyClicks(child(pane, QPlainTextEdit, "noteEdit"), "half typed")
    with qtbot.waitSignal(pane.noteChanged, timeout=100) as blocker:
        pane.show_selection([make_paper(7), make_paper(8, tags=("mamba",))])
    assert blocker.args == [7, "half typed"]
    assert pane.selection_ids() == [7, 8]


def test_bulk_buttons_and_signals(pane: DetailPane, qtbot: QtBot) -> None:
    papers = [make_paper(1, starred=True), make_paper(2), make_paper(3, trashed=False)]
    pane.show_selection(papers)
    assert not child(pane, QToolButton, "unstarAllButton").isHidden()
    assert child(pane, QToolButton, "unstarAllButton").isEnabled()  # one is starred
    assert child(pane, QToolButton, "unreadAllButton").isEnabled() is False  # none is read
    with qtbot.waitSignal(pane.selectionFlagChanged, timeout=100) as blocker:
        child(pane, QToolButton, "starAllButton").click()
    assert blocker.args == [[1, 2, 3], "starred", True]
    # In the trash, nothing is edited (restore first), as the toolbar has it.
    pane.show_selection([make_paper(1, trashed=True), make_paper(2, trashed=True)])
    assert not child(pane, QToolButton, "starAllButton").isEnabled()
    assert not child(pane, QLineEdit, "selectionTagEdit").isEnabled()
    # One paper, or none, is shown as usual.
    pane.show_selection([make_paper(4)])
    assert pane.current_id() == 4 and pane.selection_ids() == []
    pane.show_selection([])
    assert pane.current_id() is None
