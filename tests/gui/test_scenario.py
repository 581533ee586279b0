"""One scenario through both clients: the command line and the window's controllers.

Import a folder, search, tag the hits, export the tag: the two libraries and
the two exports must come out the same, because both clients call the same
core rules (folder expansion, query composition and default sort, tag-list
parsing, export scopes).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from readinglist.cli import run
from readinglist.core.exports import ExportScope
from readinglist.core.query import as_you_type
from readinglist.gui.main_window import MainWindow
from readinglist.library import Library

SAMPLE = Path(__file__).parents[1] / "data" / "hf-trending-mar11.txt"
SEARCH = "language model"
TAGS = "to-read,  Language Models"
# What differs between two libraries by nature: when things happened.
VOLATILE = {"added_at", "updated_at"}

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support")


def _cli(lib: Path, *args: str) -> str:
    out = io.StringIO()
    assert run(["--library", str(lib), *args], out=out) == 0
    return out.getvalue()


def _library_json(lib: Path) -> list[dict[str, Any]]:
    papers = json.loads(_cli(lib, "list", "--json"))
    return [{k: v for k, v in p.items() if k not in VOLATILE} for p in papers]


def _drop_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    (folder / "feeds").mkdir(parents=True)
    (folder / "feeds" / "mar11.txt").write_bytes(SAMPLE.read_bytes())
    (folder / "refs.bib").write_text(
        "@article{vaswani2017, title={Attention Is All You Need}, year={2017},\n"
        "  author={Vaswani, Ashish and Shazeer, Noam}, journal={NeurIPS}}\n"
        "@misc{lm2023, title={Scaling Language Models Sensibly}, year={2023}}\n",
        "utf-8",
    )
    return folder


def test_cli_and_gui_give_the_same_library_and_export(qtbot: QtBot, tmp_path: Path) -> None:
    folder = _drop_folder(tmp_path)

    # --- through the command line ----------------------------------------------------
    cli_lib = tmp_path / "cli-lib"
    _cli(cli_lib, "import", str(folder))
    # The window searches what is typed as you type (the last word is a prefix too);
    # the command line is given that same text.
    typed = as_you_type(SEARCH)
    cli_hits = [p["id"] for p in json.loads(_cli(cli_lib, "search", typed, "--json"))]
    assert len(cli_hits) > 1  # an ordering worth comparing
    _cli(cli_lib, "tag", *map(str, cli_hits), "--add", TAGS)
    cli_bib = tmp_path / "cli.bib"
    _cli(cli_lib, "export", "--tag", "to-read", "-o", str(cli_bib))

    # --- through the window's controllers --------------------------------------------
    gui_dir = tmp_path / "gui-lib"
    lib = Library(gui_dir, sync_index=False, background_index=True)
    window = MainWindow(lib, QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.queryFinished, timeout=10_000):
            window.show()
        with qtbot.waitSignal(window.importFinished, timeout=30_000):
            assert window.transfer.import_paths([folder])
        assert window.transfer.last_summary is not None
        window.transfer.last_summary.close()
        with qtbot.waitSignal(window.queryFinished, timeout=10_000):
            window.search.set_text(SEARCH, debounce=False)
        assert window.search.query().text == typed
        gui_hits = window.model.ids()
        # Best matches first in both, in the same order.
        assert gui_hits == cli_hits
        window.edits.add_tags(gui_hits, [TAGS])
        lib.flush_index()
        # The sidebar lists the new tag once the change notice has been handled.
        qtbot.waitUntil(
            lambda: window.sidebar.model.index_for_key("tag:to-read").isValid(), timeout=5000
        )
        with qtbot.waitSignal(window.queryFinished, timeout=10_000):
            window.search.set_text("", debounce=False)
        with qtbot.waitSignal(window.queryFinished, timeout=10_000):
            window.sidebar.select_key("tag:to-read")
        assert window.search.query().tags == ("to-read",)
        gui_bib = tmp_path / "gui.bib"
        with qtbot.waitSignal(window.exportFinished, timeout=10_000):
            assert window.transfer.export(gui_bib, ExportScope.VIEW)
    finally:
        window.close()
        lib.close()

    assert cli_bib.read_text("utf-8") == gui_bib.read_text("utf-8")
    assert len(re.findall(r"^@\w+\{", cli_bib.read_text("utf-8"), re.M)) == len(cli_hits)
    assert _library_json(cli_lib) == _library_json(gui_dir)
    tags = {tuple(p["tags"]) for p in _library_json(gui_dir) if p["id"] in cli_hits}
    assert tags == {("Language Models", "to-read")}
