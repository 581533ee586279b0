"""The environment's faults, tried for real: one line, a distinct exit status, nothing lost.

A read-only folder and a full disk are made with a read-only bind mount and a
tiny tmpfs (the tests run as root, where file modes do not stop writes); a
writer in another connection holds the database's write lock.
"""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from readinglist.bench import make_page
from readinglist.cli import run
from readinglist.core.faults import EXIT_ENVIRONMENT
from readinglist.core.query import Query
from readinglist.library import Library


def _cli(folder: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    return run(["--library", str(folder), *args], out=out), out.getvalue()


@pytest.fixture
def read_only_library(tmp_path: Path, sample_path: Path, mount: Callable[..., None]) -> Path:
    source = tmp_path / "lib"
    with Library(source) as lib:
        lib.import_file(sample_path)
        lib.add_tags(lib.query_ids(Query())[:2], ["keep"])
    view = tmp_path / "ro"
    view.mkdir()
    mount("--bind", str(source), str(view))
    mount("-o", "remount,ro,bind", str(view))
    return view


def test_a_read_only_library_is_browsed_searched_and_exported(
    read_only_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _cli(read_only_library, "list", "--tag", "keep")
    assert status == 0 and out.endswith("2 papers\n")
    status, out = _cli(read_only_library, "search", "mamba")
    assert status == 0 and "Mamba" in out
    status, out = _cli(read_only_library, "export")
    assert status == 0 and len(re.findall(r"^@\w+\{", out, re.MULTILINE)) == 101
    # Only the note naming the feed papers without author or year: no error.
    err = capsys.readouterr().err
    assert err.startswith("note: 101 papers have no author or year") and err.count("\n") == 1


@pytest.mark.parametrize(
    "args", [("tag", "1", "--add", "x"), ("note", "1", "--set", "hi"), ("trash", "1")]
)
def test_changing_a_read_only_library_says_so_in_one_line(
    read_only_library: Path, args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    before = (read_only_library / "library.sqlite3").read_bytes()
    status, _ = _cli(read_only_library, *args)
    err = capsys.readouterr().err
    assert status == EXIT_ENVIRONMENT
    assert err.count("\n") == 1 and "read-only" in err and str(read_only_library) in err
    assert (read_only_library / "library.sqlite3").read_bytes() == before


def test_a_full_disk_stops_an_import_and_keeps_the_library(
    tmp_path: Path,
    sample_path: Path,
    capsys: pytest.CaptureFixture[str],
    mount: Callable[..., None],
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mount("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk))
    folder = disk / "lib"
    assert _cli(folder, "import", str(sample_path))[0] == 0
    # 3,000 new papers, far more than the space left: they cannot all be written.
    big = tmp_path / "big.txt"
    big.write_text(make_page(3000), "utf-8")
    status, _ = _cli(folder, "import", str(big))
    err = capsys.readouterr().err
    assert status == EXIT_ENVIRONMENT, err
    assert "disk is full" in err and "Traceback" not in err
    with Library(folder) as lib:
        assert lib.count() == 101
        assert lib.doctor().ok


TAG_X = ("tag", "1", "--add", "x")


def test_a_writer_elsewhere_makes_a_change_wait_then_say_so(
    library_dir: Path, sample_path: Path
) -> None:
    with Library(library_dir) as lib:
        lib.import_file(sample_path)
    other = sqlite3.connect(library_dir / "library.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "readinglist", "--library", str(library_dir), *TAG_X],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        other.rollback()
        other.close()
    assert proc.returncode == EXIT_ENVIRONMENT
    assert "another Reading List process is writing" in proc.stderr
    assert "Traceback" not in proc.stderr
    # Reading is never held up by the writer.
    with Library(library_dir) as lib:
        assert lib.query_ids(Query(tags=("x",))) == []


def test_a_file_where_the_library_folder_should_be(tmp_path: Path) -> None:
    path = tmp_path / "not-a-folder"
    path.write_text("x")
    proc = subprocess.run(
        [sys.executable, "-m", "readinglist", "--library", str(path), "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == EXIT_ENVIRONMENT
    assert proc.stderr.strip() == (
        f"readinglist: {path}: this is a file, not a library folder; "
        "give --library a folder (it is created if missing)"
    )


def test_a_bug_is_logged_with_its_traceback_and_reported_in_one_line(
    library_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import readinglist.cli as cli

    def broken(*_args: object) -> int:
        raise ValueError("a bug")

    monkeypatch.setitem(cli._COMMANDS, "list", broken)
    status, _ = _cli(library_dir, "list")
    err = capsys.readouterr().err
    assert status == 70
    assert "internal error (ValueError: a bug)" in err and "Traceback" not in err
    logs = list(Path(os.environ["XDG_CACHE_HOME"]).rglob("readinglist.log"))
    assert logs and "Traceback" in logs[0].read_text("utf-8")
