"""packaging/bundle_prune.py: which Qt plug-ins, libraries and data the bundle leaves out."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

# A helper of the PyInstaller spec, beside it, not a module of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))
bundle_prune = importlib.import_module("bundle_prune")


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6\\plugins\\imageformats\\qjpeg.dll",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/tls/libqopensslbackend.so",
        "PySide6/Qt/plugins/generic/libqevdevmouseplugin.so",
    ],
)
def test_unused_plugins(dest: str) -> None:
    assert bundle_prune.is_unused_plugin(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/lib/libQt6Network.so.6",
        # Not a Qt plug-in folder, however it is named.
        "numpy/tls/helper.so",
    ],
)
def test_used_plugins_and_libraries_stay(dest: str) -> None:
    assert not bundle_prune.is_unused_plugin(dest)


def test_prune_drops_only_libraries_nothing_else_needs() -> None:
    binaries = [
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", "/w/libqeglfs.so", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/w/libqxcb.so", "BINARY"),
        ("PySide6/Qt/lib/libQt6EglFS.so.6", "/w/libQt6EglFS.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/w/libQt6Gui.so.6", "BINARY"),
        ("libQt6EglFS.so.6", "PySide6/Qt/lib/libQt6EglFS.so.6", "SYMLINK"),
    ]
    imports = {
        "/w/libqeglfs.so": {"libQt6EglFS.so.6", "libQt6Gui.so.6"},
        "/w/libqxcb.so": {"libQt6Gui.so.6"},
        "/w/libQt6EglFS.so.6": {"libQt6Gui.so.6"},
        "/w/libQt6Gui.so.6": set(),
    }
    kept, dropped = bundle_prune.prune(binaries, lambda source: imports[source])
    assert [dest for dest, _, _ in kept] == [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/lib/libQt6Gui.so.6",
    ]
    assert len(dropped) == 3


def test_qt_translations_are_left_out() -> None:
    assert bundle_prune.is_unused_data("PySide6/Qt/translations/qtbase_de.qm")
    assert bundle_prune.is_unused_data("PySide6\\translations\\qt_fr.qm")
    assert not bundle_prune.is_unused_data("readinglist/_resources/sample-papers.txt")
