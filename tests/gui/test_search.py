"""The window's one search/sort state: composing its query and header clicks; the tag filter."""

from __future__ import annotations

from dataclasses import replace

from pytestqt.qtbot import QtBot

from readinglist.core.query import Query, as_you_type, compose
from readinglist.core.tags import TagInfo
from readinglist.gui.search import SearchState
from readinglist.gui.widgets import TagFilter


def test_no_choice_means_feed_position_or_best_match_while_searching() -> None:
    state = SearchState()
    assert state.query() == Query(sort="feed", descending=True)
    searching = replace(state, text="  mamba ")
    assert searching.effective_sort() == ("relevance", True)
    assert searching.is_searching() and not state.is_searching()


def test_the_query_is_the_cores_composition() -> None:
    view = Query(text="tag:vision OR title:image", read=False)
    state = SearchState(view=view, text="diffusion", tag="cv", starred_only=True)
    assert state.query() == compose(view, as_you_type("diffusion"), tags=["cv"], starred=True)
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
    # The table shows the feed position; "Added" starts newest first, a second click flips it.
    assert state.sorted_by("added").effective_sort() == ("added", True)
    assert state.sorted_by("added").sorted_by("added").effective_sort() == ("added", False)
    # Another column starts in its own direction: names A to Z, years high to low.
    title = state.sorted_by("title")
    assert title.effective_sort() == ("title", False)
    assert title.sorted_by("title").effective_sort() == ("title", True)
    assert title.sorted_by("year").effective_sort() == ("year", True)
    # While searching the table shows best match first, so "Added" starts newest first.
    assert SearchState(text="x").sorted_by("added").effective_sort() == ("added", True)


def test_the_typed_text_is_searched_as_you_type_the_views_text_as_saved() -> None:
    view = Query(text="title:lang")  # A saved search ending in a partial word stays exact.
    state = SearchState(view=view, text="language mod")
    assert state.query().text == "(title:lang) AND (language mod*)"
    # A finished word (a space typed after it) is searched as it is.
    assert SearchState(text="language ").query().text == "language"
    assert SearchState(view=view).query().text == "title:lang"


def test_relevance_is_the_default_rule_spelled_one_way() -> None:
    # Choosing relevance is choosing no column: the state holds None either way.
    assert SearchState(sort="relevance").sort is None
    assert replace(SearchState(), sort="no-such-key").sort is None
    by_title = SearchState(text="mamba").sorted_by("title")
    back = by_title.chosen("relevance")
    assert back.sort is None and back.effective_sort() == ("relevance", True)
    assert back == replace(by_title, sort=None)
    # Without text there is nothing to rank: the rule shows the feed position.
    assert not SearchState().can_rank() and back.can_rank()
    assert SearchState().chosen("relevance").effective_sort() == ("feed", True)
    # A saved search's own text can be ranked too.
    assert SearchState(view=Query(text="tag:x")).can_rank()


def test_menu_choices_keep_the_shown_direction_else_start_naturally() -> None:
    state = SearchState()  # Shows the feed position, newest import first.
    assert state.chosen("feed").effective_sort() == ("feed", True)
    assert state.directed(False).chosen("feed").effective_sort() == ("feed", False)
    assert state.chosen("added").effective_sort() == ("added", True)
    assert state.chosen("authors").effective_sort() == ("authors", False)
    assert state.chosen("starred").effective_sort() == ("starred", True)
    # A direction applies to the order shown, and makes it a choice.
    assert state.directed(False) == replace(state, sort="feed", descending=False)
    assert state.chosen("title").directed(True).effective_sort() == ("title", True)
    # Best match first has no other direction.
    searching = SearchState(text="mamba")
    assert searching.directed(False) == searching


def test_a_long_tag_name_does_not_widen_the_tag_filter(qtbot: QtBot) -> None:
    combo = TagFilter()
    qtbot.addWidget(combo)
    combo.fill([TagInfo(1, "to-read", "", 3)])
    usual = combo.sizeHint().width()
    long_name = "Computer Science - Computation and Language"
    combo.fill([TagInfo(1, "to-read", "", 3), TagInfo(2, long_name, "", 1)])
    # The toolbar keeps its size; the list that drops down makes room for the long name.
    assert combo.sizeHint().width() == usual
    text = combo.view().fontMetrics().horizontalAdvance(f"{long_name} (1)")
    assert combo.view().minimumWidth() >= min(text, TagFilter.POPUP_MAX_WIDTH)
    assert combo.view().minimumWidth() > usual
    # Chosen, the whole name is in the tooltip, as the toolbar shows it elided.
    combo.setCurrentIndex(combo.findData(long_name))
    assert long_name in combo.toolTip()
    combo.setCurrentIndex(0)
    assert long_name not in combo.toolTip()
