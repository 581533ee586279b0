"""Where resources are found (checkout, installed package, frozen bundle) and private_home."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from readinglist import paths

CHECKOUT = Path(__file__).resolve().parents[1]


def _fake_resources(root: Path) -> Path:
    (root / "icons").mkdir(parents=True)
    (root / "icons" / "readinglist.svg").write_text("<svg/>", "utf-8")
    (root / "sample-papers.txt").write_text("sample", "utf-8")
    return root


def test_a_checkout_reads_the_top_level_resources_folder() -> None:
    assert paths.resource_dir() == CHECKOUT / "resources"
    assert paths.resource_path("sample-papers.txt") == CHECKOUT / "resources" / "sample-papers.txt"
    assert paths.resource_path("sample-papers.txt").is_file()
    # Folders too (tests list the icons).
    assert paths.resource_path("icons").is_dir()
    assert (paths.resource_path("icons") / "readinglist.svg").is_file()


def test_an_installed_package_reads_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # site-packages/readinglist/_resources, with a resources/ folder beside
    # site-packages that must not be taken instead.
    package = tmp_path / "site-packages" / "readinglist"
    package.mkdir(parents=True)
    installed = _fake_resources(package / "_resources")
    _fake_resources(tmp_path / "site-packages" / "resources")
    monkeypatch.setattr(paths, "__file__", str(package / "paths.py"))
    assert paths.resource_dir() == installed
    assert paths.resource_path("icons/readinglist.svg") == installed / "icons" / "readinglist.svg"


def test_a_frozen_bundle_reads_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    inside = _fake_resources(bundle / "readinglist" / "_resources")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    # Ahead of the checkout this module lives in.
    assert paths.resource_dir() == inside
    assert paths.resource_path("sample-papers.txt").read_text("utf-8") == "sample"


def test_meipass_alone_is_not_a_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only a frozen program has a bundle; a stray _MEIPASS changes nothing.
    _fake_resources(tmp_path / "readinglist" / "_resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert paths.resource_dir() == CHECKOUT / "resources"


def test_a_broken_bundle_names_where_the_resources_should_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "bundle" / "readinglist"
    package.mkdir(parents=True)
    monkeypatch.setattr(paths, "__file__", str(package / "paths.py"))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    expected = tmp_path / "bundle" / "readinglist" / "_resources" / "sample-papers.txt"
    assert paths.resource_path("sample-papers.txt") == expected


def test_private_home_keeps_every_user_folder_inside(tmp_path: Path) -> None:
    before = (paths.default_library_dir(), paths.config_dir(), paths.log_dir())
    with paths.private_home(tmp_path / "home") as home:
        assert home == tmp_path / "home"
        assert paths.default_library_dir() == home / "library"
        assert paths.config_dir() == home / "config"
        assert paths.log_dir() == home / "log"
        assert paths.log_dir().is_dir()
        # --library still wins: only the defaults move.
        assert paths.resolve_library_dir(str(tmp_path / "x")) == tmp_path / "x"
    assert (paths.default_library_dir(), paths.config_dir(), paths.log_dir()) == before
