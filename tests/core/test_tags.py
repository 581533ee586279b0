"""Tag-list parsing shared by the command line and the window."""

from __future__ import annotations

from readinglist.core.tags import clean_tag, parse_tag_list


def test_parse_tag_list_splits_trims_and_dedupes() -> None:
    assert parse_tag_list(" to-read,  deep   learning ,,To-Read, cv ") == [
        "to-read",
        "deep learning",
        "cv",
    ]
    assert parse_tag_list(["a, b", "c", "B"]) == ["a", "b", "c"]
    assert parse_tag_list("") == [] and parse_tag_list([]) == []
    assert clean_tag("  many \t spaces  ") == "many spaces"
