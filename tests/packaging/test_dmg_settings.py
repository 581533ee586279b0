"""packaging/macos/dmg_settings.py: the settings file dmgbuild executes for the disk image."""

from __future__ import annotations

import plistlib
from pathlib import Path
from typing import Any

SETTINGS = Path(__file__).resolve().parents[2] / "packaging" / "macos" / "dmg_settings.py"


def _execute(defines: dict[str, str]) -> dict[str, Any]:
    """Run the file as dmgbuild does: ``defines`` (its -D options) in the namespace."""
    namespace: dict[str, Any] = {"defines": defines, "__file__": str(SETTINGS)}
    exec(compile(SETTINGS.read_text(encoding="utf-8"), str(SETTINGS), "exec"), namespace)
    return namespace


def test_defines_what_dmgbuild_reads() -> None:
    settings = _execute({"app": "dist/Reading List.app"})
    assert settings["files"] == ["dist/Reading List.app"]
    assert settings["symlinks"] == {"Applications": "/Applications"}
    assert settings["format"] == "UDZO"
    assert settings["default_view"] == "icon-view"
    (origin, extent) = settings["window_rect"]
    assert len(origin) == len(extent) == 2
    # Every item in the volume has a place in the window, and only those.
    assert set(settings["icon_locations"]) == {"Reading List.app", "Applications"}
    assert isinstance(settings["icon_size"], int)
    # No app built here: no icon to badge with.
    assert settings["badge_icon"] is None


def test_defines_override_the_defaults() -> None:
    settings = _execute({"app": "/tmp/out/Reading List.app", "format": "ULFO"})
    assert settings["files"] == ["/tmp/out/Reading List.app"]
    assert settings["format"] == "ULFO"
    assert "Reading List.app" in settings["icon_locations"]


def test_badges_the_volume_with_the_apps_icon(tmp_path: Path) -> None:
    # What PyInstaller's BUNDLE() leaves: the icon named in the app's Info.plist.
    app = tmp_path / "Reading List.app"
    (app / "Contents" / "Resources").mkdir(parents=True)
    with (app / "Contents" / "Info.plist").open("wb") as fp:
        plistlib.dump({"CFBundleIconFile": "readinglist.icns"}, fp)
    settings = _execute({"app": str(app)})
    assert settings["badge_icon"] == str(app / "Contents" / "Resources" / "readinglist.icns")
