"""packaging/linux/build_deb.py's pieces that need no bundle: fields, changelog, copyright.

The whole build is checked by `make installer-check` (packaging/linux/check_deb.sh).
"""

from __future__ import annotations

import gzip
import importlib
import re
import sys
from pathlib import Path

import pytest

from readinglist import APP_ID, __version__

ROOT = Path(__file__).resolve().parents[2]
# A script beside the packaging files, not a module of the package: imported from there.
sys.path.insert(0, str(ROOT / "packaging" / "linux"))
build_deb = importlib.import_module("build_deb")


def test_version_is_the_packages() -> None:
    assert build_deb.read_version() == __version__


def test_version_line_missing_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "readinglist").mkdir()
    (tmp_path / "readinglist" / "__init__.py").write_text('"""No version."""\n')
    with pytest.raises(build_deb.BuildError, match="no __version__"):
        build_deb.read_version(tmp_path)


def test_metainfo_gives_summary_description_and_this_release() -> None:
    summary, paragraphs, releases = build_deb.read_metainfo(
        ROOT / "resources" / f"{APP_ID}.metainfo.xml"
    )
    assert summary
    assert len(paragraphs) >= 1
    # build_deb refuses a package whose newest release is not the app's version.
    assert releases[0].version == __version__


def test_control_description_folds_paragraphs() -> None:
    text = build_deb.control_description("Short", ["a " * 60, "second"])
    lines = text.splitlines()
    assert lines[0] == "Short"
    assert " ." in lines
    assert all(line.startswith(" ") and len(line) <= 80 for line in lines[1:])


def test_changelog_is_debians_format() -> None:
    releases = [
        build_deb.Release("0.2.0", "2026-12-01", ["Second."]),
        build_deb.Release("0.1.0", "2026-11-24", []),
    ]
    text = build_deb.debian_changelog(releases, "A <a@example.org>")
    heads = re.findall(r"^readinglist \((\S+)\) unstable; urgency=medium$", text, re.M)
    assert heads == ["0.2.0", "0.1.0"]
    assert "  * Second." in text
    assert re.search(r"^ -- A <a@example.org>  Tue, 01 Dec 2026 12:00:00 \+0000$", text, re.M)


def test_copyright_gives_the_text_of_every_licence_it_names() -> None:
    text = build_deb.copyright_file(
        (ROOT / "LICENSE").read_text(encoding="utf-8"),
        (ROOT / "packaging" / "linux" / "third-party-copyright").read_text(encoding="utf-8"),
    )
    assert text.startswith("Format: https://www.debian.org/doc/packaging-manuals/")
    named: set[str] = set()
    given: set[str] = set()
    for paragraph in text.split("\n\n"):
        match = re.search(r"^License: (.+)\n?((?: .*\n?)*)", paragraph, re.M)
        if not match:
            continue
        names = {name.strip() for name in match.group(1).split(" and ")}
        named |= names
        # DEP-5: the text follows the name, in the Files paragraph or a License one.
        if match.group(2).strip():
            given |= names
    assert "MIT" in given
    assert named == given


def test_gzip_is_the_same_bytes_each_build(tmp_path: Path) -> None:
    build_deb.write_gzip(tmp_path / "a.gz", b"changelog")
    build_deb.write_gzip(tmp_path / "b.gz", b"changelog")
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.gz").read_bytes()) == b"changelog"


def test_every_lintian_override_says_why() -> None:
    # Overrides come in groups (one reason, several tags or paths), each after its comment.
    text = (ROOT / "packaging" / "linux" / "lintian-overrides").read_text(encoding="utf-8")
    groups = [group.splitlines() for group in text.strip().split("\n\n")]
    overrides = 0
    for group in groups[1:]:  # the first is the file's own heading
        comment = [line for line in group if line.startswith("#")]
        tags = [line for line in group if not line.startswith("#")]
        assert comment and group[: len(comment)] == comment, group
        for line in tags:
            assert re.match(r"^readinglist: [a-z0-9-]+( \S+)? \[\S+\]$", line), line
        overrides += len(tags)
    assert overrides > 0
