"""Reads at scale: the views' filters, sorts and counts read indexes, not rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from readinglist.core.query import Query
from readinglist.library import Library


def _plan(db: Path, sql: str) -> str:
    con = sqlite3.connect(db)
    try:
        return " | ".join(row[-1] for row in con.execute("EXPLAIN QUERY PLAN " + sql))
    finally:
        con.close()


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        ("SELECT count(id) FROM papers WHERE trashed_at IS NULL AND starred IS 1", "starred"),
        ("SELECT count(id) FROM papers WHERE trashed_at IS NULL AND read IS 0", "read"),
        (
            "SELECT id FROM papers WHERE trashed_at IS NULL ORDER BY title_key, id LIMIT 50",
            "title",
        ),
    ],
)
def test_view_queries_use_an_index(library: Library, sql: str, index: str) -> None:
    plan = _plan(library.db.path, sql)
    assert f"ix_papers_trashed_{index}" in plan and "SCAN papers" not in plan, plan


def test_page_is_the_start_of_the_whole_listing(library: Library, sample_path: Path) -> None:
    library.import_file(sample_path)
    library.set_starred(library.query_ids(Query())[::4])
    for q in (
        Query(),
        Query(starred=True),
        Query(sort="title", descending=False),
        Query(text="model", sort="relevance"),
        Query(text="model", sort="relevance", descending=False),
        Query(text="model", sort="title", descending=False),
    ):
        everything = library.query_ids(q)
        assert len(everything) > 5
        assert library.page(q, 0, 5) == (everything[:5], len(everything))
        assert library.page(q, 5, 5) == (everything[5:10], len(everything))


@pytest.mark.parametrize("walk_limit", [0, 10**9])
def test_tag_pages_are_the_same_whichever_plan_runs(
    library: Library, sample_path: Path, walk_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 0 forces "sort the tag's papers", 10**9 "walk the list order": same pages.
    import readinglist.core.reads as reads

    monkeypatch.setattr(reads, "_WALK_LIMIT", walk_limit)
    library.import_file(sample_path)
    ids = library.query_ids(Query())
    library.add_tags(ids[::2], ["dense"])
    library.add_tags(ids[7:10], ["rare"])
    library.trash(ids[:4])  # trashed papers keep their tags but leave the view
    for q in (
        Query(tags=("dense",)),
        Query(tags=("rare",), sort="title", descending=False),
        Query(tags_any=("rare", "dense"), sort="year"),
        Query(tags=("dense", "rare")),
        Query(tags=("dense",), trashed=True),
    ):
        everything = library.query_ids(q)
        assert everything, q
        assert library.page(q, 0, 5) == (everything[:5], len(everything))
        assert library.page(q, 2, 3) == (everything[2:5], len(everything))


def test_a_tag_view_walks_the_list_only_when_the_tag_is_common(
    library: Library, sample_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import readinglist.core.reads as reads

    library.import_file(sample_path)  # 101 papers
    monkeypatch.setattr(reads, "_WALK_LIMIT", 1000)
    with library.db.reader() as s:
        assert library.reads._dense(s, 50, 50)  # expect to read ~101 papers
        assert not library.reads._dense(s, 1, 50)  # ~5,050
        assert not library.reads._dense(s, 0, 50)


def test_counts_agree_with_the_listing_whichever_way_they_are_taken(
    library: Library, sample_path: Path
) -> None:
    # "All" is counted as the table less the trash, a tag from its links less the
    # trashed ones: both must match listing the ids, with papers in the trash.
    library.import_file(sample_path)
    ids = library.query_ids(Query())
    library.add_tags(ids[::2], ["even"])
    library.add_tags(ids[:7], ["first"])
    library.trash(ids[:5])
    library.set_starred(ids[3:30])
    for q in (
        Query(),
        Query(trashed=True),
        Query(tags=("even",)),
        Query(tags=("first",)),
        Query(tags=("FIRST",)),
        Query(tags=("missing",)),
        Query(tags=("even",), trashed=True),
        Query(tags=("even", "first")),
        Query(tags=("even",), starred=True),
        Query(starred=True),
    ):
        assert library.count(q) == len(library.query_ids(q)), q
    assert library.count(Query()) == len(ids) - 5
    assert library.count(Query(tags=("first",))) == 2
