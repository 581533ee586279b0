"""Structured authors: names parsed by libraries, stored as parts, used everywhere."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from readinglist.citekeys import make_citekey
from readinglist.core.query import Query
from readinglist.exporters.bibtex import entry
from readinglist.library import Library
from readinglist.people import (
    Person,
    dump_people,
    load_people,
    parse_bibtex_names,
    parse_name,
)
from readinglist.records import PaperData, ParsedPaper, ParseResult

KING = Person(given="Martin Luther", family="King", suffix="Jr.")


@pytest.mark.parametrize(
    ("raw", "person"),
    [
        ("Martin Luther King Jr.", KING),
        ("King, Jr., Martin Luther", KING),
        # RIS and reference lists put the suffix last.
        ("King, Martin Luther, Jr.", KING),
        ("Vincent van Gogh", Person(given="Vincent", family="Gogh", prefix="van")),
        ("van Gogh, Vincent", Person(given="Vincent", family="Gogh", prefix="van")),
        ("Jean-Pierre de la Fontaine", Person("Jean-Pierre", "Fontaine", "de la")),
        ("Knuth, Donald E.", Person(given="Donald E.", family="Knuth")),
        ("OpenAI", Person(family="OpenAI")),
        ("Li Chen et al.", Person(given="Li", family="Chen")),
        ("  ", Person()),
    ],
)
def test_parse_name(raw: str, person: Person) -> None:
    assert parse_name(raw) == person


def test_bibtex_names_follow_bibtex_rules() -> None:
    people = parse_bibtex_names("King, Jr., Martin Luther and van Gogh, Vincent and others")
    assert people == [KING, Person(given="Vincent", family="Gogh", prefix="van")]


def test_display_inverted_and_sort_forms() -> None:
    assert KING.display() == "Martin Luther King Jr."
    assert KING.inverted() == "King, Martin Luther, Jr."
    assert parse_name(KING.inverted()) == KING
    gogh = Person(given="Vincent", family="Gogh", prefix="van")
    assert gogh.display() == "Vincent van Gogh"
    # "van Gogh" sorts under G, like a reference list.
    assert sorted([gogh, KING, Person("Ada", "Lovelace")], key=Person.sort_key)[0] == gogh


def test_json_round_trip_and_legacy_fallback() -> None:
    stored = dump_people([KING, Person(family="OpenAI")])
    assert load_people(stored) == (KING, Person(family="OpenAI"))
    # Rows from before schema 4 have '' and their display names.
    assert load_people("", ["Martin Luther King Jr."]) == (KING,)


def test_citekey_and_bibtex_use_the_parts() -> None:
    # Re-parsing a display string made "Jr" the family name.
    assert make_citekey([KING], "I Have a Dream", 1963, set()) == "kingHaveDream1963"

    bib = entry(PaperData(id=1, title="I Have a Dream", people=(KING,), year=1963))
    assert "  author = {King, Jr., Martin Luther},\n" in bib


def test_library_stores_people_sorts_and_keys(tmp_path: Path) -> None:
    papers = [
        ParsedPaper(title="Dream", authors=[KING], year=1963),
        ParsedPaper(title="Starry Night", authors=[Person("Vincent", "Gogh", "van")], year=1889),
        ParsedPaper(title="Notes", authors=[Person("Ada", "Lovelace")], year=1843),
    ]
    with Library(tmp_path / "lib") as lib:
        report = lib.import_records(ParseResult(format="test", papers=papers), "x")
        stored = lib.get(report.added)
        assert stored[0].people == (KING,)
        assert stored[0].authors == ("Martin Luther King Jr.",)
        assert stored[0].citekey == "kingDream1963"

        by_author = [
            lib.get([i])[0].title for i in lib.query_ids(Query(sort="authors", descending=False))
        ]
        assert by_author == ["Starry Night", "Dream", "Notes"]
        # Edited as display text, stored as parts.
        lib.update_paper(report.added[2], authors=["Lovelace, Ada Augusta", "Charles Babbage"])
        edited = lib.get([report.added[2]])[0]
        assert edited.people == (Person("Ada Augusta", "Lovelace"), Person("Charles", "Babbage"))
        assert "authors" in edited.edited


def test_schema_3_library_is_upgraded_and_reads_people(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    with Library(folder) as lib:
        lib.import_records(
            ParseResult(format="t", papers=[ParsedPaper(title="Dream", authors=[KING])]), "x"
        )
    con = sqlite3.connect(folder / "library.sqlite3")
    for column in ("people", "pdf_path", "extra", "edited"):
        con.execute(f"ALTER TABLE papers DROP COLUMN {column}")
    con.execute("PRAGMA user_version = 3")
    con.commit()
    con.close()
    with Library(folder) as lib:
        assert any("3 -> 4" in step for step in lib.db.migrations)
        (paper,) = lib.get(lib.query_ids(Query()))
        assert paper.people == (KING,)
        assert paper.pdf_path == "" and paper.extra == ()
