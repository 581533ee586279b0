"""``make screenshots``: the app on a library holding the sample, saved as PNGs.

Run under a display (``xvfb-run``); writes main-window.png, paper-detail.png
and import-summary.png into the folder given on the command line.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ..core.query import Query
from ..library import Library
from ..paths import resource_path


def _settle(ms: int = 400) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _save(widget: QWidget, path: Path) -> None:
    _settle()
    widget.grab().save(str(path))
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    out = Path(args[0] if args else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="readinglist-shots-"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
    from .app import make_app
    from .main_window import MainWindow

    app = make_app()
    lib = Library(tmp / "library", background_index=True)
    lib.import_file(resource_path("sample-papers.txt"))
    ids = lib.query_ids(Query(sort="added", descending=False))
    yolo = lib.query_ids(Query(text="title:yolov6"))[0]
    lib.add_tags([yolo, *ids[:6]], ["to-read"])
    lib.add_tags([yolo, ids[3]], ["object-detection"])
    lib.add_tags(ids[10:14], ["reasoning"])
    lib.set_tag_colour("to-read", "#2e86de")
    lib.set_tag_colour("object-detection", "#e67e22")
    lib.set_tag_colour("reasoning", "#27ae60")
    lib.set_starred([yolo, ids[2], ids[7]])
    lib.set_read(ids[20:40])
    lib.set_note(
        yolo,
        "## Why read\n\n- Strong **speed/accuracy** trade-off on T4\n"
        "- Compare the quantised YOLOv6-S with YOLOv5-S\n\nTODO: check the RepOpt details.",
    )
    lib.flush_index()

    window = MainWindow(lib, QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    window.resize(1440, 880)
    window.show()
    _settle(800)
    row = window.model.row_of(yolo)
    if row is not None:
        window.table.selectRow(row)
    _save(window, out / "main-window.png")

    window.search.set_text("detection", debounce=False)
    _settle(800)
    row = window.model.row_of(yolo)
    if row is not None:
        window.table.selectRow(row)
    window.detail.focus_note()
    _save(window, out / "paper-detail.png")
    window.search_edit.clear()

    bad = tmp / "broken.bib"
    bad.write_text(
        "@article{ok2020, title={A fine entry}, year=2020}\n@misc{broken, title={oops\n", "utf-8"
    )
    empty = tmp / "empty.txt"
    empty.write_bytes(b"")
    window.transfer.import_paths([resource_path("sample-papers.txt"), bad, empty])
    for _ in range(100):
        _settle(100)
        summary = window.transfer.last_summary
        if summary is not None and summary.isVisible():
            break
    summary = window.transfer.last_summary
    if summary is not None:
        summary.resize(760, 380)
        _save(summary, out / "import-summary.png")
        summary.close()
    window.close()
    lib.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main() if QApplication.instance() is None else 0)
