"""End-to-end tests of the command line against temporary libraries."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from readinglist import __version__
from readinglist.cli import run
from readinglist.library import Library

REQUIRED_KEYS = {
    "id",
    "title",
    "abstract",
    "authors",
    "year",
    "arxiv_id",
    "doi",
    "url",
    "links",
    "tags",
    "starred",
    "read",
    "note",
    "citekey",
    "added_at",
}


def cli(lib: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    status = run(["--library", str(lib), *args], out=out)
    return status, out.getvalue()


def test_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "readinglist", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"readinglist {__version__}"


# Run in a fresh interpreter: which heavy packages are loaded after the command line ran.
_IMPORT_CHECK = """
import json, sys
from readinglist.cli import run
try:
    run(json.loads(sys.argv[1]))
except SystemExit:
    pass
heavy = ("sqlalchemy", "whoosh", "PySide6")
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(heavy))), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "argv",
    [["--version"], ["--help"], ["search", "--help"], ["list", "--help"], ["export", "--help"]],
)
def test_version_and_help_import_no_database_index_or_qt(argv: list[str]) -> None:
    """``--version`` and ``--help`` answer at once: no SQLAlchemy, Whoosh or Qt is imported."""
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_CHECK, json.dumps(argv)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "readinglist" in proc.stdout
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []


def test_list_limit(tmp_path: Path, sample_path: Path) -> None:
    lib = tmp_path / "x"
    assert cli(lib, "import", str(sample_path))[0] == 0
    everything = json.loads(cli(lib, "list", "--json")[1])
    first = json.loads(cli(lib, "list", "--limit", "5", "--json")[1])
    assert [p["id"] for p in first] == [p["id"] for p in everything[:5]]
    status, out = cli(lib, "list", "--starred", "--limit", "3")
    assert status == 0 and out.endswith("0 papers\n")


def test_import_list_json(tmp_path: Path, sample_path: Path) -> None:
    lib = tmp_path / "x"
    status, out = cli(lib, "import", str(sample_path))
    assert status == 0
    assert "101 added, 0 duplicates, 0 problems" in out
    status, out = cli(lib, "list", "--json")
    papers = json.loads(out)
    assert status == 0 and len(papers) == 101
    assert all(set(p) >= REQUIRED_KEYS for p in papers)
    assert all(isinstance(p["authors"], list) and isinstance(p["links"], list) for p in papers)
    assert any("https://github.com/meituan/YOLOv6" in p["links"] for p in papers)
    status, out = cli(lib, "import", str(sample_path))
    assert status == 0 and "0 added, 101 duplicates" in out


def test_workflow_tag_star_note_show_search(tmp_path: Path, sample_path: Path) -> None:
    lib = tmp_path / "x"
    cli(lib, "import", str(sample_path))
    papers = json.loads(cli(lib, "search", "title:yolov6", "--json")[1])
    assert len(papers) == 1
    pid = str(papers[0]["id"])
    assert cli(lib, "tag", pid, "--add", "to-read", "detection")[0] == 0
    assert cli(lib, "star", pid)[0] == 0
    assert cli(lib, "mark-read", pid)[0] == 0
    assert cli(lib, "note", pid, "--set", "Fast detector")[0] == 0
    assert cli(lib, "note", pid, "--append", "Check the T4 numbers")[0] == 0
    shown = json.loads(cli(lib, "show", pid, "--json")[1])
    assert shown["tags"] == ["detection", "to-read"]
    assert shown["starred"] and shown["read"]
    assert shown["note"] == "Fast detector\n\nCheck the T4 numbers"
    assert [p["id"] for p in json.loads(cli(lib, "list", "--tag", "to-read", "--json")[1])] == [
        int(pid)
    ]
    assert len(json.loads(cli(lib, "list", "--unread", "--json")[1])) == 100
    assert len(json.loads(cli(lib, "list", "--starred", "--json")[1])) == 1
    assert [p["id"] for p in json.loads(cli(lib, "search", "note:detector", "--json")[1])] == [
        int(pid)
    ]
    assert cli(lib, "tag", pid, "--remove", "to-read")[0] == 0
    assert json.loads(cli(lib, "list", "--tag", "to-read", "--json")[1]) == []
    assert cli(lib, "unstar", pid)[0] == 0 and cli(lib, "mark-unread", pid)[0] == 0
    assert len(json.loads(cli(lib, "list", "--unread", "--json")[1])) == 101
    status, text = cli(lib, "show", pid)
    assert status == 0 and "YOLOv6" in text


def test_search_best_first(tmp_path: Path, sample_path: Path) -> None:
    lib = tmp_path / "x"
    cli(lib, "import", str(sample_path))
    papers = json.loads(cli(lib, "search", "mamba", "--json")[1])
    assert papers and "mamba" in papers[0]["title"].lower()


def test_missing_id_and_bad_query(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = tmp_path / "x"
    assert cli(lib, "star", "12345")[0] == 1
    assert "no paper with id 12345" in capsys.readouterr().err
    assert cli(lib, "search", "bogus:field")[0] == 2
    assert "unknown field" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"", "empty"),
        (bytes(range(256)) * 8, "not a text file"),
        (b"new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nMar 11\n", "no papers"),
    ],
)
def test_bad_files_fail_cleanly(
    tmp_path: Path,
    sample_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    expect: str,
) -> None:
    lib = tmp_path / "x"
    cli(lib, "import", str(sample_path))
    bad = tmp_path / "bad-input.txt"
    bad.write_bytes(content)
    status, _ = cli(lib, "import", str(bad))
    err = capsys.readouterr().err
    assert status == 1
    assert "bad-input.txt" in err and expect in err.lower()
    assert len(err.strip().splitlines()) == 1
    with Library(lib) as library:
        assert library.count() == 101 and len(library.batches()) == 1


def test_unreadable_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = tmp_path / "x"
    assert cli(lib, "import", str(tmp_path / "nope.txt"))[0] == 1
    assert "nope.txt" in capsys.readouterr().err
    folder = tmp_path / "afolder"
    folder.mkdir()
    assert cli(lib, "import", str(folder))[0] == 1
    assert "afolder" in capsys.readouterr().err


def test_export_filters(tmp_path: Path, sample_path: Path) -> None:
    lib = tmp_path / "x"
    cli(lib, "import", str(sample_path))
    status, everything = cli(lib, "export")
    assert status == 0 and everything.count("\n@") + everything.startswith("@") == 101
    ids = [p["id"] for p in json.loads(cli(lib, "list", "--json")[1])][:3]
    cli(lib, "tag", str(ids[0]), "--add", "cite-me")
    cli(lib, "star", str(ids[1]))
    assert cli(lib, "export", "--tag", "cite-me")[1].count("@misc{") == 1
    assert cli(lib, "export", "--starred")[1].count("@misc{") == 1
    assert cli(lib, "export", "--ids", f"{ids[0]},{ids[2]}")[1].count("@misc{") == 2
    assert cli(lib, "export", "--query", "title:yolov6")[1].count("@misc{") == 1
    target = tmp_path / "out.bib"
    assert cli(lib, "export", "-o", str(target))[0] == 0
    assert target.read_text("utf-8") == cli(lib, "export")[1]


def test_doctor_reports_and_repairs(tmp_path: Path, sample_path: Path) -> None:
    import shutil

    lib = tmp_path / "x"
    cli(lib, "import", str(sample_path))
    status, out = cli(lib, "doctor")
    assert status == 0 and "index: ok" in out and "database: ok" in out
    shutil.rmtree(lib / "index")
    status, out = cli(lib, "doctor")
    assert status == 1 and "101 missing" in out
    status, out = cli(lib, "doctor", "--repair")
    assert status == 0 and "fixed: index: added 101" in out
    status, out = cli(lib, "doctor")
    assert status == 0 and "index: ok" in out


def _big_page(n: int) -> str:
    parts = ["new", "", "Subscribe", "", "Mar 12", ""]
    for i in range(n):
        parts += [
            f"Synthetic study number {i} of scaling laws",
            "",
            f"We study item {i} in depth. " * 20,
            "",
        ]
    return "\n".join(parts)


def test_killed_import_leaves_nothing_partial(tmp_path: Path) -> None:
    lib = tmp_path / "x"
    page = tmp_path / "big.txt"
    page.write_text(_big_page(20000), "utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "readinglist", "--library", str(lib), "import", str(page)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Wait until the library file exists, then kill part-way.
    deadline = time.monotonic() + 30
    while not (lib / "library.sqlite3").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.8)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Library(lib) as library:
        assert library.count() in (0, 20000)
        assert len(library.batches()) == (1 if library.count() else 0)
        assert library.check_index().ok


def test_import_a_folder_and_tag_a_comma_list(tmp_path: Path, sample_path: Path) -> None:
    """The command line accepts a folder, as a drop on the window does."""
    lib = tmp_path / "lib"
    folder = tmp_path / "papers"
    (folder / "march").mkdir(parents=True)
    (folder / "march" / "page.txt").write_bytes(sample_path.read_bytes())
    (folder / "refs.bib").write_text("@article{k1, title={A Folder Paper}, year={2020}}\n")
    status, out = cli(lib, "import", str(folder))
    assert status == 0
    assert "page.txt [Mar 11]: 101 added" in out and "refs.bib: 1 added" in out
    status, out = cli(lib, "search", "title:folder", "--json")
    (paper,) = json.loads(out)
    assert cli(lib, "tag", str(paper["id"]), "--add", "to-read, Deep  Learning", "to-READ")[0] == 0
    _, out = cli(lib, "show", str(paper["id"]), "--json")
    assert json.loads(out)["tags"] == ["Deep Learning", "to-read"]


def test_a_limited_listing_says_how_many_match(tmp_path: Path, sample_path: Path) -> None:
    lib = tmp_path / "lib"
    cli(lib, "import", str(sample_path))
    status, out = cli(lib, "search", "language models", "--limit", "3")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 4
    _, everything = cli(lib, "search", "language models")
    total = len(everything.splitlines()) - 1
    assert total > 3 and lines[-1] == f"3 of {total} papers"
    # The three are the top of the whole ranking.
    assert lines[:3] == everything.splitlines()[:3]


def test_a_reader_that_goes_away_is_not_an_internal_error(
    tmp_path: Path, sample_path: Path
) -> None:
    lib = tmp_path / "lib"
    assert cli(lib, "import", str(sample_path))[0] == 0
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "readinglist", "--library", str(lib), "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # as `| head` does once it has its lines
    _out, err = proc.communicate(timeout=60)
    assert err.decode() == "" and proc.returncode == 141
    assert not (tmp_path / "cache").exists()  # nothing written to the log
