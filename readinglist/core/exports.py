"""Exports: which papers, in what format, written atomically to a file.

:func:`write_atomic` is the one way an export reaches the disk: the text goes
to ``<name>.part`` beside the target and replaces it only when complete, so
a failure, a full disk or a cancel never leaves half a ``.bib`` behind.
:func:`scope_ids` resolves what the user asked to export (everything, the
selection, the current view, a query) to paper ids, for both clients.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from ..exporters import bibtex as bibtex_export
from .progress import Progress
from .query import Query
from .reads import CHUNK, Reads

__all__ = ["ExportScope", "Exports", "scope_ids", "write_atomic"]


class ExportScope(enum.Enum):
    """What to export."""

    ALL = "all"  # every paper outside the trash
    SELECTION = "selection"  # the ids the user selected, in their order
    VIEW = "view"  # what the current query shows, in its order


def scope_ids(
    reads: Reads,
    scope: ExportScope,
    *,
    selection: Sequence[int] = (),
    view: Query | None = None,
) -> list[int]:
    """The ids *scope* stands for (see :class:`ExportScope`)."""
    if scope is ExportScope.SELECTION:
        return reads.existing_ids(selection)
    if scope is ExportScope.VIEW and view is not None:
        return reads.query(view)[0]
    return reads.query(Query())[0]


def write_atomic(target: Path, write: Callable[[TextIO], int]) -> int:
    """Call ``write(fp)`` on a temporary file, then move it onto *target*.

    Returns what *write* returned.  On any failure (including a cancel) the
    temporary file is removed and *target* is left as it was.
    """
    tmp = target.with_name(target.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            result = write(fh)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


class Exports:
    """Writes papers out in the formats of :mod:`readinglist.exporters`."""

    FORMATS: tuple[str, ...] = ("bibtex",)

    def __init__(self, reads: Reads) -> None:
        self.reads = reads

    def bibtex(self, ids: Sequence[int], fp: TextIO, progress: Progress | None = None) -> int:
        """Write BibTeX for *ids* to *fp*; return the number of entries."""
        total = len(ids)
        written = 0
        # Shared across chunks so keys stay unique in the whole file.
        taken: set[str] = set()
        for start in range(0, total, CHUNK):
            if progress is not None:
                progress.check()
            papers = self.reads.get(ids[start : start + CHUNK])
            written += bibtex_export.dump(papers, fp, taken=taken)
            if progress is not None:
                progress.report("export", min(start + CHUNK, total), total)
        return written

    def to_file(
        self,
        ids: Sequence[int],
        target: Path,
        fmt: str = "bibtex",
        progress: Progress | None = None,
    ) -> int:
        """Write *ids* to *target* atomically in *fmt*; return the number of entries."""
        if fmt not in self.FORMATS:
            raise ValueError(f"unknown export format '{fmt}'")
        return write_atomic(Path(target), lambda fp: self.bibtex(ids, fp, progress))
