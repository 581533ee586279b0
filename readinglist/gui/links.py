"""Opening a paper's links: the one function every click on a link goes through.

Links come from imported files and web pages, so they are hostile until the
user says otherwise:

* an ``http``/``https`` URL with a host opens in the browser at once;
* a ``file:`` URL opens only after the user confirms a dialog naming the
  path (a file handed to the desktop may be a program or a document with
  macros: a page that plants ``file:///home/me/.local/bin/x`` must not be one
  click away from running it);
* anything else (``javascript:``, ``data:``, custom handlers that launch
  programs...) is shown but never opened.

A paper's own attached PDF is different: the user chose that file when
importing it, so :func:`open_file` opens it without the confirmation (after
checking it is still there, and saying so when it is not).

Which of a paper's links "Open" means (the PDF, else arXiv, DOI, the web
page) is the core's rule (:mod:`readinglist.core.links`);
:func:`open_paper_link` opens the one it chose, by the rules above.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from ..core.links import PaperLink

__all__ = [
    "CONFIRMED_SCHEMES",
    "SAFE_SCHEMES",
    "is_safe_url",
    "open_file",
    "open_paper_link",
    "open_url",
]

# The only URL schemes a link may open.
SAFE_SCHEMES = frozenset({"http", "https", "file"})
# Of those, the ones that open only after the user confirms.
CONFIRMED_SCHEMES = frozenset({"file"})


def is_safe_url(url: str) -> bool:
    """Return True if *url* may be opened: an http(s) URL with a host or a file URL."""
    qurl = QUrl(url.strip(), QUrl.ParsingMode.StrictMode)
    if not qurl.isValid():
        return False
    scheme = qurl.scheme().lower()
    if scheme in {"http", "https"}:
        return bool(qurl.host())
    return scheme == "file" and bool(qurl.path())


def open_url(parent: QWidget | None, url: str) -> bool:
    """Open *url* in the desktop's handler, asking first for a file; return whether opened."""
    if not is_safe_url(url):
        return False
    qurl = QUrl(url.strip(), QUrl.ParsingMode.StrictMode)
    if qurl.scheme().lower() in CONFIRMED_SCHEMES and not _confirm_file(parent, qurl):
        return False
    return QDesktopServices.openUrl(qurl)


def open_file(parent: QWidget | None, path: str) -> bool:
    """Open the paper's attached file *path* in the desktop's viewer; return whether opened.

    Not confirmed like a ``file:`` link: the user picked this file at import.
    A file that is gone (moved, deleted, on an unplugged disk) is named in a
    warning instead of handing the desktop a path that fails silently.
    """
    target = Path(path).expanduser()
    if not path.strip() or not target.is_file():
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "PDF not found",
            f"The attached PDF is not there any more:\n\n{path}",
            parent=parent,
        )
        box.setObjectName("missingFile")
        # The path was read from an imported file: never render it as markup.
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText("It may have been moved, renamed or deleted.")
        box.open()
        return False
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(target.resolve())))


def open_paper_link(parent: QWidget | None, link: PaperLink) -> bool:
    """Open one of a paper's links: its attached file as :func:`open_file`, a page as a link."""
    return open_file(parent, link.target) if link.is_file else open_url(parent, link.target)


def _confirm_file(parent: QWidget | None, qurl: QUrl) -> bool:
    path = qurl.toLocalFile() or qurl.toString()
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Open a file?",
        f"This link opens a file on your computer:\n\n{path}",
        parent=parent,
    )
    box.setObjectName("confirmFileLink")
    # The path comes from imported data: never render it as markup.
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText(
        "The link came from imported data. A file can be a program; "
        "open it only if you know what it is."
    )
    open_button = box.addButton("Open File", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    # Enter must not open it: the safe answer is the default.
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is open_button
