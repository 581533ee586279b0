"""Tests for the detail pane: safe display, hit highlighting and edit signals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest
from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
)
from pytestqt.qtbot import QtBot

from readinglist.gui import icons
from readinglist.gui.detail import (
    EMPTY_TEXT,
    HIT_PROPERTY,
    NOTE_SAVE_DELAY_MS,
    DetailPane,
    is_safe_url,
    links_html,
)
from readinglist.paths import resource_path
from readinglist.records import PaperData
from readinglist.search import SearchResult, highlight_spans

ABSTRACT = (
    "Previous research on lightweight models has primarily focused on CNNs. "
    "We propose efficient models that balance efficiency and accuracy."
)


def make_paper(pid: int = 1, **changes: object) -> PaperData:
    values: dict[str, object] = {
        "title": "MobileMamba: Lightweight Multi-Receptive Visual Mamba Network",
        "abstract": ABSTRACT,
        "authors": ("Haoyang He", "Jiangning Zhang"),
        "year": 2024,
        "venue": "CVPR",
        "arxiv_id": "2411.15941",
        "url": "https://huggingface.co/papers/2411.15941",
        "citekey": "he2024mobilemamba",
        "tags": ("mamba", "vision"),
        "note": "first thoughts",
    }
    values.update(changes)
    return PaperData(id=pid, **values)  # type: ignore[arg-type]


@pytest.fixture
def pane(qtbot: QtBot) -> DetailPane:
    widget = DetailPane()
    qtbot.addWidget(widget)
    widget.resize(420, 800)
    return widget


# The offscreen platform used in tests cannot do these window-system things;
# Qt says so when a window is shown or a popup opens.  Nothing of ours is wrong.
offscreen_limits = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


@pytest.fixture
def shown(pane: DetailPane, qtbot: QtBot) -> DetailPane:
    """A pane on screen with the keyboard focus, for focus-dependent tests."""
    pane.show()
    qtbot.waitExposed(pane)
    pane.activateWindow()
    return pane


W = TypeVar("W", bound=QObject)


def child(pane: DetailPane, kind: type[W], name: str = "") -> W:
    """Return the pane's child of type *kind* named *name* (any name if empty)."""
    found = pane.findChild(kind, name)
    assert isinstance(found, kind), name
    return found


def hit_ranges(document: QTextDocument) -> list[tuple[int, int]]:
    """Return the [start, end) positions of fragments marked as search hits."""
    ranges = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().boolProperty(HIT_PROPERTY):
                start = fragment.position()
                ranges.append((start, start + fragment.length()))
            it += 1
        block = block.next()
    return ranges


# --- display ------------------------------------------------------------------------


def test_empty_state(pane: DetailPane) -> None:
    assert pane.current_id() is None
    stack = child(pane, QStackedWidget)
    label = stack.currentWidget()
    assert isinstance(label, QLabel)
    assert label.text() == EMPTY_TEXT
    pane.show_paper(make_paper(5))
    assert pane.current_id() == 5
    assert stack.currentWidget() is not label
    pane.show_paper(None)
    assert pane.current_id() is None
    assert stack.currentWidget() is label


def test_title_and_abstract_are_plain_text(pane: DetailPane) -> None:
    title = "<b>x</b> & <script>alert(1)</script>"
    abstract = "An <i>abstract</i> with &amp; entities and <img src=x onerror=alert(1)>."
    pane.show_paper(make_paper(title=title, abstract=abstract))
    title_view = child(pane, QTextBrowser, "title")
    abstract_view = child(pane, QTextBrowser, "abstract")
    assert title_view.toPlainText() == title
    assert abstract_view.toPlainText() == abstract
    # Shown literally: the markup is escaped text in the document, not formatting.
    assert "&lt;script&gt;" in title_view.toHtml()
    assert "&lt;img" in abstract_view.toHtml()
    assert not any(f.isImageFormat() for f in abstract_view.document().allFormats())


def test_authors_meta_and_unknown_authors(pane: DetailPane) -> None:
    pane.show_paper(make_paper())
    assert child(pane, QLabel, "authors").text() == "Haoyang He, Jiangning Zhang"
    meta = child(pane, QLabel, "meta").text()
    assert meta == "2024 · CVPR · arXiv:2411.15941"
    pane.show_paper(make_paper(2, authors=()))
    assert child(pane, QLabel, "authors").text() == "Unknown authors"


def test_abstract_hits_are_highlighted(pane: DetailPane) -> None:
    hits = SearchResult(ids=[1], terms={"abstract": {"model", "effici"}, "title": {"mamba"}})
    paper = make_paper()
    pane.show_paper(paper, hits)
    abstract = child(pane, QTextBrowser, "abstract")
    expected = highlight_spans(ABSTRACT, "abstract", hits)
    assert expected, "the query should match the abstract"
    assert hit_ranges(abstract.document()) == expected
    text = abstract.toPlainText()
    assert {text[s:e].lower() for s, e in expected} == {"models", "efficient", "efficiency"}
    title = child(pane, QTextBrowser, "title")
    assert hit_ranges(title.document()) == highlight_spans(paper.title, "title", hits)
    # No hits: no highlighting left over from the previous search.
    pane.show_paper(paper)
    assert hit_ranges(abstract.document()) == []


def test_hits_after_astral_characters_line_up(pane: DetailPane) -> None:
    # 😀 and 𝑥 are one Python character but two UTF-16 units in Qt.
    abstract = "😀 𝑥 models rule"
    hits = SearchResult(ids=[1], terms={"abstract": {"model"}})
    pane.show_paper(make_paper(abstract=abstract), hits)
    document = child(pane, QTextBrowser, "abstract").document()
    [(start, end)] = hit_ranges(document)
    cursor = document.find("models")
    assert (cursor.selectionStart(), cursor.selectionEnd()) == (start, end)


# --- star and read ---------------------------------------------------------------------


def test_star_toggle_emits_id_and_state(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(7, starred=False))
    star = child(pane, QToolButton, "starButton")
    with qtbot.waitSignal(pane.starToggled, timeout=1000) as blocker:
        star.click()
    assert blocker.args == [7, True]
    with qtbot.waitSignal(pane.starToggled, timeout=1000) as blocker:
        star.click()
    assert blocker.args == [7, False]


def test_read_toggle_emits_and_showing_does_not(pane: DetailPane, qtbot: QtBot) -> None:
    read = child(pane, QToolButton, "readButton")
    with qtbot.assertNotEmitted(pane.readToggled):
        pane.show_paper(make_paper(3, read=True))
    assert read.isChecked()
    assert read.text() == "Read"
    with qtbot.waitSignal(pane.readToggled, timeout=1000) as blocker:
        read.click()
    assert blocker.args == [3, False]
    assert read.text() == "Unread"


@offscreen_limits
def test_toggles_work_from_the_keyboard(shown: DetailPane, qtbot: QtBot) -> None:
    shown.show_paper(make_paper(4, starred=True))
    star = child(shown, QToolButton, "starButton")
    star.setFocus()
    qtbot.waitUntil(star.hasFocus, timeout=1000)
    with qtbot.waitSignal(shown.starToggled, timeout=1000) as blocker:
        qtbot.keyClick(star, " ")
    assert blocker.args == [4, False]


# --- tags ------------------------------------------------------------------------------


def test_tag_edit_enter_emits_parsed_list(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(9, tags=("mamba",)))
    edit = child(pane, QLineEdit, "tagEdit")
    assert edit.text() == "mamba"
    edit.clear()
    qtbot.keyClicks(edit, "mamba,  deep   learning , Mamba,vision")
    with qtbot.waitSignal(pane.tagsChanged, timeout=1000) as blocker:
        qtbot.keyClick(edit, "\r")
    assert blocker.args == [9, ["mamba", "deep learning", "vision"]]
    assert edit.text() == "mamba, deep learning, vision"
    # Pressing Enter again with nothing changed sends nothing.
    with qtbot.assertNotEmitted(pane.tagsChanged):
        qtbot.keyClick(edit, "\r")


def test_removing_a_chip_emits_the_rest(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(2, tags=("mamba", "vision", "nlp")))
    chips = [b for b in pane.findChildren(QToolButton) if b.text().startswith("vision")]
    assert len(chips) == 1
    with qtbot.waitSignal(pane.tagsChanged, timeout=1000) as blocker:
        chips[0].click()
    assert blocker.args == [2, ["mamba", "nlp"]]


def test_escape_restores_tags(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(2, tags=("mamba",)))
    edit = child(pane, QLineEdit, "tagEdit")
    qtbot.keyClicks(edit, ", oops")
    with qtbot.assertNotEmitted(pane.tagsChanged):
        qtbot.keyClick(edit, "\x1b")
    assert edit.text() == "mamba"


@offscreen_limits
def test_tag_completion_completes_the_current_entry(shown: DetailPane, qtbot: QtBot) -> None:
    shown.set_tag_completions(["machine learning", "mamba", "vision"])
    shown.show_paper(make_paper(6, tags=("vision",)))
    edit = child(shown, QLineEdit, "tagEdit")
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=1000)
    edit.end(False)
    qtbot.keyClicks(edit, ", lear")
    popup = QApplication.activePopupWidget()
    assert isinstance(popup, QAbstractItemView)
    model = popup.model()
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["machine learning"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    # Enter picks the completion for this entry only; a second Enter commits.
    with qtbot.assertNotEmitted(shown.tagsChanged):
        qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert edit.text() == "vision, machine learning, "
    with qtbot.waitSignal(shown.tagsChanged, timeout=1000) as blocker:
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert blocker.args == [6, ["vision", "machine learning"]]


@offscreen_limits
def test_tag_completion_skips_present_tags_and_enter_keeps_typed(
    shown: DetailPane, qtbot: QtBot
) -> None:
    shown.set_tag_completions(["mamba", "vision", "visual"])
    shown.show_paper(make_paper(6, tags=("vision",)))
    edit = child(shown, QLineEdit, "tagEdit")
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=1000)
    edit.end(False)
    qtbot.keyClicks(edit, ", vis")
    popup = QApplication.activePopupWidget()
    assert isinstance(popup, QAbstractItemView)
    model = popup.model()
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["visual"]
    # Nothing chosen in the list: Enter commits the text as typed.
    with qtbot.waitSignal(shown.tagsChanged, timeout=1000) as blocker:
        qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert blocker.args == [6, ["vision", "vis"]]
    assert QApplication.activePopupWidget() is None


# --- note ------------------------------------------------------------------------------


def test_note_autosaves_after_a_pause(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(11, note=""))
    note = child(pane, QPlainTextEdit, "noteEdit")
    status = child(pane, QLabel, "noteStatus")
    sent: list[tuple[int, str]] = []
    pane.noteChanged.connect(lambda pid, text: sent.append((pid, text)))
    qtbot.keyClicks(note, "Read section 3")
    # Debounced: nothing is sent while typing.
    assert sent == []
    assert status.text() == "Saving…"
    with qtbot.waitSignal(pane.noteChanged, timeout=NOTE_SAVE_DELAY_MS * 5) as blocker:
        pass
    assert blocker.args == [11, "Read section 3"]
    assert sent == [(11, "Read section 3")]
    assert status.text() == "Saved"


def test_flush_note_sends_at_once_and_only_once(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(12, note="old"))
    note = child(pane, QPlainTextEdit, "noteEdit")
    note.moveCursor(note.textCursor().MoveOperation.End)
    qtbot.keyClicks(note, " and new")
    with qtbot.waitSignal(pane.noteChanged, timeout=0) as blocker:
        pane.flush_note()
    assert blocker.args == [12, "old and new"]
    # The pending autosave was cancelled, and nothing is sent twice.
    with qtbot.assertNotEmitted(pane.noteChanged, wait=NOTE_SAVE_DELAY_MS + 300):
        pane.flush_note()


def test_flush_without_edits_sends_nothing(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(12, note="old"))
    with qtbot.assertNotEmitted(pane.noteChanged):
        pane.flush_note()
        pane.show_paper(make_paper(13))


def test_switching_paper_saves_the_previous_note(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(1, note=""))
    note = child(pane, QPlainTextEdit, "noteEdit")
    qtbot.keyClicks(note, "unsaved words")
    with qtbot.waitSignal(pane.noteChanged, timeout=0) as blocker:
        pane.show_paper(make_paper(2, note="second"))
    assert blocker.args == [1, "unsaved words"]
    assert note.toPlainText() == "second"
    assert pane.current_id() == 2


@offscreen_limits
def test_focus_out_saves_the_note(shown: DetailPane, qtbot: QtBot) -> None:
    shown.show_paper(make_paper(1, note=""))
    note = child(shown, QPlainTextEdit, "noteEdit")
    shown.focus_note()
    qtbot.waitUntil(note.hasFocus, timeout=1000)
    qtbot.keyClicks(note, "abc")
    with qtbot.waitSignal(shown.noteChanged, timeout=0) as blocker:
        child(shown, QLineEdit, "citekeyEdit").setFocus()
    assert blocker.args == [1, "abc"]


def test_refresh_of_same_paper_keeps_typing(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(1, note="a"))
    note = child(pane, QPlainTextEdit, "noteEdit")
    note.moveCursor(note.textCursor().MoveOperation.End)
    qtbot.keyClicks(note, "bc")
    # The window refreshes with a snapshot taken before this edit was saved.
    with qtbot.waitSignal(pane.noteChanged, timeout=0) as blocker:
        pane.show_paper(make_paper(1, note="a", starred=True))
    assert blocker.args == [1, "abc"]
    assert note.toPlainText() == "abc"
    assert child(pane, QToolButton, "starButton").isChecked()


def test_note_changed_elsewhere_is_shown(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(1, note="abc"))
    with qtbot.assertNotEmitted(pane.noteChanged):
        pane.show_paper(make_paper(1, note="undone"))
    assert child(pane, QPlainTextEdit, "noteEdit").toPlainText() == "undone"


def test_nested_show_paper_during_flush_wins(pane: DetailPane, qtbot: QtBot) -> None:
    # A window that refreshes synchronously from its noteChanged slot.
    pane.show_paper(make_paper(1, note=""))
    pane.noteChanged.connect(lambda pid, text: pane.show_paper(make_paper(pid, note=text)))
    qtbot.keyClicks(child(pane, QPlainTextEdit, "noteEdit"), "fresh")
    pane.show_paper(make_paper(1, note=""))  # stale snapshot
    assert child(pane, QPlainTextEdit, "noteEdit").toPlainText() == "fresh"


# --- citation key ------------------------------------------------------------------------


def test_citekey_edit_emits_and_error_restores(pane: DetailPane, qtbot: QtBot) -> None:
    pane.show_paper(make_paper(8, citekey="old2024"))
    edit = child(pane, QLineEdit, "citekeyEdit")
    error = child(pane, QLabel, "citekeyError")
    edit.selectAll()
    qtbot.keyClicks(edit, "taken2024")
    with qtbot.waitSignal(pane.citekeyChanged, timeout=1000) as blocker:
        qtbot.keyClick(edit, "\r")
    assert blocker.args == [8, "taken2024"]
    pane.show_citekey_error("The key taken2024 is already used")
    assert edit.text() == "old2024"
    assert not error.isHidden()
    assert error.text() == "The key taken2024 is already used"
    # Trying the same key again is sent again (it was rejected, not applied).
    edit.selectAll()
    qtbot.keyClicks(edit, "taken2024")
    assert error.isHidden()
    with qtbot.waitSignal(pane.citekeyChanged, timeout=1000) as blocker:
        qtbot.keyClick(edit, "\r")
    assert blocker.args == [8, "taken2024"]


# --- links -------------------------------------------------------------------------------


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    urls: list[str] = []

    def fake_open(url: QUrl) -> bool:
        urls.append(url.toString())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", fake_open)
    yield urls


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/paper.pdf",
        "vbscript:msgbox",
        "https:no-host",
        "mailto:someone@example.org",
        "",
    ],
)
def test_unsafe_links_are_not_opened(pane: DetailPane, opened: list[str], url: str) -> None:
    pane.show_paper(make_paper(links=(url,)))
    child(pane, QLabel, "links").linkActivated.emit(url)
    assert not pane.open_link(url)
    assert opened == []


# A file: link opens only after a confirmation: see test_data_safety.py.
@pytest.mark.parametrize("url", ["https://arxiv.org/abs/2411.15941", "http://example.org/a?b=1"])
def test_safe_links_are_opened(pane: DetailPane, opened: list[str], url: str) -> None:
    pane.show_paper(make_paper(links=(url,)))
    child(pane, QLabel, "links").linkActivated.emit(url)
    assert opened == [url]


def test_links_label_escapes_and_only_links_safe_urls() -> None:
    markup = 'https://e.org/?q="><script>x</script>'
    text = links_html([markup, "https://e.org/?a=1&b='x'", "javascript:alert(1)"])
    assert "<script>" not in text
    assert "&quot;&gt;&lt;script&gt;" in text
    assert 'href="javascript' not in text
    # Only the well-formed http URL is a link, with its value escaped.
    assert text.count("<a ") == 1
    assert '<a href="https://e.org/?a=1&amp;b=&#x27;x&#x27;">' in text
    assert not is_safe_url(markup)
    assert is_safe_url("https://e.org/x") and not is_safe_url("javascript:alert(1)")


def test_links_include_doi_and_arxiv(pane: DetailPane) -> None:
    pane.show_paper(make_paper(doi="10.1/abc", arxiv_id="2411.15941", url=""))
    text = child(pane, QLabel, "links").text()
    assert 'href="https://doi.org/10.1/abc"' in text
    assert 'href="https://arxiv.org/abs/2411.15941"' in text


# --- icons -------------------------------------------------------------------------------


def test_every_icon_loads(qapp: QApplication) -> None:
    files = {p.stem for p in resource_path("icons").glob("*.svg")}
    assert files == set(icons.ICON_NAMES)
    for name in icons.ICON_NAMES:
        assert not icons.icon(name).pixmap(24).isNull(), name
    assert not icons.icon("readinglist").pixmap(256).isNull()


def test_missing_icon_is_empty_not_an_error(qapp: QApplication) -> None:
    assert icons.icon("no-such-icon").isNull()


def test_icons_are_recoloured_on_dark_palettes(qapp: QApplication) -> None:
    old = QApplication.palette()
    dark = QPalette(old)
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    try:
        QApplication.setPalette(dark)
        colour = QColor(icons.icon_colour())
        assert colour.lightness() > 160
        image = icons.icon("search").pixmap(24).toImage()
        lightest = max(
            image.pixelColor(x, y).lightness()
            for x in range(24)
            for y in range(24)
            if image.pixelColor(x, y).alpha() == 255
        )
        assert lightest > 160
    finally:
        QApplication.setPalette(old)
    assert icons.icon_colour() == icons.NEUTRAL


def test_links_do_not_repeat_the_arxiv_page_of_a_versioned_url() -> None:
    from readinglist.gui.detail import paper_links

    paper = PaperData(
        id=1,
        title="T",
        arxiv_id="2403.01234",
        url="https://arxiv.org/abs/2403.01234v2",
        doi="10.1/x",
    )
    assert paper_links(paper) == ["https://arxiv.org/abs/2403.01234v2", "https://doi.org/10.1/x"]
    other = PaperData(id=2, title="T", arxiv_id="2403.01234", url="https://example.org/p")
    assert paper_links(other) == ["https://example.org/p", "https://arxiv.org/abs/2403.01234"]
