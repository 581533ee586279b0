"""resources/…mime.xml gives RIS files their type, and the .desktop file claims it.

Debian's shared-mime-info knows BibTeX but not RIS: without the package's MIME file a
desktop calls a .ris file plain text. The file is compiled here with the real
``update-mime-database`` into a private data folder, and GLib's ``gio`` (what GNOME's and
most file managers' "Open with" ask) reads the type back, as on an installed system.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.readinglist.ReadingList"
MIME_XML = ROOT / "resources" / f"{APP_ID}.mime.xml"
NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
RIS = "TY  - JOUR\nTI  - Attention is all you need\nPY  - 2017\nER  - \n"


def _defined_types() -> list[str]:
    root = ET.parse(MIME_XML).getroot()
    return [t.get("type", "") for t in root.findall("m:mime-type", NS)]


@pytest.fixture(scope="module")
def data_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding only our MIME package, compiled by update-mime-database."""
    home = tmp_path_factory.mktemp("share")
    packages = home / "mime" / "packages"
    packages.mkdir(parents=True)
    (packages / f"{APP_ID}.xml").write_bytes(MIME_XML.read_bytes())
    # update-mime-database comes from shared-mime-info (the Makefile's system-deps).
    subprocess.run(
        ["update-mime-database", str(home / "mime")], check=True, capture_output=True, timeout=60
    )
    return home


def _content_type(path: Path, data_home: Path) -> str:
    env = dict(os.environ, XDG_DATA_HOME=str(data_home))
    out = subprocess.run(
        ["gio", "info", "--attributes=standard::content-type", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    ).stdout
    return out.rsplit("standard::content-type:", 1)[1].strip()


def test_a_ris_file_has_the_ris_type_by_name_and_by_content(
    data_home: Path, tmp_path: Path
) -> None:
    named = tmp_path / "export.ris"
    named.write_text(RIS, encoding="utf-8")
    # A browser's download with no extension, and one with a byte-order mark first.
    unnamed = tmp_path / "citation"
    unnamed.write_text(RIS, encoding="utf-8")
    bom = tmp_path / "citation-bom"
    bom.write_text("\ufeff" + RIS, encoding="utf-8")
    for path in (named, unnamed, bom):
        assert _content_type(path, data_home) == "application/x-research-info-systems", path
    # Not every text is RIS: a note stays plain text.
    note = tmp_path / "note"
    note.write_text("TY is a fine abbreviation\n", encoding="utf-8")
    assert _content_type(note, data_home) == "text/plain"


def test_the_desktop_file_claims_every_type_the_package_defines() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(ROOT / "resources" / f"{APP_ID}.desktop", encoding="utf-8")
    claimed = set(filter(None, entry["Desktop Entry"]["MimeType"].split(";")))
    defined = set(_defined_types())
    assert defined == {"application/x-research-info-systems"}
    assert defined <= claimed
