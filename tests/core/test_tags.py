"""Tag-list parsing shared by the command line and the window; tag snapshots and restores."""

from __future__ import annotations

from readinglist.core.query import Query
from readinglist.core.tags import TagSnapshot, clean_tag, parse_tag_list
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


# --- exact undo of tag administration: snapshot and restore ---------------------------------


def _papers(library: Library, n: int) -> list[int]:
    result = ParseResult(format="t", papers=[ParsedPaper(title=f"Paper {i}") for i in range(n)])
    return library.import_records(result, "x").added


def _state(library: Library) -> dict[str, tuple[str, list[int]]]:
    """Every tag: its colour and its papers (trash included)."""
    out = {}
    for tag in library.tags():
        snap = library.tag_snapshot(tag.name)
        out[snap.name] = (snap.colour, list(snap.paper_ids))
    return out


def test_snapshot_holds_spelling_colour_and_papers(library: Library) -> None:
    ids = _papers(library, 3)
    library.add_tags(ids[:2], ["To-Read"])
    library.set_tag_colour("to-read", "#e74c3c")
    library.trash([ids[1]])
    snap = library.tag_snapshot("  to-read ")
    assert snap == TagSnapshot("To-Read", "#e74c3c", (ids[0], ids[1]))
    missing = library.tag_snapshot("nothing")
    assert not missing.existed and missing.paper_ids == ()


def test_restore_undoes_a_merge_exactly(library: Library) -> None:
    ids = _papers(library, 5)
    library.add_tags(ids[:2], ["alpha"])
    library.add_tags(ids[1:4], ["beta"])
    library.set_tag_colour("alpha", "#112233")
    library.set_tag_colour("beta", "#445566")
    before = _state(library)
    snaps = [library.tag_snapshot(n) for n in ("alpha", "beta")]
    library.merge_tags(["alpha"], "beta")
    assert list(_state(library)) == ["beta"]
    library.restore_tags(snaps)
    assert _state(library) == before
    # The index follows: searching by tag finds exactly the restored papers.
    library.flush_index()
    assert sorted(library.query_ids(Query(text="tag:alpha"))) == ids[:2]
    assert sorted(library.query_ids(Query(text="tag:beta"))) == ids[1:4]


def test_restore_undoes_a_delete_and_a_merge_into_a_new_tag(library: Library) -> None:
    ids = _papers(library, 3)
    library.add_tags(ids[:2], ["gone"])
    library.set_tag_colour("gone", "#abcdef")
    before = _state(library)
    snap = library.tag_snapshot("gone")
    library.delete_tag("gone")
    assert library.tags() == []
    library.restore_tags([snap])
    assert _state(library) == before
    # A merge into a tag that did not exist: restoring removes that tag again.
    snaps = [library.tag_snapshot("gone"), library.tag_snapshot("Fresh")]
    library.merge_tags(["gone"], "Fresh")
    assert list(_state(library)) == ["Fresh"]
    library.restore_tags(snaps)
    assert _state(library) == before


def test_restore_skips_papers_purged_since(library: Library) -> None:
    ids = _papers(library, 3)
    library.add_tags(ids, ["t"])
    snap = library.tag_snapshot("t")
    library.delete_tag("t")
    library.purge([ids[0]])
    changed = library.restore_tags([snap])
    assert sorted(changed) == ids[1:]
    assert library.tag_snapshot("t").paper_ids == tuple(ids[1:])


def test_batch_ids_and_view_counts(library: Library) -> None:
    ids = _papers(library, 4)
    other = library.import_records(
        ParseResult(format="t", papers=[ParsedPaper(title="Another one")]), "y"
    ).added
    batches = {b.file_name: b.id for b in library.batches()}
    library.trash([ids[2]])
    assert library.batch_ids(batches["x"]) == [ids[0], ids[1], ids[3]]
    assert library.batch_ids(batches["y"]) == other
    library.set_starred(ids[:2])
    library.set_read([ids[0]])
    assert library.view_counts() == {
        "all": 4,
        "starred": 2,
        "unread": 3,
        "recent": 4,
        "trash": 1,
    }


def test_import_adding_nothing_leaves_no_empty_batch(library: Library) -> None:
    _papers(library, 2)
    before = [b.id for b in library.batches()]
    again = library.import_records(
        ParseResult(
            format="t", papers=[ParsedPaper(title="Paper 0"), ParsedPaper(title="Paper 1")]
        ),
        "again",
    )
    assert again.added == [] and len(again.duplicates) == 2
    assert again.batch_id is None
    # The sidebar lists imports: one that brought nothing would be an empty entry.
    assert [b.id for b in library.batches()] == before
    fresh = library.import_records(
        ParseResult(format="t", papers=[ParsedPaper(title="Something new")]), "new"
    )
    assert fresh.batch_id is not None
    assert library.batches()[0].file_name == "new"


def test_any_with_authors_or_year_ignores_the_trash(library: Library) -> None:
    ids = _papers(library, 2)  # titles only, as a feed page gives
    assert not library.any_with("authors") and not library.any_with("year")
    dated = library.import_records(
        ParseResult(
            format="t",
            papers=[ParsedPaper(title="Dated and signed", authors=["A. Person"], year=2021)],
        ),
        "bib",
    ).added
    assert library.any_with("authors") and library.any_with("year")
    library.trash(dated)
    assert not library.any_with("authors") and not library.any_with("year")
    assert len(ids) == 2
