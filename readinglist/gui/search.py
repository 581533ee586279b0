"""What the paper table shows: the one search and sort state, and running its query.

Owns :class:`SearchState`, everything that decides the table's query: the
sidebar view, the typed text, the quick filters (tag, starred only, unread
only) and the user's sort choice, where ``None`` means "no choice" and the
core's default rule applies (:func:`~readinglist.core.query.effective_sort`:
best match first while searching, else the feed position: the newest
import first, each in its file's order).  Choosing "Relevance"
is choosing that rule, so it is stored as ``None`` too: one value, one
meaning.  The query itself is built by the core's
:func:`~readinglist.core.query.compose`, exactly as the command line builds
its own; the typed text goes in as typed so far
(:func:`~readinglist.core.query.as_you_type`: its last word is a prefix),
a view's or saved search's own text as it is.

Owns also :class:`SearchController`, which keeps that state, debounces
typing, and runs each query in the background; the newest query wins, an
older result arriving late is dropped.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.query import SORT_KEYS, Query, as_you_type, compose, first_direction
from ..library import Library
from ..search import QuerySyntaxError, SearchResult
from .jobs import JobController

__all__ = ["SEARCH_DEBOUNCE_MS", "SearchController", "SearchState"]

# Rows shown at start-up before the whole list has been read.
FIRST_PAGE = 200
# Typing pauses this long before the search runs: one query per burst of keys.
SEARCH_DEBOUNCE_MS = 180


@dataclass(frozen=True)
class SearchState:
    """The inputs of the table's query; immutable, changed by making a new one."""

    view: Query = field(default_factory=Query)
    text: str = ""
    tag: str | None = None
    starred_only: bool = False
    unread_only: bool = False
    #: The key the user sorted by; None: the default rule (also what "relevance" becomes).
    sort: str | None = None
    descending: bool = True

    def __post_init__(self) -> None:
        # "relevance" and unknown keys mean what no choice means: keep one spelling of it.
        if self.sort is not None and (self.sort == "relevance" or self.sort not in SORT_KEYS):
            object.__setattr__(self, "sort", None)

    def query(self) -> Query:
        """The query to run, composed by the core's one rule.

        The typed text is searched as typed so far: its last word is also a
        prefix (``language mod`` searches ``language mod*``).
        """
        return compose(
            self.view,
            as_you_type(self.text),
            tags=(self.tag,) if self.tag else (),
            starred=True if self.starred_only else None,
            read=False if self.unread_only else None,
            sort=self.sort,
            descending=self.descending,
        )

    def effective_sort(self) -> tuple[str, bool]:
        """The ``(key, descending)`` the query really sorts by (what the header shows)."""
        q = self.query()
        return q.sort, q.descending

    def sorted_by(self, key: str) -> SearchState:
        """The state after a click on the header of sort *key*.

        Clicking the column the table is sorted by flips its direction;
        another column starts in its natural direction (newest, highest
        first; names A to Z).
        """
        shown, descending = self.effective_sort()
        descending = not descending if key == shown else first_direction(key)
        return replace(self, sort=key, descending=descending)

    def chosen(self, key: str) -> SearchState:
        """The state after choosing sort *key* in the View → Sort by menu.

        "relevance" goes back to the default rule (best match first while
        there is search text).  The order shown keeps its direction; another
        key starts in its natural direction, as a header click does.
        """
        if key == "relevance":
            return replace(self, sort=None)
        shown, descending = self.effective_sort()
        return replace(
            self, sort=key, descending=descending if key == shown else first_direction(key)
        )

    def directed(self, descending: bool) -> SearchState:
        """The state after choosing a direction for the order shown (best match first stays)."""
        shown, _ = self.effective_sort()
        if shown == "relevance":
            return self
        return replace(self, sort=shown, descending=descending)

    def can_rank(self) -> bool:
        """True when there is search text (typed or the view's), so relevance means something."""
        return bool(self.query().text.strip())

    def is_searching(self) -> bool:
        """True when the user typed something (the count then says "match")."""
        return bool(self.text.strip())


class SearchController(QObject):
    """Keeps the :class:`SearchState` and runs its query off the GUI thread.

    Setters change one input and run the query (typing waits
    :data:`SEARCH_DEBOUNCE_MS` first).  Each run gets a generation number;
    only the newest run's outcome is emitted.  Queries are started through
    the :class:`~readinglist.gui.jobs.JobController`, so closing the window
    waits for them.
    """

    #: The newest query's result: (ids in order, SearchResult or None, the Query).
    resultReady = Signal(object, object, object)
    #: The newest query's text could not be parsed: the message for the user.
    queryFailed = Signal(str)
    #: Some input changed (the header's sort indicator may need updating).
    stateChanged = Signal()
    #: The first page of the list at start-up: (ids, the list's total).
    firstPageReady = Signal(object, int)
    #: The search text was changed through :meth:`set_text` (to mirror in the edit).
    textChanged = Signal(str)

    def __init__(self, lib: Library, jobs: JobController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lib = lib
        self._jobs = jobs
        self._state = SearchState()
        self._generation = 0
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._timer.timeout.connect(self.run)

    @property
    def state(self) -> SearchState:
        """The current inputs."""
        return self._state

    def query(self) -> Query:
        """The query the table shows (or is about to show)."""
        return self._state.query()

    def _change(self, state: SearchState, *, run: bool = True) -> None:
        self._state = state
        self.stateChanged.emit()
        if run:
            self.run()

    # --- inputs ---------------------------------------------------------------------

    def set_text(self, text: str, *, debounce: bool = True) -> None:
        """Set the typed search; run it after the typing pause, or now."""
        if text != self._state.text:
            self._change(replace(self._state, text=text), run=False)
            self.textChanged.emit(text)
            if debounce:
                self._timer.start()
        if not debounce:
            self.run()

    def set_view(self, view: Query) -> None:
        """Show the sidebar entry whose filter is *view*."""
        self._change(replace(self._state, view=view))

    def set_tag(self, tag: str | None) -> None:
        """Show only papers with *tag* (None: any tag)."""
        self._change(replace(self._state, tag=tag or None))

    def set_starred_only(self, on: bool) -> None:
        """Show only starred papers, or drop that filter."""
        self._change(replace(self._state, starred_only=bool(on)))

    def set_unread_only(self, on: bool) -> None:
        """Show only unread papers, or drop that filter."""
        self._change(replace(self._state, unread_only=bool(on)))

    def sort_by(self, key: str) -> None:
        """Sort as a click on the header of *key* asks (see :meth:`SearchState.sorted_by`)."""
        self._change(self._state.sorted_by(key))

    def choose_sort(self, key: str) -> None:
        """Sort as choosing *key* in the menu asks (see :meth:`SearchState.chosen`)."""
        state = self._state.chosen(key)
        if state != self._state:
            self._change(state)

    def set_descending(self, descending: bool) -> None:
        """Flip the order shown to *descending* or not (see :meth:`SearchState.directed`)."""
        state = self._state.directed(descending)
        if state != self._state:
            self._change(state)

    def set_sort(self, key: str | None, descending: bool = True) -> None:
        """Sort by *key* in that direction; None goes back to the default rule."""
        self._change(replace(self._state, sort=key, descending=descending))

    def restore(
        self, *, sort: str | None, descending: bool, starred_only: bool, unread_only: bool
    ) -> None:
        """Take saved settings back without running a query (the window runs the first)."""
        state = replace(
            self._state,
            sort=sort,
            descending=descending,
            starred_only=starred_only,
            unread_only=unread_only,
        )
        self._change(state, run=False)

    # --- running --------------------------------------------------------------------

    def run(self) -> None:
        """Run the current query in the background; the newest run wins."""
        self._timer.stop()
        self._generation += 1
        generation = self._generation
        query = self.query()
        lib = self._lib

        def done(result: tuple[list[int], SearchResult | None]) -> None:
            if generation == self._generation and not self._jobs.closing:
                self.resultReady.emit(result[0], result[1], query)

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            if isinstance(exc, QuerySyntaxError):
                self.queryFailed.emit(str(exc))
            else:
                # Not the user's typing: a real failure, for the app's error dialog.
                sys.excepthook(type(exc), exc, exc.__traceback__)

        self._jobs.start(lambda _progress: lib.query(query), on_success=done, on_failure=failed)

    def run_first(self) -> None:
        """The first screen: one page of the list at once, then the whole list.

        Listing every id of a 100,000-paper library takes a tenth of a second
        more than its first page; the window shows that page (and the total)
        as soon as it is read.  A search typed meanwhile wins as usual.
        """
        query = self.query()
        if query.text.strip():
            self.run()
            return
        self._generation += 1
        generation = self._generation
        lib = self._lib

        def done(page: tuple[list[int], int]) -> None:
            if generation == self._generation and not self._jobs.closing:
                self.firstPageReady.emit(page[0], page[1])
                self.run()

        self._jobs.start(
            lambda _progress: lib.page(query, 0, FIRST_PAGE),
            on_success=done,
            on_failure=lambda _exc: self.run(),
        )
