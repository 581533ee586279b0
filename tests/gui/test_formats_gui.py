"""Every shape papers arrive in, and leave in, driven through the real window.

Import filters, dropped and pasted web links, the attached PDF, the export
formats with their incomplete-metadata question, Fill metadata and Find
duplicates.  Modal questions are answered by monkeypatching their ``exec``
or static calls; the rest are opened (not run) and answered by clicking.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from readinglist.core.exports import Exports
from readinglist.core.progress import Progress
from readinglist.core.query import Query
from readinglist.exporters import SUFFIXES
from readinglist.gui import fill as fill_module
from readinglist.gui import transfer as transfer_module
from readinglist.gui.detail import DetailPane
from readinglist.gui.main_window import MainWindow
from readinglist.gui.widgets import ExportDialog
from readinglist.importers import FORMATS
from readinglist.library import ImportReport, Library
from readinglist.people import Person
from readinglist.records import ParsedPaper, ParseResult

CROSSREF_URL = "https://api.crossref.org/works/"

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


# --- helpers -------------------------------------------------------------------------------


def _add(lib: Library, *papers: ParsedPaper) -> list[int]:
    report = lib.import_records(ParseResult(format="test", papers=list(papers)), "test papers")
    assert not report.error, report.error
    return list(report.added)


def _select(window: MainWindow, qtbot: QtBot, ids: list[int]) -> None:
    """Select the rows of *ids* (waiting until they are listed), the first current."""
    qtbot.waitUntil(lambda: all(window.model.row_of(i) is not None for i in ids), timeout=10_000)
    window.table.clearSelection()
    selection = window.table.selectionModel()
    rows = [window.model.row_of(i) for i in ids]
    first = window.model.index(rows[0] or 0, 0)
    selection.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
    for row in rows:
        selection.select(
            window.model.index(row or 0, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    assert sorted(window.table.selected_ids()) == sorted(ids)


def _drop(window: MainWindow, mime: QMimeData) -> None:
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(
        QPoint(int(pos.x()), int(pos.y())),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        pos,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(drop)
    assert drop.isAccepted()


def _cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def _click(box: QWidget, text: str) -> None:
    for button in box.findChildren(QPushButton):
        if button.text().replace("&", "") == text:
            button.click()
            return
    raise AssertionError(f"no button {text!r}")


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[QUrl]:
    """The URLs handed to the desktop, instead of opening them."""
    urls: list[QUrl] = []

    def fake_open(url: QUrl) -> bool:
        urls.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", fake_open)
    return urls


@pytest.fixture
def no_exec_boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail on nothing, but record a message box run with exec() (none is expected)."""
    shown: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append(box.text())
        return int(QMessageBox.StandardButton.Cancel.value)

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return shown


class _SaveDialog:
    """Answers QFileDialog.getSaveFileName with *answer*, recording what was asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answer: Path | None) -> None:
        self.asked: list[tuple[str, str, str]] = []

        def fake(_parent: object, caption: str, name: str, filters: str) -> tuple[str, str]:
            self.asked.append((caption, name, filters))
            return (str(answer) if answer is not None else "", "")

        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))


def _answer_export(
    monkeypatch: pytest.MonkeyPatch, fmt: str, scope: str = "selection"
) -> list[str]:
    """Answer the export dialog with *fmt* and *scope*; return the formats it preselected."""
    preselected: list[str] = []

    def fake_exec(dialog: ExportDialog) -> int:
        preselected.append(dialog.fmt())
        index = dialog.format.findData(fmt)
        assert index >= 0, f"{fmt} is not offered"
        dialog.format.setCurrentIndex(index)
        getattr(dialog, scope).setChecked(True)
        return int(QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(ExportDialog, "exec", fake_exec)
    return preselected


# --- 1. import filters ---------------------------------------------------------------------


def test_import_dialog_lists_every_format_once(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def fake_open(_parent: object, _caption: str, _dir: str, filters: str) -> tuple[list[str], str]:
        asked.append(filters)
        return [], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(fake_open))
    window.act.import_.trigger()
    [filters] = asked
    entries = filters.split(";;")
    for label, globs in FORMATS:
        assert f"{label} ({' '.join(globs)})" in entries
    assert entries.count("All files (*)") == 1 and entries[-1] == "All files (*)"

    # Whether or not the registry lists "All files" itself, it is offered once.
    monkeypatch.setattr(transfer_module, "FORMATS", [("BibTeX", ["*.bib"]), ("All files", ["*"])])
    window.transfer.import_dialog()
    assert asked[-1].split(";;") == ["BibTeX (*.bib)", "All files (*)"]
    monkeypatch.setattr(transfer_module, "FORMATS", [("BibTeX", ["*.bib"])])
    window.transfer.import_dialog()
    assert asked[-1].split(";;") == ["BibTeX (*.bib)", "All files (*)"]


# --- 2. dropped and pasted links -----------------------------------------------------------


def test_dropped_links_import_as_ids(window: MainWindow, qtbot: QtBot, gui_lib: Library) -> None:
    mime = QMimeData()
    mime.setUrls(
        [QUrl("https://arxiv.org/abs/2501.00001v2"), QUrl("https://doi.org/10.1234/xyz.5")]
    )
    # A browser also offers the links as text: the links win.
    mime.setText("https://arxiv.org/abs/2501.00001v2")
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        _drop(window, mime)
    [report] = blocker.args[0]
    assert isinstance(report, ImportReport)
    assert report.file_name == "dropped links" and not report.error
    papers = gui_lib.get(report.added)
    assert sorted(p.arxiv_id for p in papers if p.arxiv_id) == ["2501.00001"]
    assert [p.doi for p in papers if p.doi] == ["10.1234/xyz.5"]
    assert window.transfer.last_summary is not None
    assert "2 added" in window.transfer.last_summary.headline.text()
    window.transfer.last_summary.close()
    qtbot.waitUntil(lambda: window.model.rowCount() == 103, timeout=10_000)


def test_dropped_links_without_ids_are_reported(window: MainWindow, qtbot: QtBot) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.org/blog/post")])
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        _drop(window, mime)
    [report] = blocker.args[0]
    assert report.error and not report.added
    assert window.last_error is None  # told in the summary, not as a failure


def test_pasted_links_import_as_ids(window: MainWindow, qtbot: QtBot, gui_lib: Library) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl("https://arxiv.org/pdf/2502.01234")])
    QGuiApplication.clipboard().setMimeData(mime)
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        window.transfer.paste()
    [report] = blocker.args[0]
    assert report.file_name == "pasted links"
    assert [p.arxiv_id for p in gui_lib.get(report.added)] == ["2502.01234"]


# --- 3. the attached PDF -------------------------------------------------------------------


def test_open_pdf_opens_the_attached_file_without_asking(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tmp_path: Path,
    opened: list[QUrl],
    no_exec_boxes: list[str],
) -> None:
    pdf = tmp_path / "my paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    [with_pdf] = _add(gui_lib, ParsedPaper(title="A Paper With A PDF", pdf_path=str(pdf)))
    without = next(i for i in gui_lib.query_ids(Query()) if i != with_pdf)

    _select(window, qtbot, [without])
    assert not window.act.open_pdf.isEnabled()
    button = window.detail.findChild(QToolButton, "pdfButton")
    assert button is not None and button.isHidden()

    _select(window, qtbot, [with_pdf])
    assert window.detail.current_id() == with_pdf
    assert window.act.open_pdf.isEnabled() and not button.isHidden()
    window.act.open_pdf.trigger()
    assert [u.toLocalFile() for u in opened] == [str(pdf)]
    assert no_exec_boxes == []  # the user's own PDF: no "open a file?" question

    # The detail pane's button and the context menu do the same.
    button.click()
    menu = window.act.table_menu(in_trash=False)
    assert window.act.open_pdf in menu.actions()
    assert len(opened) == 2


def test_open_pdf_says_when_the_file_is_gone(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, tmp_path: Path, opened: list[QUrl]
) -> None:
    gone = tmp_path / "moved away.pdf"
    [pid] = _add(gui_lib, ParsedPaper(title="A Paper Whose PDF Moved", pdf_path=str(gone)))
    _select(window, qtbot, [pid])
    window.act.open_pdf.trigger()
    assert opened == []
    # Paper → Open PDF belongs to the window (the pane's own button to the pane).
    box = window.findChild(QMessageBox, "missingFile")
    assert box is not None and box.isVisible()
    assert str(gone) in box.text()
    box.close()


def test_paper_menu_lists_the_new_commands(window: MainWindow) -> None:
    menus = {m.title(): m for m in (a.menu() for a in window.menuBar().actions()) if m}
    paper = menus["&Paper"].actions()
    assert window.act.open_pdf in paper and window.act.fill_metadata in paper
    assert window.act.find_duplicates in menus["&Tools"].actions()
    assert window.act.export.text() == "&Export…"
    menu = window.act.table_menu(in_trash=False)
    assert window.act.fill_metadata in menu.actions()


# --- 4. export formats ---------------------------------------------------------------------


def _other_format() -> str:
    """A format other than BibTeX (RIS once the exporters offer it)."""
    others = [f for f in Exports.FORMATS if f not in {"bibtex", "biblatex"}]
    assert others, "only BibTeX can be exported"
    return "ris" if "ris" in others else others[0]


def test_export_in_the_chosen_format_with_its_suffix(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fmt = _other_format()
    suffix = SUFFIXES[fmt]
    ids = gui_lib.query_ids(Query())[:3]
    _select(window, qtbot, ids)
    preselected = _answer_export(monkeypatch, fmt)
    save = _SaveDialog(monkeypatch, tmp_path / "reading")  # typed without a suffix
    with qtbot.waitSignal(window.exportFinished, timeout=10_000) as exported:
        window.act.export.trigger()
    target = tmp_path / f"reading{suffix}"
    assert exported.args[0] == (target, 3)
    [(caption, name, filters)] = save.asked
    assert name == f"references{suffix}" and f"(*{suffix})" in filters.split(";;")[0]
    assert caption.startswith("Export ")
    expected = tmp_path / f"expected{suffix}"
    gui_lib.export_to_file(ids, expected, fmt)
    assert target.read_text("utf-8") == expected.read_text("utf-8")
    assert preselected == ["bibtex"]

    # The choice is remembered (in the window's settings) for the next export.
    assert window.settings.value("export/format") == fmt
    save.asked.clear()
    with qtbot.waitSignal(window.exportFinished, timeout=10_000):
        window.act.export.trigger()
    assert preselected == ["bibtex", fmt]


def test_export_dialog_offers_every_format(window: MainWindow) -> None:
    dialog = ExportDialog(window, 10, 2, 5, Exports.FORMATS, "bibtex")
    offered = [dialog.format.itemData(i) for i in range(dialog.format.count())]
    assert offered == list(Exports.FORMATS)
    labels = [dialog.format.itemText(i) for i in range(dialog.format.count())]
    assert labels[0] == "BibTeX (.bib)"
    if "csl-json" in offered:
        assert "CSL-JSON (.json)" in labels
    dialog.close()


def _incomplete_papers(lib: Library) -> tuple[int, int]:
    """Two papers: one with authors and a year, one with neither year nor author."""
    complete, bare = _add(
        lib,
        ParsedPaper(
            title="A Complete Paper On Otters",
            authors=[Person(given="Ada", family="Lovelace")],
            year=2021,
        ),
        ParsedPaper(title="A Paper Nobody Dated"),
    )
    return complete, bare


def test_bibtex_export_warns_about_papers_without_year_then_exports_anyway(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    complete, bare = _incomplete_papers(gui_lib)
    _select(window, qtbot, [complete, bare])
    _answer_export(monkeypatch, "bibtex")
    save = _SaveDialog(monkeypatch, tmp_path / "refs.bib")
    window.act.export.trigger()
    qtbot.waitUntil(lambda: window.transfer.last_incomplete is not None, timeout=10_000)
    box = window.transfer.last_incomplete
    assert box is not None and box.isVisible()
    assert box.text().startswith("1 of the 2 papers to export have no author or year")
    assert "A Paper Nobody Dated — missing author, year" in box.detailedText()
    assert "Otters" not in box.detailedText()
    assert save.asked == []  # nothing asked before the answer
    with qtbot.waitSignal(window.exportFinished, timeout=10_000) as exported:
        _click(box, "Export anyway")
    assert exported.args[0] == (tmp_path / "refs.bib", 2)
    assert "Nobody Dated" in (tmp_path / "refs.bib").read_text("utf-8")


def test_incomplete_export_cancelled_writes_nothing(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    complete, bare = _incomplete_papers(gui_lib)
    _select(window, qtbot, [complete, bare])
    _answer_export(monkeypatch, "bibtex")
    save = _SaveDialog(monkeypatch, tmp_path / "refs.bib")
    window.act.export.trigger()
    qtbot.waitUntil(lambda: window.transfer.last_incomplete is not None, timeout=10_000)
    box = window.transfer.last_incomplete
    assert box is not None
    _click(box, "Cancel")
    qtbot.wait(50)
    assert save.asked == [] and not (tmp_path / "refs.bib").exists()


def test_complete_papers_export_without_a_question(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    complete, _bare = _incomplete_papers(gui_lib)
    _select(window, qtbot, [complete])
    _answer_export(monkeypatch, "bibtex")
    _SaveDialog(monkeypatch, tmp_path / "one.bib")
    with qtbot.waitSignal(window.exportFinished, timeout=10_000) as exported:
        window.act.export.trigger()
    assert exported.args[0] == (tmp_path / "one.bib", 1)
    assert window.transfer.last_incomplete is None


# --- 5. fill metadata ----------------------------------------------------------------------

OTTERS_DOI = "10.5555/otters.2024"


def _crossref_work(doi: str) -> bytes:
    """Crossref's answer for *doi*: a 2024 journal article by Ada Lovelace."""
    return json.dumps(
        {
            "status": "ok",
            "message-type": "work",
            "message": {
                "DOI": doi,
                "title": ["Otters At Scale"],
                "author": [{"given": "Ada", "family": "Lovelace"}],
                "issued": {"date-parts": [[2024, 3]]},
                "container-title": ["Journal of Otter Studies"],
                "type": "journal-article",
            },
        }
    ).encode()


class _Sources:
    """A recorded internet for the fill service: Crossref knows one DOI, nothing else exists."""

    def __init__(self, offline: bool = False) -> None:
        self.asked: list[str] = []
        self.offline = offline

    def __call__(self, url: str, _timeout: float) -> bytes:
        from readinglist.core.fill import CROSSREF_API, NotFound, Offline

        self.asked.append(url)
        if self.offline:
            raise Offline("api.crossref.org", "Name or service not known")
        if url == CROSSREF_API + OTTERS_DOI:
            return _crossref_work(OTTERS_DOI)
        raise NotFound(url)


def _use_sources(lib: Library, sources: _Sources) -> None:
    # The service's own injection point; no pause between arXiv requests.
    lib.metadata.fetch = sources
    lib.metadata.delay = 0


def _fill_papers(lib: Library) -> tuple[int, int]:
    """A paper Crossref knows (by DOI, with nothing else) and one it does not."""
    known, unknown = _add(
        lib,
        ParsedPaper(title="Otters At Scale", doi=OTTERS_DOI),
        ParsedPaper(title="A Paper Crossref Never Heard Of", doi="10.5555/nowhere.1"),
    )
    return known, unknown


def test_fill_metadata_on_the_selection_shows_the_report(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    known, unknown = _fill_papers(gui_lib)
    sources = _Sources()
    _use_sources(gui_lib, sources)
    _select(window, qtbot, [known, unknown])
    assert window.act.fill_metadata.isEnabled()
    with qtbot.waitSignal(window.fill.filled, timeout=20_000) as filled:
        window.act.fill_metadata.trigger()
    report = filled.args[0]
    assert [pid for pid, _fields in report.changed] == [known]
    assert report.not_found == [unknown]
    paper = gui_lib.paper(known)
    assert paper.year == 2024 and paper.venue == "Journal of Otter Studies"
    assert list(paper.authors) == ["Ada Lovelace"]
    fields = len(report.changed[0][1])
    assert window.statusBar().currentMessage() == (f"Filled 1 paper ({fields} fields); 1 not found")
    dialog = window.fill.last_report
    assert dialog is not None and dialog.isVisible()
    assert dialog.text.isReadOnly()
    assert dialog.text.toPlainText().splitlines() == report.lines()
    assert "2024" in dialog.text.toPlainText()
    dialog.close()


def test_fill_metadata_without_selection_takes_every_paper_shown(
    window: MainWindow, qtbot: QtBot, gui_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[list[int]] = []
    real = gui_lib.fill_metadata

    def recording(ids: Sequence[int], progress: Progress | None = None) -> Any:
        asked.append(list(ids))
        return real(ids, progress)

    monkeypatch.setattr(gui_lib, "fill_metadata", recording)
    _use_sources(gui_lib, _Sources())
    window.table.clearSelection()
    assert window.act.fill_metadata.isEnabled()
    # 101 papers: asked first; "No" starts nothing.
    questions: list[str] = []

    def answer(yes: bool) -> Callable[[QWidget, str, str], bool]:
        def ask(_parent: QWidget, _title: str, text: str) -> bool:
            questions.append(text)
            return yes

        return ask

    monkeypatch.setattr(fill_module, "confirm", answer(False))
    window.act.fill_metadata.trigger()
    assert len(questions) == 1 and "all 101 papers shown" in questions[0]
    assert not window.jobs.busy() and asked == []
    monkeypatch.setattr(fill_module, "confirm", answer(True))
    with qtbot.waitSignal(window.fill.filled, timeout=30_000):
        window.act.fill_metadata.trigger()
    assert sorted(asked[0]) == sorted(window.model.ids())
    assert window.statusBar().currentMessage().startswith("Filled 0 papers (0 fields); ")


def test_fill_metadata_offline_says_so_and_changes_nothing(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    known, _unknown = _fill_papers(gui_lib)
    _use_sources(gui_lib, _Sources(offline=True))
    _select(window, qtbot, [known])
    window.act.fill_metadata.trigger()
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=20_000)
    box = window.last_error
    assert box is not None and box.icon() == QMessageBox.Icon.Warning
    assert box.text().startswith("Could not fill metadata: cannot reach api.crossref.org")
    assert box.text().endswith("nothing was changed.")
    assert not box.detailedText()  # expected: no traceback
    assert window.fill.last_report is None
    assert gui_lib.paper(known).year is None
    box.close()


def test_fill_metadata_first_from_the_export_question(
    window: MainWindow,
    qtbot: QtBot,
    gui_lib: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    complete, _bare = _incomplete_papers(gui_lib)
    known, _unknown = _fill_papers(gui_lib)
    sources = _Sources()
    _use_sources(gui_lib, sources)
    _select(window, qtbot, [complete, known])
    _answer_export(monkeypatch, "bibtex")
    save = _SaveDialog(monkeypatch, tmp_path / "refs.bib")
    window.act.export.trigger()
    qtbot.waitUntil(lambda: window.transfer.last_incomplete is not None, timeout=10_000)
    box = window.transfer.last_incomplete
    assert box is not None
    assert "Otters At Scale — missing author, year" in box.detailedText()
    with qtbot.waitSignal(window.fill.filled, timeout=20_000) as filled:
        _click(box, "Fill metadata first")
    assert [pid for pid, _fields in filled.args[0].changed] == [known]
    assert sources.asked == [CROSSREF_URL + OTTERS_DOI]  # only the incomplete paper
    assert save.asked == []  # the user exports again afterwards
    assert window.fill.last_report is not None
    window.fill.last_report.close()


# --- 6. duplicates -------------------------------------------------------------------------


def test_find_duplicates_and_merge_keeping_the_left(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    first, second = _add(
        gui_lib,
        ParsedPaper(
            title="Sparse Mixtures of Beavers for Dam Building",
            arxiv_id="2503.04567",
            tags=["rodents"],
            note="read the appendix",
        ),
        # Alike enough to be listed, not enough for an import to merge them.
        ParsedPaper(
            title="Sparse Mixtures of Beavers for Dam Building (extended)",
            year=2025,
            tags=["to-read"],
        ),
    )
    gui_lib.set_starred([second])
    window.act.find_duplicates.trigger()
    qtbot.waitUntil(lambda: window.duplicates.dialog is not None, timeout=20_000)
    dialog = window.duplicates.dialog
    assert dialog is not None and dialog.isVisible()
    rows = [tuple(sorted(p[:2])) for p in dialog.pairs]
    assert (min(first, second), max(first, second)) in rows
    row = rows.index((min(first, second), max(first, second)))
    dialog.list.setCurrentItem(dialog.list.topLevelItem(row))
    left, right = dialog.current_pair() or (0, 0)
    # Both papers side by side: titles, ids and tags of each.
    texts = [
        [_cell(dialog.compare, r, c) for r in range(dialog.compare.rowCount())] for c in (0, 1)
    ]
    by_id = dict(zip((left, right), texts, strict=True))
    assert "rodents" in by_id[first] and "to-read" in by_id[second]
    assert any("2503.04567" in t for t in by_id[first])
    assert "2025" in by_id[second] and "(extended)" in by_id[second][0]

    dialog.keep_left.click()
    box = window.duplicates.last_confirm
    assert box is not None and box.isVisible()
    assert "backup is taken first" in box.informativeText()
    with qtbot.waitSignal(window.duplicates.merged, timeout=20_000) as merged:
        _click(box, "Merge")
    assert merged.args == [left, right]
    assert gui_lib.get([right]) == []
    kept = gui_lib.paper(left)
    assert {"rodents", "to-read"} <= set(kept.tags)
    assert kept.starred and "read the appendix" in kept.note
    # The pair left the list; a backup taken just before the merge is listed.
    assert (min(first, second), max(first, second)) not in [
        tuple(sorted(p[:2])) for p in dialog.pairs
    ]
    reasons = [s.reason for s in gui_lib.backups.snapshots()]
    assert any("merge" in r for r in reasons)
    assert "Restore from backup" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.model.row_of(right) is None, timeout=10_000)
    dialog.close()


def test_skipping_a_pair_changes_nothing(
    window: MainWindow, qtbot: QtBot, gui_lib: Library
) -> None:
    first, second = _add(
        gui_lib,
        ParsedPaper(title="Quantised Otter Whiskers at Scale for Everyone", year=2024),
        ParsedPaper(title="Quantised Otter Whiskers at Scale for Everyone (extended)", year=2024),
    )
    assert window.duplicates.find()
    qtbot.waitUntil(lambda: window.duplicates.dialog is not None, timeout=20_000)
    dialog = window.duplicates.dialog
    assert dialog is not None
    pair = (min(first, second), max(first, second))
    rows = [tuple(sorted(p[:2])) for p in dialog.pairs]
    dialog.list.setCurrentItem(dialog.list.topLevelItem(rows.index(pair)))
    before = len(dialog.pairs)
    dialog.skip.click()
    assert len(dialog.pairs) == before - 1
    assert pair not in [tuple(sorted(p[:2])) for p in dialog.pairs]
    assert len(gui_lib.get([first, second])) == 2
    dialog.close()


def test_detail_pane_pdf_button_follows_the_paper(
    qtbot: QtBot, opened: list[QUrl], tmp_path: Path
) -> None:
    from readinglist.records import PaperData

    pane = DetailPane()
    qtbot.addWidget(pane)
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF")
    pane.show_paper(PaperData(id=1, title="With", pdf_path=str(pdf)))
    button = pane.findChild(QToolButton, "pdfButton")
    assert button is not None and not button.isHidden()
    assert pane.open_pdf() and opened[-1] == QUrl.fromLocalFile(str(pdf))
    pane.show_paper(PaperData(id=2, title="Without"))
    assert button.isHidden() and not pane.open_pdf()
    assert len(opened) == 1


def test_import_summary_tells_merged_papers_from_unchanged_ones(qtbot: QtBot) -> None:
    from readinglist.gui.summary import ImportSummaryDialog

    report = ImportReport(
        "refs.bib",
        added=[9],
        duplicates=[("Attention Is All You Need", 1), ("Deep Learning", 2)],
        merged=[(1, ["authors", "year", "tag:transformers"])],
    )
    dialog = ImportSummaryDialog([report])
    qtbot.addWidget(dialog)
    top = dialog.tree.topLevelItem(0)
    assert top is not None
    rows = [top.child(i) for i in range(top.childCount())]
    assert [r.text(0) for r in rows] == [
        "1 merged into the papers they match",
        "1 already in the library, unchanged",
    ]
    assert rows[0].child(0).text(0) == (
        "#1  Attention Is All You Need — added authors, year, tag transformers"
    )
    assert rows[1].child(0).text(0) == "#2  Deep Learning"
