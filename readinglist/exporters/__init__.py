"""Exporters: pure functions turning library records into the text of a file.

One module per format.  Each offers ``dumps(papers) -> str`` and a streaming
``dump(papers, fp) -> int`` (the number of papers written); every one reads
papers through the :class:`~.record.Record` protocol.  :data:`EXPORTERS`
maps a format name to its ``dumps``, :data:`WRITERS` to its ``dump`` and
:data:`SUFFIXES` to its usual file name suffix, so clients can list
formats without importing each module themselves.  The names are those
of :attr:`readinglist.core.exports.Exports.FORMATS`, in its order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TextIO

from . import biblatex, bibtex, csl_json, csv_table, markdown, ris
from .record import Record

__all__ = [
    "EXPORTERS",
    "SUFFIXES",
    "WRITERS",
    "biblatex",
    "bibtex",
    "csl_json",
    "csv_table",
    "markdown",
    "ris",
]

EXPORTERS: dict[str, Callable[[Iterable[Record]], str]] = {
    "bibtex": bibtex.dumps,
    "biblatex": biblatex.dumps,
    "ris": ris.dumps,
    "csl-json": csl_json.dumps,
    "markdown": markdown.dumps,
    "csv": csv_table.dumps,
}

WRITERS: dict[str, Callable[[Iterable[Record], TextIO], int]] = {
    "bibtex": bibtex.dump,
    "biblatex": biblatex.dump,
    "ris": ris.dump,
    "csl-json": csl_json.dump,
    "markdown": markdown.dump,
    "csv": csv_table.dump,
}

# Both BibTeX flavours are .bib files; CSL-JSON is plain .json (what Pandoc's
# --bibliography and Zotero's import look for).
SUFFIXES: dict[str, str] = {
    "bibtex": ".bib",
    "biblatex": ".bib",
    "ris": ".ris",
    "csl-json": ".json",
    "markdown": ".md",
    "csv": ".csv",
}
