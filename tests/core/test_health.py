"""A damaged, emptied or deleted library is named, never silently replaced."""

from __future__ import annotations

import io
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from readinglist.cli import run
from readinglist.core.faults import EXIT_DAMAGED, explain
from readinglist.core.health import LibraryDamaged, State, examine
from readinglist.core.query import Query
from readinglist.library import Library, salvage_library


def _library_with_backup(folder: Path, sample_path: Path) -> list[int]:
    with Library(folder) as lib:
        lib.import_file(sample_path)
        ids = lib.query_ids(Query())
        lib.add_tags(ids[:3], ["keep"])
        lib.set_note(ids[0], "my note")
        lib.backup()
    return ids


def _truncate(db: Path) -> None:
    os.truncate(db, db.stat().st_size // 2)


def _overwrite_header(db: Path) -> None:
    with db.open("r+b") as fh:
        fh.write(os.urandom(4096))


def _zero_pages(db: Path) -> None:
    with db.open("r+b") as fh:
        fh.seek(20 * 4096)
        fh.write(b"\0" * 5 * 4096)


def _delete(db: Path) -> None:
    for f in db.parent.glob(db.name + "*"):
        f.unlink()


def _empty(db: Path) -> None:
    db.write_bytes(b"")
    for extra in ("-wal", "-shm"):
        db.with_name(db.name + extra).unlink(missing_ok=True)


FAULTS: dict[str, tuple[Callable[[Path], None], State]] = {
    "truncated": (_truncate, State.DAMAGED),
    "first page overwritten": (_overwrite_header, State.DAMAGED),
    "pages zeroed": (_zero_pages, State.DAMAGED),
    "deleted": (_delete, State.MISSING),
    "zero length": (_empty, State.EMPTY),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_every_command_names_the_fault_and_changes_nothing(
    library_dir: Path, sample_path: Path, fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _library_with_backup(library_dir, sample_path)
    db = library_dir / "library.sqlite3"
    # Checkpoint so the damage hits the data, not a WAL that would paper over it.
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    damage, state = FAULTS[fault]
    damage(db)
    assert examine(library_dir, db).state is state
    before = {p.name: p.read_bytes() for p in library_dir.glob("library.sqlite3*")}
    for args in (["list"], ["import", str(sample_path)], ["export"], ["doctor"], ["tag", "1"]):
        status = run(["--library", str(library_dir), *args], out=io.StringIO())
        err = capsys.readouterr().err
        assert status == EXIT_DAMAGED, (args, err)
        assert "Traceback" not in err
        assert str(db) in err and "nothing was changed" in err
        assert "backup --restore" in err  # the newest backup is offered, with its date
    after = {p.name: p.read_bytes() for p in library_dir.glob("library.sqlite3*")}
    assert after == before


@pytest.mark.parametrize("fault", ["deleted", "zero length", "truncated"])
def test_the_backup_brings_everything_back(
    library_dir: Path, sample_path: Path, fault: str
) -> None:
    ids = _library_with_backup(library_dir, sample_path)
    FAULTS[fault][0](library_dir / "library.sqlite3")
    out = io.StringIO()
    assert run(["--library", str(library_dir), "backup", "--restore"], out=out) == 0
    with Library(library_dir) as lib:
        assert lib.count() == len(ids)
        assert sorted(lib.query_ids(Query(tags=("keep",)))) == sorted(ids[:3])
        assert lib.paper(ids[0]).note == "my note"


def test_a_fresh_folder_is_a_new_library_but_a_used_one_is_not(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    assert examine(folder, folder / "library.sqlite3").state is State.NEW
    Library(folder).close()
    assert examine(folder, folder / "library.sqlite3").state is State.HEALTHY
    (folder / "library.sqlite3").unlink()
    with pytest.raises(LibraryDamaged) as caught:
        Library(folder)
    assert caught.value.health.state is State.MISSING
    assert not (folder / "library.sqlite3").exists()  # no new empty library was made


def test_salvage_keeps_what_can_be_read_and_the_damaged_file(
    library_dir: Path, sample_path: Path
) -> None:
    ids = _library_with_backup(library_dir, sample_path)
    db = library_dir / "library.sqlite3"
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    _zero_pages(db)
    damaged = db.read_bytes()
    result = salvage_library(library_dir)
    assert result.set_aside.read_bytes() == damaged
    assert 0 < result.rows["papers"] <= len(ids)
    with Library(library_dir) as lib:
        assert lib.doctor().ok
        assert lib.count() == result.rows["papers"] - result.dropped
        assert lib.search("model").total > 0


def test_salvage_of_a_truncated_file_reads_the_pages_that_survived(
    library_dir: Path, sample_path: Path
) -> None:
    _library_with_backup(library_dir, sample_path)
    db = library_dir / "library.sqlite3"
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    _truncate(db)
    result = salvage_library(library_dir)
    assert result.rows["papers"] > 0 and result.lost
    with Library(library_dir) as lib:
        assert lib.doctor().ok
        assert lib.count() > 0


def test_environment_faults_are_one_line_and_bugs_are_not_explained(tmp_path: Path) -> None:
    assert "read-only" in (
        explain(sqlite3.OperationalError("attempt to write a readonly database"), tmp_path) or ""
    )
    assert "disk is full" in (explain(sqlite3.OperationalError("database or disk is full")) or "")
    assert "another Reading List process" in (
        explain(sqlite3.OperationalError("database is locked")) or ""
    )
    assert "permission denied" in (explain(PermissionError(13, "Permission denied", "/x")) or "")
    full = OSError(28, "No space left on device", "/lib/x")
    assert (explain(full) or "").startswith("/lib/x: the disk is full")
    assert explain(ValueError("a bug")) is None
    assert explain(KeyError("a bug")) is None
