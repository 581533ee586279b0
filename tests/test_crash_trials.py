"""Crash trials: kill -9 at random moments of imports, edits, exports and repairs.

After every kill the library must still be whole: SQLite's integrity check
passes, no import batch is partial (its paper count is what it says), the
index is in step after the next open, a half-written export never replaces
the target, and the next import succeeds.  Seeded, so a failure repeats.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from readinglist.bench import make_page
from readinglist.core.query import Query
from readinglist.library import Library

pytestmark = pytest.mark.slow

SEED = 20261201
PAPERS = 4000


def _start(folder: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "readinglist", "--library", str(folder), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_after(proc: subprocess.Popen[bytes], delay: float) -> bool:
    """SIGKILL *proc* after *delay* s; True when it was still running then."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


def _check_whole(folder: Path) -> None:
    if not (folder / "library.sqlite3").exists():
        # Killed before the library was even made (a busy machine starts slowly):
        # nothing can have been lost, and the next open must see a new library.
        assert not (folder / "library.json").exists()
        return
    con = sqlite3.connect(folder / "library.sqlite3")
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        partial = con.execute(
            "SELECT b.id, b.added, count(p.id) FROM import_batches b "
            "LEFT JOIN papers p ON p.batch_id = b.id GROUP BY b.id "
            "HAVING b.added != count(p.id)"
        ).fetchall()
        assert partial == [], f"partial import batches: {partial}"
    finally:
        con.close()
    with Library(folder) as lib:  # the next open repairs the index if it fell behind
        assert lib.index_in_step()
        report = lib.doctor()
        assert report.ok, report


def _timings(rng: random.Random, n: int, longest: float) -> list[float]:
    return [rng.uniform(0.3, longest) for _ in range(n)]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "page.txt"
    path.write_text(make_page(PAPERS), "utf-8")
    return path


def test_killed_imports_leave_no_partial_batch(tmp_path: Path, page: Path) -> None:
    rng = random.Random(SEED)
    folder = tmp_path / "lib"
    killed = 0
    for delay in _timings(rng, 4, 3.0):
        killed += _kill_after(_start(folder, "import", str(page)), delay)
        _check_whole(folder)
    assert killed >= 2, "the trials must interrupt imports, not watch them finish"
    # The next import succeeds and brings the library to the whole page.
    with Library(folder) as lib:
        lib.import_file(page)
        assert lib.count() == PAPERS
        assert lib.search("model").total > 0


def test_killed_edits_exports_and_repairs_leave_a_whole_library(tmp_path: Path, page: Path) -> None:
    rng = random.Random(SEED + 1)
    folder = tmp_path / "lib"
    with Library(folder) as lib:
        lib.import_file(page)
        ids = lib.query_ids(Query())
    id_list = ",".join(map(str, ids))
    target = tmp_path / "out.bib"
    target.write_text("% the previous export\n", "utf-8")
    trials = [
        ("tag", id_list, "--add", "crash"),
        ("star", id_list),
        ("trash", id_list),
        ("export", "-o", str(target)),
        ("export", "-o", str(target)),
        ("doctor", "--repair"),
        ("doctor", "--repair"),
        ("tag", id_list, "--add", "again"),
    ]
    for args in trials:
        if args[0] == "doctor":
            # Give the repair something to do: drop the index's stamp.
            (folder / "index" / "readinglist-stamp.json").unlink(missing_ok=True)
        with Library(folder) as lib:
            listed = lib.count()
        before = target.read_text("utf-8")
        _kill_after(_start(folder, *args), rng.uniform(0.2, 1.5))
        _check_whole(folder)
        # The export target is either the file it was or a whole new export, never half.
        text = target.read_text("utf-8")
        entries = len(re.findall(r"^@\w+\{", text, re.MULTILINE))
        assert text == before or entries == listed
        assert not [p for p in tmp_path.iterdir() if p.name.startswith("out.bib.")]
    with Library(folder) as lib:
        report = lib.import_file(page)  # everything is a duplicate now
        assert report.error is None or report.error == ""
        assert lib.count(Query()) + lib.count(Query(trashed=True)) == PAPERS


def test_the_trials_really_interrupt(tmp_path: Path, page: Path) -> None:
    # A guard on the trials themselves: an import of the page takes long enough
    # that kills within the trials' delays land inside it.
    folder = tmp_path / "lib"
    start = time.monotonic()
    proc = _start(folder, "import", str(page))
    assert proc.wait() == 0
    assert time.monotonic() - start > 0.5
    assert os.path.exists(folder / "library.sqlite3")
