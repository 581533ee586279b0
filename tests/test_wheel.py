"""The built wheel, installed into a fresh venv, carries and finds every resource.

Built as ``python -m build`` builds it (an sdist, then the wheel from the
unpacked sdist), from a copy of the checkout so the checkout stays as it was.
The venv gets the wheel alone; Reading List's dependencies come from this
test's own environment through a path file, so nothing is downloaded and no
copy of the source can be imported: the package, its resources and its
metadata must all come from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from readinglist import __version__

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = "io.github.readinglist.ReadingList.desktop"
METAINFO = "io.github.readinglist.ReadingList.metainfo.xml"
MIME = "io.github.readinglist.ReadingList.mime.xml"
# What the app and the installers need at run time.
RESOURCES = ["icons/readinglist.svg", "sample-papers.txt", DESKTOP, METAINFO, MIME]
# The offscreen platform's notes about what it cannot do (the GUI tests ignore them too).
OFFSCREEN_NOTE = "This plugin does not support "


def _run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, cwd=cwd, env=env
    )
    assert proc.returncode == 0, f"{args}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the sdist, the wheel) built from a copy of the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("readinglist", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=skip)
    dist = tmp / "dist"
    # Without isolation: offline, with this environment's setuptools (the
    # test extra pins it to what [build-system] asks for).
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, source)
    [sdist] = dist.glob("readinglist-*.tar.gz")
    [wheel] = dist.glob("readinglist-*.whl")
    yield sdist, wheel


@pytest.fixture(scope="module")
def venv(built: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (its dependencies borrowed, see the module)."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", root)
    python = _bin(root, "python")
    _run(
        sys.executable,
        *("-m", "pip", "--python", python, "install"),
        *("--no-deps", "--no-index", "--no-cache-dir", "--quiet", built[1]),
    )
    site = _run(python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    ours = sysconfig.get_paths()
    # A plain path line: the directories are appended after the venv's own
    # site-packages, and their .pth files (the editable install's finder) are not run.
    Path(site.stdout.strip(), "_test_dependencies.pth").write_text(
        "\n".join(dict.fromkeys([ours["purelib"], ours["platlib"]])) + "\n", "utf-8"
    )
    return root


def _env() -> dict[str, str]:
    # conftest's XDG folders and HOME are in os.environ: the user's stay untouched.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_the_wheel_carries_the_package_and_its_resources(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    assert wheel.name == f"readinglist-{__version__}-py3-none-any.whl"
    assert sdist.name == f"readinglist-{__version__}.tar.gz"
    names = set(zipfile.ZipFile(wheel).namelist())
    # Every module of the source (the package list in pyproject.toml is kept by hand).
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "readinglist").rglob("*.py")}
    assert modules - names == set()
    assert "readinglist/py.typed" in names
    resources = {n.removeprefix("readinglist/_resources/") for n in names if "/_resources/" in n}
    icons = {f"icons/{p.name}" for p in (ROOT / "resources" / "icons").glob("*.svg")}
    assert resources == icons | {"sample-papers.txt", DESKTOP, METAINFO, MIME}
    metadata = zipfile.ZipFile(wheel).read(f"readinglist-{__version__}.dist-info/METADATA")
    assert f"\nVersion: {__version__}\n".encode() in metadata
    assert b"\nLicense-Expression: MIT\n" in metadata


def test_the_installed_wheel_finds_its_resources(venv: Path, tmp_path: Path) -> None:
    script = (
        "import json, readinglist, readinglist.paths as p\n"
        "from importlib.metadata import version\n"
        f"names = {RESOURCES!r}\n"
        "print(json.dumps({'package': readinglist.__file__, 'version': version('readinglist'),"
        " 'dir': str(p.resource_dir()), 'found': {n: str(p.resource_path(n)) for n in names}}))\n"
    )
    # -I: neither the working directory nor PYTHONPATH nor the user's site is on the path.
    shown = json.loads(_run(_bin(venv, "python"), "-I", "-c", script, cwd=tmp_path).stdout)
    site = Path(shown["package"]).parent.parent
    assert site.is_relative_to(venv)
    assert shown["version"] == __version__
    assert Path(shown["dir"]) == site / "readinglist" / "_resources"
    for name, found in shown["found"].items():
        path = Path(found)
        assert path == site / "readinglist" / "_resources" / name
        assert path.read_bytes() == (ROOT / "resources" / name).read_bytes()


def test_the_installed_command_runs(venv: Path, tmp_path: Path) -> None:
    env = _env()
    version = _run(_bin(venv, "readinglist"), "--version", cwd=tmp_path, env=env)
    assert version.stdout == f"readinglist {__version__}\n"
    # The whole app from the wheel: its window, the sample page among its resources, a search.
    smoke = _run(
        _bin(venv, "python"), "-I", "-m", "readinglist", "--smoke-test", cwd=tmp_path, env=env
    )
    assert smoke.stdout.startswith("smoke test passed: window shown in "), smoke.stdout
    assert ", 101 papers imported in " in smoke.stdout
    noise = [line for line in smoke.stderr.splitlines() if not line.startswith(OFFSCREEN_NOTE)]
    assert noise == []
