"""The window's one search/sort state: composing its query and header clicks."""

from __future__ import annotations

from dataclasses import replace

from readinglist.core.query import Query, compose
from readinglist.gui.search import SearchState


def test_no_choice_means_newest_first_or_best_match_while_searching() -> None:
    state = SearchState()
    assert state.query() == Query(sort="added", descending=True)
    searching = replace(state, text="  mamba ")
    assert searching.effective_sort() == ("relevance", True)
    assert searching.is_searching() and not state.is_searching()


def test_the_query_is_the_cores_composition() -> None:
    view = Query(text="tag:vision OR title:image", read=False)
    state = SearchState(view=view, text="diffusion", tag="cv", starred_only=True)
    assert state.query() == compose(view, "diffusion", tags=["cv"], starred=True)
    # The view's own unread filter is kept when "unread only" is off.
    assert state.query().read is False
    trash = SearchState(view=Query(trashed=True), unread_only=True)
    assert trash.query().trashed and trash.query().read is False


def test_a_chosen_column_stays_while_searching() -> None:
    state = SearchState(text="mamba").sorted_by("title")
    assert (state.sort, state.descending) == ("title", False)
    assert state.query().sort == "title"
    # Going back to no choice restores best match first.
    assert replace(state, sort=None).effective_sort() == ("relevance", True)


def test_header_clicks_flip_the_shown_column_else_start_naturally() -> None:
    state = SearchState()
    # "Added" is what the table shows (newest first): a click flips it.
    assert state.sorted_by("added").effective_sort() == ("added", False)
    # Another column starts in its own direction: names A to Z, years high to low.
    title = state.sorted_by("title")
    assert title.effective_sort() == ("title", False)
    assert title.sorted_by("title").effective_sort() == ("title", True)
    assert title.sorted_by("year").effective_sort() == ("year", True)
    # While searching the table shows best match first, so "Added" starts newest first.
    assert SearchState(text="x").sorted_by("added").effective_sort() == ("added", True)
