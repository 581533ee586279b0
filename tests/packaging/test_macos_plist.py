"""packaging/macos/Info.plist: what "Reading List.app" tells macOS about itself."""

from __future__ import annotations

import plistlib
from pathlib import Path
from typing import Any

import pytest

from readinglist import APP_ID, __version__

PLIST = Path(__file__).resolve().parents[2] / "packaging" / "macos" / "Info.plist"


@pytest.fixture(scope="module")
def info() -> dict[str, Any]:
    with PLIST.open("rb") as fp:
        loaded: dict[str, Any] = plistlib.load(fp)
    return loaded


def test_identity_matches_the_app(info: dict[str, Any]) -> None:
    assert info["CFBundleIdentifier"] == APP_ID == "io.github.readinglist.ReadingList"
    assert info["CFBundleName"] == "Reading List"
    # The spec's EXE(name="readinglist"): the file Contents/MacOS holds.
    assert info["CFBundleExecutable"] == "readinglist"
    assert info["CFBundlePackageType"] == "APPL"
    assert info["NSHighResolutionCapable"] is True


def test_version_is_the_packages(info: dict[str, Any]) -> None:
    # The spec writes both from readinglist/__init__.py; the checked-in copy must agree.
    assert info["CFBundleShortVersionString"] == __version__
    assert info["CFBundleVersion"] == __version__


def _types_by_extension(info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for doc in info["CFBundleDocumentTypes"]:
        for extension in doc["CFBundleTypeExtensions"]:
            found[extension] = doc
    return found


def test_opens_the_files_the_importers_read(info: dict[str, Any]) -> None:
    types = _types_by_extension(info)
    assert set(types) == {"bib", "ris", "pdf", "txt"}
    assert types["pdf"]["LSItemContentTypes"] == ["com.adobe.pdf"]
    assert types["txt"]["LSItemContentTypes"] == ["public.plain-text"]
    for doc in types.values():
        assert doc["CFBundleTypeRole"] == "Viewer"
    # Offered for PDFs and text files, never taking them over from the user's reader.
    assert types["pdf"]["LSHandlerRank"] == types["txt"]["LSHandlerRank"] == "Alternate"
    assert types["bib"]["LSHandlerRank"] == types["ris"]["LSHandlerRank"] == "Default"


def test_bibliography_types_are_declared(info: dict[str, Any]) -> None:
    # macOS knows no BibTeX or RIS type: each content type the documents name must be
    # declared with its extension, or Finder never matches a file to it.
    declared = {
        decl["UTTypeIdentifier"]: decl["UTTypeTagSpecification"]["public.filename-extension"]
        for decl in info["UTImportedTypeDeclarations"]
    }
    types = _types_by_extension(info)
    for extension in ("bib", "ris"):
        (uti,) = types[extension]["LSItemContentTypes"]
        assert declared[uti] == [extension]
