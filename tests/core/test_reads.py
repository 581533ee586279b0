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
