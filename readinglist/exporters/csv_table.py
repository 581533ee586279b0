"""CSV export: one row per paper, for spreadsheets and scripts.

(The module is not called ``csv``: inside this package that name would
shadow the standard library's :mod:`csv` for anything importing it
relatively.)

* Columns (:data:`COLUMNS`): citekey, title, authors (display names joined
  by "; "), year, venue, arxiv_id, doi, url, tags ("; "), note.  The key is
  the one the BibTeX export writes (safe and unique, :mod:`.bibtex`), so
  rows and ``.bib`` entries match.
* RFC 4180 as written by :mod:`csv`: comma-separated, CRLF line ends, every
  field holding a comma, quote or line break quoted (a multi-line note is
  one quoted cell).
* UTF-8 **with a byte order mark**.  Excel reads a CSV file without one in
  the system's legacy code page, turning every accent, CJK title and "·"
  into mojibake, and offers no encoding choice on double-click; with the
  BOM it reads UTF-8.  LibreOffice, Google Sheets, pandas and Python's
  ``utf-8-sig`` all skip it; only tools that read raw bytes see it (and
  :data:`BOM` says so here).
* Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that
  starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return
  before one) as a formula, and titles, notes and tags come from imported
  files.  Such a cell is written with a leading ``'``, which spreadsheets
  read as "text" and do not show.  A script reading the file sees the
  quote: the price of the file being safe to double-click.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TextIO

from ..records import Problem
from .bibtex import _citekey_for, _Warnings
from .record import Record

__all__ = ["BOM", "COLUMNS", "dump", "dumps", "row", "safe_cell"]

COLUMNS = ("citekey", "title", "authors", "year", "venue", "arxiv_id", "doi", "url", "tags", "note")
# Written first: see the module's docstring.
BOM = "\ufeff"
# How multiple names and tags are joined in one cell.
SEPARATOR = "; "
# The first characters that make a spreadsheet read a cell as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """Return *text* so that no spreadsheet runs it as a formula (a ``'`` before it if needed)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def row(paper: Record, citekey: str) -> list[str]:
    """Return the cells of *paper*'s row (in :data:`COLUMNS` order)."""
    names = (" ".join(p.display().split()) for p in paper.people)
    tags = (" ".join(t.split()) for t in paper.tags)
    year = str(paper.year) if type(paper.year) is int else ""
    cells = (
        citekey,
        paper.title.strip(),
        SEPARATOR.join(n for n in names if n),
        year,
        paper.venue.strip(),
        paper.arxiv_id.strip(),
        paper.doi.strip(),
        paper.url.strip(),
        SEPARATOR.join(t for t in tags if t),
        paper.note.strip(),
    )
    return [safe_cell(c) for c in cells]


def dump(
    papers: Iterable[Record],
    fp: TextIO,
    *,
    taken: set[str] | None = None,
    problems: list[Problem] | None = None,
    bom: bool = True,
) -> int:
    """Write *papers* to *fp* as CSV with a header row; return how many rows of papers.

    *fp* should be opened with ``newline=""`` (or ``"\\n"``), as for
    :mod:`csv`, so the CRLF row ends are written as they are.  Keys are
    made unique as :func:`.bibtex.dump` makes them.
    """
    seen = taken if taken is not None else set()
    warn = _Warnings(problems)
    if bom:
        fp.write(BOM)
    writer = csv.writer(fp)
    writer.writerow(COLUMNS)
    count = 0
    for paper in papers:
        key = _citekey_for(paper, seen, warn)
        seen.add(key.lower())
        writer.writerow(row(paper, key))
        count += 1
    return count


def dumps(papers: Iterable[Record], *, bom: bool = True) -> str:
    """Return *papers* as CSV text (starting with :data:`BOM` unless *bom* is false)."""
    out = io.StringIO(newline="")
    dump(papers, out, bom=bom)
    return out.getvalue()
