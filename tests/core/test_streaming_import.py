"""A saved page is parsed while it is read: the same result as parsing it whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from readinglist import importers
from readinglist.library import Library

SAMPLE = Path(__file__).parents[1] / "data" / "hf-trending-mar11.txt"


def _summary(lib: Library) -> list[tuple[str, str, tuple[str, ...], str]]:
    return [(p.title, p.abstract, p.links, p.arxiv_id) for p in lib.papers()]


def _variants(tmp_path: Path) -> dict[str, bytes]:
    text = SAMPLE.read_text("utf-8")
    messy = "Mar 12\n\n" + "A paragraph far too long to be a title " * 5 + "\n\n" + text
    return {
        "sample.txt": SAMPLE.read_bytes(),
        "crlf.txt": text.replace("\n", "\r\n").encode("utf-8"),
        "bom.txt": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "cp1252.txt": text.replace("—", "-").encode("cp1252", errors="replace")
        + "Café\n".encode("cp1252"),
        "problems.txt": messy.encode("utf-8"),
    }


@pytest.mark.parametrize(
    "name", ["sample.txt", "crlf.txt", "bom.txt", "cp1252.txt", "problems.txt"]
)
def test_streamed_file_equals_whole_text(tmp_path: Path, name: str) -> None:
    data = _variants(tmp_path)[name]
    path = tmp_path / name
    path.write_bytes(data)
    assert importers.stream_file(path) is not None  # this file takes the streaming path
    with Library(tmp_path / "streamed") as streamed, Library(tmp_path / "whole") as whole:
        a = streamed.import_file(path)
        b = whole.import_bytes(data, name)
        assert a.error == b.error == ""
        assert (a.label, a.format, len(a.added)) == (b.label, b.format, len(b.added))
        assert [p.describe() for p in a.problems] == [p.describe() for p in b.problems]
        assert _summary(streamed) == _summary(whole)
        assert streamed.batches()[0].label == whole.batches()[0].label
        assert streamed.batches()[0].problems == whole.batches()[0].problems


def test_a_file_found_bad_at_its_end_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "short-lines.txt"
    path.write_text("Trending Papers\n\n" + "\n".join(f"Line {i}" for i in range(50)), "utf-8")
    with Library(tmp_path / "lib") as lib:
        report = lib.import_file(path)
        assert "no papers found" in report.error
        assert lib.count() == 0 and lib.batches() == []


def test_binary_data_after_the_first_megabyte_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "late-nul.txt"
    path.write_bytes(SAMPLE.read_bytes() * 8 + b"\n" * (1 << 20) + b"\x00\x01binary")
    with Library(tmp_path / "lib") as lib:
        report = lib.import_file(path)
        assert report.error == "late-nul.txt: not a text file (binary data)"
        assert lib.count() == 0
