"""Backups: taken by the online backup API, pruned by policy, restored whole."""

from __future__ import annotations

import gzip
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from readinglist.core.backups import BackupError, BackupPolicy, Backups, count_rows
from readinglist.core.query import Query
from readinglist.library import Library, restore_backup


def _tagged_library(library: Library, sample_path: Path) -> list[int]:
    library.import_file(sample_path)
    ids = library.query_ids(Query())
    library.add_tags(ids[:3], ["keep"])
    library.set_note(ids[0], "my note")
    return ids


def test_a_snapshot_holds_the_library_including_what_is_still_in_the_wal(
    library: Library, sample_path: Path
) -> None:
    ids = _tagged_library(library, sample_path)
    # The last changes sit in library.sqlite3-wal, not yet in the main file.
    assert library.db.path.with_name("library.sqlite3-wal").stat().st_size > 0
    snap = library.backup()
    assert (snap.papers, snap.tags, snap.notes) == (len(ids), 1, 1)
    plain = snap.path.with_name("plain.sqlite3")
    with gzip.open(snap.path) as src:
        plain.write_bytes(src.read())
    assert count_rows(plain) == {"papers": len(ids), "tags": 1, "notes": 1}
    assert [s.name for s in library.backups.snapshots()] == [snap.name]


def test_restore_brings_back_a_deleted_database_with_tags_and_notes(
    library_dir: Path, sample_path: Path
) -> None:
    with Library(library_dir) as lib:
        ids = _tagged_library(lib, sample_path)
        lib.backup()
    for f in library_dir.glob("library.sqlite3*"):
        f.unlink()
    restored = restore_backup(library_dir)
    assert restored.set_aside is None
    with Library(library_dir) as lib:
        assert lib.count() == len(ids)
        assert sorted(lib.query_ids(Query(tags=("keep",)))) == sorted(ids[:3])
        assert lib.paper(ids[0]).note == "my note"
        # The index was dropped with the old database and rebuilt from the restored one.
        assert lib.search("mamba").total > 0
        assert lib.index_in_step()


def test_restore_keeps_the_replaced_database_aside(library_dir: Path, sample_path: Path) -> None:
    with Library(library_dir) as lib:
        _tagged_library(lib, sample_path)
        first = lib.backup()
        lib.add_tags(lib.query_ids(Query()), ["later"])
    restored = restore_backup(library_dir, first.name)
    assert restored.set_aside is not None and restored.set_aside.exists()
    with Library(library_dir) as lib:
        assert lib.query_ids(Query(tags=("later",))) == []
    con = sqlite3.connect(restored.set_aside)
    assert con.execute("SELECT count(*) FROM tags WHERE name = 'later'").fetchone()[0] == 1
    con.close()


def test_a_damaged_backup_changes_nothing(library_dir: Path, sample_path: Path) -> None:
    with Library(library_dir) as lib:
        _tagged_library(lib, sample_path)
        snap = lib.backup()
    data = snap.path.read_bytes()
    snap.path.write_bytes(data[: len(data) // 2])
    before = (library_dir / "library.sqlite3").read_bytes()
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(library_dir)
    assert (library_dir / "library.sqlite3").read_bytes() == before
    assert not list(library_dir.glob("*.restoring*"))


def test_restore_is_refused_while_a_window_holds_the_library(
    library_dir: Path, sample_path: Path
) -> None:
    import os

    with Library(library_dir) as lib:
        _tagged_library(lib, sample_path)
        lib.backup()
    (library_dir / "readinglist.lock").write_text(f"{os.getpid()}\nreadinglist\nhost\n")
    with pytest.raises(BackupError, match="open in a Reading List window"):
        restore_backup(library_dir)


def test_the_daily_snapshot_is_taken_once_a_day(library: Library, sample_path: Path) -> None:
    assert library.backup_if_due() is None  # nothing was ever done: nothing to keep
    library.import_file(sample_path)
    first = library.backup_if_due()
    assert first is not None and first.reason == "daily"
    assert library.backup_if_due() is None
    assert library.backups.due(datetime.now(UTC) + timedelta(days=1, minutes=1))


def test_destructive_operations_take_a_snapshot_unless_one_is_current(
    library: Library, sample_path: Path
) -> None:
    _tagged_library(library, sample_path)
    library.add_tags(library.query_ids(Query())[:2], ["other"])
    library.delete_tag("other")
    reasons = [s.reason for s in library.backups.snapshots()]
    assert reasons == ["before-delete-tag"]
    # The deletion changed the library since that snapshot: merging takes a new one.
    library.merge_tags(["keep"], "kept")
    assert [s.reason for s in library.backups.snapshots()] == [
        "before-merge-tags",
        "before-delete-tag",
    ]
    # Changes the index does not see (trash, stars, read state) count too.
    for change in (
        lambda: library.trash(library.query_ids(Query())[:1]),
        lambda: library.set_starred(library.query_ids(Query())[:2]),
        lambda: library.set_read(library.query_ids(Query())[:2]),
    ):
        before = library.backups.newest()
        change()
        assert library.snapshot_before("empty-trash") != before
    newest = library.backups.newest()
    # Unchanged since: the same snapshot serves.
    assert library.snapshot_before("empty-trash") == newest == library.backups.newest()


def _fake(dir_: Path, when: datetime, reason: str) -> None:
    stem = f"{when.strftime('%Y%m%dT%H%M%S%fZ')}-{reason}"
    (dir_ / f"{stem}.sqlite3.gz").write_bytes(b"")
    (dir_ / f"{stem}.json").write_text(json.dumps({"papers": 1}))


def test_pruning_keeps_days_weeks_operations_and_manual_snapshots(tmp_path: Path) -> None:
    backups = Backups(tmp_path, tmp_path / "library.sqlite3")
    backups.dir.mkdir()
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    for day in range(40):
        _fake(backups.dir, now - timedelta(days=day), "daily")
        _fake(backups.dir, now - timedelta(days=day, hours=1), "daily")  # a second that day
    for hour in range(5):
        _fake(backups.dir, now - timedelta(hours=hour, minutes=30), "before-delete-tag")
    _fake(backups.dir, now - timedelta(days=300), "manual")
    backups.prune(BackupPolicy(daily=3, weekly=2, before=2))
    kept = backups.snapshots()
    daily = [s.taken for s in kept if s.reason == "daily"]
    # The newest of each of the last 3 days, and of the last 2 ISO weeks (one overlaps).
    assert daily[:3] == [now, now - timedelta(days=1), now - timedelta(days=2)]
    weeks = {d.isocalendar()[:2] for d in daily}
    assert len(weeks) == 2 and len(daily) <= 5
    assert len([s for s in kept if s.reason == "before-delete-tag"]) == 2
    assert any(s.reason == "manual" for s in kept)
    # Each pruned snapshot went with its description.
    stems = {p.name.removesuffix(".sqlite3.gz") for p in backups.dir.glob("*.sqlite3.gz")}
    assert {p.name.removesuffix(".json") for p in backups.dir.glob("*.json")} == stems
    assert len(stems) == len(kept)


def test_the_policy_file_overrides_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "backups.json").write_text('{"daily": 7, "weekly": 0}')
    assert BackupPolicy.load(tmp_path) == BackupPolicy(daily=7, weekly=0, before=3)
    (tmp_path / "backups.json").write_text("not json")
    assert BackupPolicy.load(tmp_path) == BackupPolicy()
