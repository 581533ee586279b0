"""Tag-list parsing shared by the command line and the window."""

from __future__ import annotations

from readinglist.core.tags import clean_tag, parse_tag_list
from readinglist.library import Library
from readinglist.records import ParsedPaper, ParseResult


def test_parse_tag_list_splits_trims_and_dedupes() -> None:
    assert parse_tag_list(" to-read,  deep   learning ,,To-Read, cv ") == [
        "to-read",
        "deep learning",
        "cv",
    ]
    assert parse_tag_list(["a, b", "c", "B"]) == ["a", "b", "c"]
    assert parse_tag_list("") == [] and parse_tag_list([]) == []
    assert clean_tag("  many \t spaces  ") == "many spaces"


def test_tag_counts_leave_out_the_trash(library: Library) -> None:
    ids = library.import_records(
        ParseResult(format="t", papers=[ParsedPaper(title=f"Paper {i}") for i in range(4)]), "x"
    ).added
    library.add_tags(ids[:3], ["kept"])
    library.add_tags(ids[3:], ["gone"])
    library.trash([ids[0], ids[3]])
    assert [(t.name, t.count) for t in library.tags()] == [("gone", 0), ("kept", 2)]
