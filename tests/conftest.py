"""Shared fixtures: a temporary library per test and the sample page."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from readinglist.library import Library

# Qt must never try to reach a display in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "hf-trending-mar11.txt"


@pytest.fixture
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture
def library_dir(tmp_path: Path) -> Path:
    return tmp_path / "lib"


@pytest.fixture
def library(library_dir: Path) -> Iterator[Library]:
    lib = Library(library_dir)
    yield lib
    lib.close()


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may touch the user's real library, settings or logs.
    monkeypatch.setenv("READINGLIST_LIBRARY", str(tmp_path / "default-lib"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def mount() -> Iterator[Callable[..., None]]:
    """``mount(*args)`` for real faults (a read-only bind, a tiny tmpfs); unmounted after.

    The tests run as root (as in CI), where file modes do not stop writes.
    """
    points: list[str] = []

    def run(*args: str) -> None:
        proc = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount here ({proc.stderr.strip()}): needs root, as in CI")
        points.append(args[-1])

    yield run
    for point in reversed(dict.fromkeys(points)):
        subprocess.run(["umount", point], check=False)
