"""The library facade: import, dedupe, mutations, index upkeep, transactions."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from readinglist import db as dbmod
from readinglist.core.backups import Backups
from readinglist.core.query import Query
from readinglist.library import Cancelled, ImportPlanner, Library, Progress, normalise_title
from readinglist.records import ParsedPaper, ParseResult
from readinglist.search import QuerySyntaxError


def _result(*papers: ParsedPaper, label: str = "") -> ParseResult:
    return ParseResult(format="test", papers=list(papers), label=label)


def test_import_sample_then_duplicates(library: Library, sample_path: Path) -> None:
    first = library.import_file(sample_path)
    assert first.error == ""
    assert len(first.added) == 101
    assert first.label == "Mar 11"
    second = library.import_file(sample_path)
    assert second.added == [] and len(second.duplicates) == 101
    assert library.count() == 101
    # The second import added nothing: it leaves no (empty) import behind.
    assert second.batch_id is None
    batches = library.batches()
    assert [b.added for b in batches] == [101]
    assert batches[0].label == "Mar 11" and batches[0].file_name == sample_path.name


def test_titles_verbatim_and_citekeys_unique(library: Library, sample_path: Path) -> None:
    library.import_file(sample_path)
    papers = library.papers()
    lines = sample_path.read_text("utf-8").splitlines()
    assert {p.title for p in papers} <= {line.strip() for line in lines}
    keys = [p.citekey.lower() for p in papers]
    assert len(keys) == len(set(keys))
    assert all(k.isascii() for k in keys)


def test_dedupe_by_ids_and_normalised_title(library: Library) -> None:
    library.import_records(
        _result(
            ParsedPaper(title="Attention Is All You Need", arxiv_id="1706.03762"),
            ParsedPaper(title="A DOI paper", doi="10.1000/XYZ"),
        ),
        "a",
    )
    report = library.import_records(
        _result(
            ParsedPaper(title="Different title", arxiv_id="arXiv:1706.03762v5"),
            ParsedPaper(title="Another", doi="https://doi.org/10.1000/xyz"),
            ParsedPaper(title="  attention is   all you NEED!  "),
            ParsedPaper(title="Ünïcode Títle"),
            ParsedPaper(title="unicode title"),
        ),
        "b",
    )
    assert len(report.duplicates) == 4
    assert len(report.added) == 1
    assert normalise_title("Ünïcode  Títle.") == "unicode title"


def test_failed_import_changes_nothing(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    library.import_records(_result(ParsedPaper(title="Existing")), "a")
    before = library.changes()
    calls = {"n": 0}
    real = ImportPlanner.row_for

    def explode(*args: object, **kwargs: object) -> dict[str, object]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ImportPlanner, "row_for", explode)
    papers = [ParsedPaper(title=f"Paper {i}") for i in range(5)]
    with pytest.raises(RuntimeError):
        library.import_records(_result(*papers), "b")
    assert library.count() == 1
    assert len(library.batches()) == 1
    assert library.changes() == before
    assert library.search("paper").ids == []


def test_cancel_before_commit_changes_nothing(library: Library) -> None:
    with pytest.raises(Cancelled):
        cancelled = Progress()
        cancelled.cancel()
        library.import_records(
            _result(*(ParsedPaper(title=f"T {i}") for i in range(10))), "x", progress=cancelled
        )
    assert library.count() == 0 and library.batches() == []


def test_search_syntax(library: Library, sample_path: Path) -> None:
    library.import_file(sample_path)
    mamba = library.query_ids(Query(text="title:mamba"))
    titles = [p.title for p in library.get(mamba)]
    assert any("MobileMamba" in t for t in titles) or any("Mamba" in t for t in titles)
    assert all("mamba" in t.lower() for t in titles)
    # Stemming: "models" finds "model".
    assert set(library.query_ids(Query(text="title:model"))) >= set(
        library.query_ids(Query(text='title:"models"'))
    )
    prefix = library.get(library.query_ids(Query(text="distill*")))
    assert prefix and all("distill" in (p.title + p.abstract).lower() for p in prefix)
    both = set(library.query_ids(Query(text="reasoning AND mathematical")))
    either = set(library.query_ids(Query(text="reasoning OR mathematical")))
    assert both and both < either
    without = set(library.query_ids(Query(text="reasoning NOT mathematical")))
    assert without == set(library.query_ids(Query(text="reasoning"))) - set(
        library.query_ids(Query(text="mathematical"))
    )
    phrase = library.get(library.query_ids(Query(text='"object detection"')))
    assert phrase and all(
        "object detection" in (p.title + " " + p.abstract).lower() for p in phrase
    )
    with pytest.raises(QuerySyntaxError):
        library.query_ids(Query(text="nosuchfield:foo"))
    with pytest.raises(QuerySyntaxError):
        library.query_ids(Query(text='"unclosed phrase'))


def test_mutations_update_index(library: Library, sample_path: Path) -> None:
    ids = library.import_file(sample_path).added
    a, b = ids[0], ids[1]
    library.add_tags([a, b], ["to-read", "Vision"])
    assert set(library.query_ids(Query(text="tag:to-read"))) == {a, b}
    assert library.query_ids(Query(tags=("vision",))) != []
    library.remove_tags([b], ["to-read"])
    assert library.query_ids(Query(text="tag:to-read")) == [a]
    library.set_note(a, "Compare with **wavelet** tricks")
    assert library.query_ids(Query(text="note:wavelet")) == [a]
    library.append_note(a, "second thought")
    assert library.paper(a).note.endswith("second thought")
    library.set_starred([a])
    library.set_read([b])
    assert library.query_ids(Query(starred=True)) == [a]
    assert b not in library.query_ids(Query(read=False))
    library.update_paper(b, title="A completely zebra title")
    assert library.query_ids(Query(text="title:zebra")) == [b]
    assert library.index_in_step()
    assert library.check_index().ok


def test_trash_restore_purge(library: Library, sample_path: Path) -> None:
    ids = library.import_file(sample_path).added
    library.trash(ids[:3])
    assert library.count() == 98
    assert library.count(Query(trashed=True)) == 3
    library.restore(ids[:1])
    assert library.count(Query(trashed=True)) == 2
    purged = library.empty_trash()
    assert sorted(purged) == sorted(ids[1:3])
    assert library.count() == 99 and library.count(Query(trashed=True)) == 0
    assert library.check_index().ok
    # A purged paper's id is never handed out again (its index document is gone too).
    again = library.import_records(_result(ParsedPaper(title="Brand new")), "n")
    assert again.added[0] > max(ids)


def test_tags_admin(library: Library) -> None:
    ids = library.import_records(
        _result(ParsedPaper(title="One"), ParsedPaper(title="Two")), "x"
    ).added
    library.add_tags(ids[:1], ["ml"])
    library.add_tags(ids[1:], ["ML-theory"])
    library.set_tag_colour("ml", "#ff0000")
    assert {(t.name, t.colour, t.count) for t in library.tags()} == {
        ("ml", "#ff0000", 1),
        ("ML-theory", "", 1),
    }
    library.rename_tag("ML-theory", "theory")
    assert library.query_ids(Query(text="tag:theory")) == ids[1:]
    library.merge_tags(["theory"], "ml")
    assert [(t.name, t.count) for t in library.tags()] == [("ml", 2)]
    assert set(library.query_ids(Query(text="tag:ml"))) == set(ids)
    library.delete_tag("ml")
    assert library.tags() == [] and library.query_ids(Query(text="tag:ml")) == []


def test_citekey_edit(library: Library) -> None:
    ids = library.import_records(
        _result(ParsedPaper(title="Alpha paper"), ParsedPaper(title="Beta paper")), "x"
    ).added
    library.set_citekey(ids[0], "Smith2020")
    with pytest.raises(ValueError, match="already used"):
        library.set_citekey(ids[1], "smith2020")
    with pytest.raises(ValueError, match="not a valid"):
        library.set_citekey(ids[1], "has space")
    assert library.paper(ids[0]).citekey == "Smith2020"


def test_saved_searches(library: Library) -> None:
    q = Query(text="title:mamba", tags=("vision",), starred=True)
    sid = library.save_search("Mamba stars", q)
    saved = library.saved_searches()
    assert [(s.id, s.name, s.query) for s in saved] == [(sid, "Mamba stars", q)]
    library.delete_saved_search(sid)
    assert library.saved_searches() == []


def test_index_deleted_is_rebuilt(library_dir: Path, sample_path: Path) -> None:
    with Library(library_dir) as lib:
        lib.import_file(sample_path)
        expected = lib.query_ids(Query(text="mamba"))
    shutil.rmtree(library_dir / "index")
    with Library(library_dir) as lib:
        assert lib.query_ids(Query(text="mamba")) == expected
        assert lib.check_index().ok


def test_index_corrupt_is_rebuilt(library_dir: Path, sample_path: Path) -> None:
    with Library(library_dir) as lib:
        lib.import_file(sample_path)
        expected = lib.query_ids(Query(text="mamba"))
    for f in (library_dir / "index").iterdir():
        if f.suffix in {".seg", ".toc"}:
            f.write_bytes(b"\0garbage" * 10)
    with Library(library_dir) as lib:
        assert lib.index.repairs
        assert lib.query_ids(Query(text="mamba")) == expected


def test_stale_index_is_repaired_at_open(library_dir: Path, sample_path: Path) -> None:
    with Library(library_dir) as lib:
        ids = lib.import_file(sample_path).added
    # Simulate a crash between the database commit and the index update.
    con = sqlite3.connect(library_dir / "library.sqlite3")
    con.execute(
        "UPDATE papers SET title = 'Quokka study', revision = revision + 1 WHERE id = ?", (ids[0],)
    )
    con.execute("DELETE FROM papers WHERE id = ?", (ids[1],))
    con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'changes'")
    con.commit()
    con.close()
    with Library(library_dir, sync_index=False) as lib:
        check = lib.check_index()
        assert check.stale == [ids[0]] and check.extra == [ids[1]]
    with Library(library_dir) as lib:
        assert lib.query_ids(Query(text="quokka")) == [ids[0]]
        assert lib.check_index().ok


def test_schema_version_and_migration_backup(
    library_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library(library_dir) as lib:
        lib.import_records(_result(ParsedPaper(title="Keep me")), "x")
    path = library_dir / "library.sqlite3"
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == dbmod.SCHEMA_VERSION
    con.close()

    def add_column(conn: object) -> None:
        conn.exec_driver_sql("ALTER TABLE papers ADD COLUMN some_future_column TEXT")  # type: ignore[attr-defined]

    current = dbmod.SCHEMA_VERSION
    monkeypatch.setattr(dbmod, "MIGRATIONS", [*dbmod.MIGRATIONS, add_column])
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", dbmod.SCHEMA_VERSION + 1)
    with Library(library_dir) as lib:
        assert any("backed up" in m for m in lib.db.migrations)
        assert lib.count() == 1
        (snapshot,) = lib.backups.snapshots()
    # The snapshot holds the library as it was before the upgrade.
    assert snapshot.reason == f"before-upgrade-from-v{current}"
    assert snapshot.papers == 1


def test_version_1_library_is_migrated(library_dir: Path) -> None:
    with Library(library_dir) as lib:
        lib.import_records(_result(ParsedPaper(title="Old paper")), "x")
    path = library_dir / "library.sqlite3"
    con = sqlite3.connect(path)
    con.execute("DROP INDEX ix_papers_trashed_batch")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with Library(library_dir) as lib:
        assert lib.count() == 1
        assert any("1 -> 2" in step for step in lib.db.migrations)
    con = sqlite3.connect(path)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    con.close()
    assert "ix_papers_trashed_batch" in names
    assert [s.reason for s in Backups(library_dir, path).snapshots()] == ["before-upgrade-from-v1"]


def test_newer_schema_is_refused(library_dir: Path) -> None:
    Library(library_dir).close()
    con = sqlite3.connect(library_dir / "library.sqlite3")
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(dbmod.DatabaseError, match="newer"):
        Library(library_dir)
