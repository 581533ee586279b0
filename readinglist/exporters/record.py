"""What every exporter reads of a paper: the :class:`Record` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..people import Person

__all__ = ["Record"]


class Record(Protocol):
    """What the exporter reads of a paper.

    A :class:`~readinglist.records.PaperData` is one; the library's bulk
    export passes lighter records of just these fields (a snapshot per paper
    was a noticeable part of exporting 100,000 papers).
    """

    @property
    def title(self) -> str: ...
    @property
    def abstract(self) -> str: ...
    @property
    def people(self) -> Sequence[Person]: ...
    @property
    def year(self) -> int | None: ...
    @property
    def venue(self) -> str: ...
    @property
    def arxiv_id(self) -> str: ...
    @property
    def doi(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def entry_type(self) -> str: ...
    @property
    def citekey(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def note(self) -> str: ...
    @property
    def extra(self) -> Sequence[tuple[str, str]]: ...
