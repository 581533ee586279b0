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


def _titles(library: Library, ids: list[int]) -> list[str]:
    return [p.title for p in library.get(ids)]


def test_the_default_order_is_the_feed_newest_import_first_each_in_file_order(
    library: Library, sample_path: Path, tmp_path: Path
) -> None:
    # "The page's first paper is listed last": one import shares one added_at,
    # so "added" (ties newest id first) reversed the page.
    from readinglist.importers import parse_file

    page = [p.title for p in parse_file(sample_path).papers]
    library.import_file(sample_path)
    listed = _titles(library, library.query_ids(Query()))
    assert listed[0] == page[0] == "MobileMamba: Lightweight Multi-Receptive Visual Mamba Network"
    assert listed == page
    newer = tmp_path / "newer.txt"
    newer.write_text("Mar 12\n\nZeta first paper\n\nAbstract one.\n\nAlpha second paper\n\nTwo.\n")
    library.import_file(newer)
    both = _titles(library, library.query_ids(Query()))
    assert both == ["Zeta first paper", "Alpha second paper", *page]
    # Ascending is the exact reverse; the first page is the start of the listing.
    q = Query(sort="feed", descending=False)
    assert _titles(library, library.query_ids(q)) == both[::-1]
    for query in (Query(), q):
        everything = library.query_ids(query)
        assert library.page(query, 0, 5) == (everything[:5], len(everything))
        assert library.page(query, 3, 4) == (everything[3:7], len(everything))
    # Other orders are untouched.
    by_title = _titles(library, library.query_ids(Query(sort="title", descending=False)))
    assert by_title == sorted(both, key=str.casefold)
    added = _titles(library, library.query_ids(Query(sort="added")))
    assert added[:2] == ["Alpha second paper", "Zeta first paper"]


@pytest.mark.parametrize("walk", [True, False])
def test_feed_pages_are_the_same_whichever_plan_runs(
    library: Library, sample_path: Path, tmp_path: Path, walk: bool
) -> None:
    # A filtered view in feed order walks the feed index or sorts what its
    # filters find (see Reads._dense): the same rows either way.
    library.import_file(sample_path)
    second = tmp_path / "second.txt"
    second.write_text("Mar 12\n\nFresh paper one\n\nA.\n\nFresh paper two\n\nB.\n")
    library.import_file(second)
    ids = library.query_ids(Query())
    library.set_starred(ids[::3])
    library.trash(ids[1:8])
    for q in (
        Query(starred=True),
        Query(starred=True, descending=False, sort="feed"),
        Query(trashed=True),
        Query(read=False),
    ):
        everything = library.query_ids(q)
        with library.db.reader() as s:
            page = list(s.scalars(library.reads._sorted(q, walk=walk).limit(4)))
        assert page == everything[:4], q


def test_the_feed_order_reads_its_index(library: Library) -> None:
    # The first page of the default order comes from ix_papers_trashed_feed in
    # order: no sort of the whole library (~18 ms at 100,000 papers without it).
    for direction in ("batch_id DESC, id ASC", "batch_id ASC, id DESC"):
        sql = f"SELECT id FROM papers WHERE trashed_at IS NULL ORDER BY {direction} LIMIT 50"
        plan = _plan(library.db.path, sql)
        assert "ix_papers_trashed_feed" in plan and "TEMP B-TREE" not in plan, plan
