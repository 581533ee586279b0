"""Counts worded for the user."""

from readinglist.core.wording import counted


def test_counted_singular_and_plural() -> None:
    assert counted(1, "problem") == "1 problem"
    assert counted(0, "problem") == "0 problems"
    assert counted(2, "duplicate") == "2 duplicates"
    assert counted(3, "entry", "entries") == "3 entries"
    assert counted(1, "entry", "entries") == "1 entry"
