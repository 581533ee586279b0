"""The bundle's run-time hooks (packaging/hooks): the ones PyInstaller reads, and what they do.

PyInstaller runs a run-time hook before the app's first line on every start, so a hook
that imports Qt makes ``readinglist --version`` pay for Qt. Ours replace its hooks for
PySide6, inspect, multiprocessing and pkgutil; these tests run them as the bootloader
would (a fresh interpreter, ``sys._MEIPASS`` set) and look at what they set and import.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

HOOKS = Path(__file__).resolve().parents[2] / "packaging" / "hooks"


def _run_hook(name: str, meipass: Path) -> dict[str, object]:
    """Run one hook file in a fresh interpreter; what it set and which modules it loaded."""
    probe = f"""
import json, os, sys
sys._MEIPASS = {str(meipass)!r}
before = set(sys.modules)
path = {str(HOOKS / "rthooks" / name)!r}
# exec, as the bootloader does; runpy would import pkgutil itself.
exec(compile(open(path, encoding="utf-8").read(), path, "exec"), {{"__name__": "__main__"}})
print(json.dumps({{
    "loaded": sorted(set(sys.modules) - before),
    "QT_PLUGIN_PATH": os.environ.get("QT_PLUGIN_PATH"),
}}))
"""
    out = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def test_every_listed_hook_exists_and_pyinstallers_own_are_replaced() -> None:
    table = ast.literal_eval((HOOKS / "rthooks.dat").read_text(encoding="utf-8"))
    assert set(table) == {"PySide6", "inspect", "multiprocessing", "pkgutil"}
    for files in table.values():
        assert files, "an empty list would leave PyInstaller's own hook in place"
        for name in files:
            assert (HOOKS / "rthooks" / name).is_file(), name


def test_the_spec_hands_the_hooks_to_pyinstaller() -> None:
    spec = (HOOKS.parent / "readinglist.spec").read_text(encoding="utf-8")
    assert 'hookspath=[str(Path(SPECPATH) / "hooks")]' in spec


def test_qt_hook_points_qt_at_the_bundled_plugins_without_importing_qt(tmp_path: Path) -> None:
    result = _run_hook("pyi_rth_readinglist_qt.py", tmp_path)
    layout = ("PySide6",) if sys.platform == "win32" else ("PySide6", "Qt")
    assert result["QT_PLUGIN_PATH"] == str(tmp_path.joinpath(*layout, "plugins"))
    loaded = result["loaded"]
    assert isinstance(loaded, list)
    assert not [m for m in loaded if m.startswith(("PySide6", "shiboken6"))], loaded


def test_the_replacement_for_the_unneeded_hooks_imports_nothing(tmp_path: Path) -> None:
    result = _run_hook("pyi_rth_readinglist_unneeded.py", tmp_path)
    loaded = result["loaded"]
    assert isinstance(loaded, list)
    assert not {"inspect", "multiprocessing", "pkgutil", "zipfile"} & set(loaded), loaded
