"""Shared fixtures: a temporary library per test and the sample page."""

from __future__ import annotations

import os
from collections.abc import Iterator
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
