"""Exporters: pure functions turning library records into the text of a file.

One module per format.  Each offers ``dumps(papers) -> str`` and a streaming
``dump(papers, fp) -> int``; :data:`EXPORTERS` maps a format name to its
``dumps`` and :data:`SUFFIXES` to its usual file name suffix, so clients can
list formats without importing each module themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..records import PaperData
from . import bibtex

__all__ = ["EXPORTERS", "SUFFIXES", "bibtex"]

EXPORTERS: dict[str, Callable[[Iterable[PaperData]], str]] = {
    "bibtex": bibtex.dumps,
}

SUFFIXES: dict[str, str] = {
    "bibtex": ".bib",
}
