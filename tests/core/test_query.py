"""Query composition and the default sort: the rules both clients share."""

from __future__ import annotations

from readinglist.core.query import (
    Query,
    as_you_type,
    combine_text,
    compose,
    effective_sort,
    first_direction,
)


def test_default_sort_is_relevance_while_searching_else_the_feed_position() -> None:
    assert effective_sort("mamba", None) == ("relevance", True)
    # Newest import first, each in its file's order (not "added": last paper first).
    assert effective_sort("   ", None) == ("feed", True)
    assert effective_sort("", "relevance", False) == ("feed", True)
    # Chosen, the feed position sorts a search too, in either direction.
    assert effective_sort("mamba", "feed", False) == ("feed", False)
    assert effective_sort("", "added", True) == ("added", True)
    # A column the user chose wins, search or not.
    assert effective_sort("mamba", "title", False) == ("title", False)
    assert effective_sort("", "year", True) == ("year", True)
    # Unknown keys (an old settings file) fall back to the default.
    assert effective_sort("x", "colour", False) == ("relevance", True)


def test_first_direction_of_columns() -> None:
    newest_first = ("feed", "added", "year", "starred", "relevance")
    assert [first_direction(k) for k in newest_first] == [True] * 5
    assert [first_direction(k) for k in ("title", "authors", "citekey", "read")] == [False] * 4


def test_combine_text_keeps_each_part_whole() -> None:
    assert combine_text("", " ") == ""
    assert combine_text("a OR b", "") == "a OR b"
    assert combine_text("a OR b", "c") == "(a OR b) AND (c)"


def test_compose_narrows_the_view_with_text_filters_and_sort() -> None:
    saved = Query(text="tag:vision OR title:image", tags=("to-read",), read=False)
    q = compose(saved, "diffusion", tags=["to-read", "cv"], starred=True)
    assert q.text == "(tag:vision OR title:image) AND (diffusion)"
    assert q.tags == ("to-read", "cv")
    assert q.starred is True and q.read is False
    assert (q.sort, q.descending) == ("relevance", True)
    trash = compose(Query(trashed=True), read=True, sort="title", descending=False)
    assert trash.trashed and trash.read is True and trash.text == ""
    assert (trash.sort, trash.descending) == ("title", False)
    assert compose() == Query(sort="feed", descending=True)


def test_as_you_type_makes_the_last_word_a_prefix() -> None:
    assert as_you_type("language mod") == "language mod*"
    assert as_you_type("title:mam") == "title:mam*"
    assert as_you_type("(vision OR langu") == "(vision OR langu*"
    # Finished words, phrases, operators, stars and single letters stay as typed.
    for text in (
        "language ",
        '"state space',
        "mamba AND",
        "distill*",
        "a",
        "x y",
        "",
        "title:",
        "vision NOT lang",
    ):
        assert as_you_type(text) == text, text
