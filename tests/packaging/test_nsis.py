"""packaging/windows/readinglist.nsi compiles with makensis into a Windows installer.

The payload, a Windows PyInstaller build, can only be made on Windows: a stand-in folder
of the same shape (readinglist.exe and _internal/ with the resources) proves the script
builds, as the hosted-CI workflow then does with the real one.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from readinglist import __version__

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "windows" / "readinglist.nsi"


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    folder = tmp_path / "payload"
    resources = folder / "_internal" / "readinglist" / "_resources"
    shutil.copytree(ROOT / "resources" / "icons", resources / "icons")
    shutil.copyfile(ROOT / "resources" / "sample-papers.txt", resources / "sample-papers.txt")
    (folder / "readinglist.exe").write_bytes(b"MZ stand-in for the PyInstaller executable")
    return folder


def _makensis(*args: str) -> subprocess.CompletedProcess[str]:
    # makensis comes from the Debian package nsis (the Makefile's system-deps).
    # -WX: a warning (an unused define, an unsafe file name...) fails the build.
    return subprocess.run(
        ["makensis", "-NOCD", "-WX", "-V2", *args, str(SCRIPT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_compiles_to_a_windows_installer(payload: Path, tmp_path: Path) -> None:
    installer = tmp_path / f"ReadingList-{__version__}-setup.exe"
    result = _makensis(f"-DVERSION={__version__}", f"-DPAYLOAD={payload}", f"-DOUTFILE={installer}")
    assert result.returncode == 0, result.stdout + result.stderr
    data = installer.read_bytes()
    assert data[:2] == b"MZ"
    # The PE header the DOS stub points at: a Windows executable, not just any file.
    pe_offset = int.from_bytes(data[0x3C:0x40], "little")
    assert data[pe_offset : pe_offset + 4] == b"PE\0\0"


def test_without_a_version_it_says_so(payload: Path, tmp_path: Path) -> None:
    result = _makensis(f"-DPAYLOAD={payload}", f"-DOUTFILE={tmp_path / 'x.exe'}")
    assert result.returncode != 0
    assert "pass the version" in result.stdout + result.stderr
