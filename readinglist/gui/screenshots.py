"""``make screenshots``: the app on a library of 10,000 papers, saved as PNGs.

Run under a display (``xvfb-run``).  Writes into the folder given on the
command line:

* ``main-window.png`` — the window on 10,000 papers: a synthetic page made
  as :mod:`readinglist.bench` makes its pages, then the sample page and a
  small BibTeX file on top (the feed order shows the newest import first);
* ``paper-note.png`` — a search, and a paper with its note rendered;
* ``selection.png`` — several papers selected: the detail pane's bulk edits;
* ``import-notice.png`` — the notice bar an import leaves under the list;
* ``import-summary.png`` — that import's details (the notice's Details).

Building the library takes a few seconds; everything lives in a temporary
folder, settings included.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ..core.query import Query
from ..library import Library
from ..paths import resource_path
from .models import COL_TAGS

#: The papers in the library shown (the synthetic page fills up to it).
PAPERS = 10_000
#: The window's size in every shot, and its panes' widths (sidebar, list, detail).
WINDOW_SIZE = (1440, 880)
_PANES = [230, 770, 440]

_CLASSICS = """\
@inproceedings{vaswani2017attention,
  title = {Attention Is All You Need},
  author = {Vaswani, Ashish and Shazeer, Noam and Parmar, Niki and Uszkoreit, Jakob
            and Jones, Llion and Gomez, Aidan N. and Kaiser, Lukasz and Polosukhin, Illia},
  booktitle = {Advances in Neural Information Processing Systems},
  year = {2017},
  eprint = {1706.03762}, archivePrefix = {arXiv}
}
@inproceedings{devlin2019bert,
  title = {{BERT}: Pre-training of Deep Bidirectional Transformers for Language Understanding},
  author = {Devlin, Jacob and Chang, Ming-Wei and Lee, Kenton and Toutanova, Kristina},
  booktitle = {Proceedings of NAACL-HLT}, year = {2019}, doi = {10.18653/v1/N19-1423}
}
@inproceedings{brown2020language,
  title = {Language Models are Few-Shot Learners},
  author = {Brown, Tom B. and Mann, Benjamin and Ryder, Nick and Subbiah, Melanie},
  booktitle = {Advances in Neural Information Processing Systems}, year = {2020}
}
@inproceedings{he2016deep,
  title = {Deep Residual Learning for Image Recognition},
  author = {He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian},
  booktitle = {CVPR}, year = {2016}, doi = {10.1109/CVPR.2016.90}
}
@article{gu2023mamba,
  title = {Mamba: Linear-Time Sequence Modeling with Selective State Spaces},
  author = {Gu, Albert and Dao, Tri},
  journal = {arXiv preprint arXiv:2312.00752}, year = {2023}
}
"""

_NOTES = {
    "YOLOv6": """\
## Why read

- Strong **speed/accuracy** trade-off on a T4
- Compare the quantised YOLOv6-S with YOLOv5-S: `RepOpt` vs. plain QAT

TODO: check the [RepOpt](https://arxiv.org/abs/2205.15242) details.
""",
    "Attention": """\
## Why read

- The **transformer**: attention only, no recurrence, no convolution
- Section 3.2, *scaled dot-product attention*: `softmax(QK^T / sqrt(d_k)) V`
- Multi-head attention lets each head look at a different subspace

> Read before BERT and GPT-3, which build on it.

### Questions

1. Why does the scaling by `sqrt(d_k)` matter for large `d_k`?
2. How do the positional encodings compare with learned ones?

TODO: compare with [Mamba](https://arxiv.org/abs/2312.00752) on long sequences.
""",
}


def _settle(ms: int = 400) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _wait(done: Callable[[], bool], seconds: float = 30.0) -> None:
    """Let the event loop run until *done* (background queries, imports) or time runs out."""
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        _settle(50)


def _save(widget: QWidget, path: Path) -> None:
    _settle()
    widget.grab().save(str(path))
    print(f"wrote {path}")


def _fill(lib: Library, tmp: Path) -> int:
    """10,000 papers: a synthetic page, the sample page, then a BibTeX file; the YOLOv6 id."""
    from ..bench import make_page
    from ..importers import parse_file

    sample = resource_path("sample-papers.txt")
    bulk = PAPERS - len(parse_file(sample).papers) - _CLASSICS.count("\n@") - 1
    archive = tmp / "trending-archive.txt"
    archive.write_text(make_page(bulk), "utf-8")
    lib.import_file(archive)
    page = lib.import_file(sample).added
    lib.import_bytes(_CLASSICS.encode(), "classics.bib")

    ids = lib.query_ids(Query())  # The feed order: the classics, then the sample page.
    # The sample's YOLOv6 (the synthetic titles reuse its words, "YOLOv6" too).
    yolo = next(p.id for p in lib.get(page) if p.title.startswith("YOLOv6"))
    lib.add_tags([yolo, *ids[:3], *ids[6:12]], ["to-read"])
    lib.add_tags([yolo, ids[9]], ["object-detection"])
    lib.add_tags(ids[:3], ["transformers"])
    lib.add_tags([ids[4], ids[13], ids[14]], ["reasoning"])
    lib.add_tags(ids[200:2200:7], ["to-read"])  # Tags with hundreds of papers, as in use.
    lib.add_tags(ids[300:3300:11], ["reasoning"])
    lib.set_tag_colour("to-read", "#2e86de")
    lib.set_tag_colour("object-detection", "#e67e22")
    lib.set_tag_colour("reasoning", "#27ae60")
    lib.set_tag_colour("transformers", "#f4d03f")
    lib.set_starred([yolo, ids[0], ids[3], ids[8], *ids[500:5000:37]])
    lib.set_read([*ids[1:3], *ids[15:30], *ids[400:9000:3]])
    lib.set_note(yolo, _NOTES["YOLOv6"])
    lib.set_note(ids[0], _NOTES["Attention"])  # The classics come first: Attention is ids[0].
    lib.flush_index()
    return yolo


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
    yolo = _fill(lib, tmp)
    total = lib.count()

    window = MainWindow(lib, QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    window.resize(*WINDOW_SIZE)
    window.show()
    _wait(lambda: window.model.rowCount() == total)
    # Arranged as a user would for a wide screen: room for two tag chips.
    window.splitter.setSizes(_PANES)
    window.table.setColumnWidth(COL_TAGS, 190)
    _settle(600)

    # The window: the newest imports on top, a paper chosen.
    window.table.select_ids([yolo], yolo)
    _save(window, out / "main-window.png")

    # A search, and a paper's note rendered.
    attention = lib.query_ids(Query(text='title:"attention is all you need"'))[0]
    window.search.set_text("tag:transformers", debounce=False)
    _wait(lambda: window.model.rowCount() == 3)
    window.table.select_ids([attention], attention)
    _settle()
    window.detail.set_note_preview(True)
    window.table.setFocus()
    _save(window, out / "paper-note.png")
    window.detail.set_note_preview(False)
    window.search_edit.clear()
    window.search.set_text("", debounce=False)
    _wait(lambda: window.model.rowCount() == total)

    # Several papers chosen: the detail pane edits them together.
    chosen = window.model.ids()[6:11]
    window.table.select_ids(chosen, chosen[0])
    window.table.scrollToTop()
    _save(window, out / "selection.png")

    # An import: the notice under the list, and its details.
    bad = tmp / "reading-group.bib"
    bad.write_text(
        "@article{ok2020, title={Scaling Laws for Neural Language Models},"
        " author={Kaplan, Jared and McCandlish, Sam}, year=2020}\n"
        "@misc{broken, title={Unfinished entry\n",
        "utf-8",
    )
    window.table.select_ids([yolo], yolo)
    window.transfer.import_paths([resource_path("sample-papers.txt"), bad])
    _wait(window.notices.isVisible)
    _settle(600)
    _save(window, out / "import-notice.png")
    summary = window.transfer.show_summary()
    if summary is not None:
        summary.resize(760, 380)
        summary.show()
        _save(summary, out / "import-summary.png")
        summary.close()
    window.close()
    lib.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main() if QApplication.instance() is None else 0)
