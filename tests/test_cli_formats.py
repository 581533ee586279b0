"""The command line over issue 9's services: formats in, formats out, duplicates, fill."""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import rispy

from readinglist.cli import EXPORT_FORMATS, run
from readinglist.core.exports import Exports
from readinglist.core.query import Query
from readinglist.library import Library
from readinglist.records import ParsedPaper, ParseResult

BIB = """\
@article{king1963dream,
  author = {King, Jr., Martin Luther and van Gogh, Vincent},
  title = {I Have a Dream},
  journal = {Speeches},
  year = {1963},
  keywords = {rhetoric, history},
}
"""
RIS = """\
TY  - JOUR
AU  - Lovelace, Ada
TI  - Notes on the Analytical Engine
JO  - Scientific Memoirs
PY  - 1843
KW  - computing
ER  -
"""
IDS = "https://arxiv.org/abs/1706.03762v5\ndoi:10.1038/nature14539\n"


def cli(lib: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    status = run(["--library", str(lib), *args], out=out)
    return status, out.getvalue()


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A library with one paper from each of a .bib, a .ris and a list of links."""
    lib = tmp_path / "lib"
    for name, text in (("refs.bib", BIB), ("refs.ris", RIS), ("links.txt", IDS)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    status, out = cli(lib, "import", *(str(tmp_path / n) for n in ("refs.bib", "refs.ris")))
    assert status == 0, out
    status, out = cli(lib, "import", str(tmp_path / "links.txt"))
    assert status == 0, out
    return lib


def test_cli_formats_match_the_core() -> None:
    assert EXPORT_FORMATS == Exports.FORMATS


def test_every_format_exports_and_is_read_back(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, listed = cli(filled, "list", "--json")
    titles = {p["title"] for p in json.loads(listed)}
    assert titles == {
        "I Have a Dream",
        "Notes on the Analytical Engine",
        "arXiv:1706.03762",
        "doi:10.1038/nature14539",
    }
    # The suffix picks the format.
    target = tmp_path / "out.ris"
    assert cli(filled, "export", "-o", str(target))[0] == 0
    records = rispy.loads(target.read_text(encoding="utf-8"))
    assert {r["title"] for r in records} == titles
    target = tmp_path / "out.csv"
    assert cli(filled, "export", "-o", str(target))[0] == 0
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["title"] for r in rows} == titles
    target = tmp_path / "items.json"
    assert cli(filled, "export", "-o", str(target))[0] == 0
    items = json.loads(target.read_text(encoding="utf-8"))
    king = next(i for i in items if i["title"] == "I Have a Dream")
    assert king["author"][0] == {"family": "King", "given": "Martin Luther", "suffix": "Jr."}
    # --format wins over the suffix; to standard output without -o.
    status, md = cli(filled, "export", "--format", "markdown")
    assert status == 0 and "- I Have a Dream" in md
    assert "- [arXiv:1706.03762](https://arxiv.org/abs/1706.03762" in md
    status, bib = cli(filled, "export", "--format", "biblatex")
    assert status == 0 and "journaltitle = {Speeches}" in bib
    # The papers without author or year are named before a BibTeX export.
    capsys.readouterr()
    status, bib = cli(filled, "export")
    assert status == 0 and "author = {King, Jr., Martin Luther and van Gogh, Vincent}" in bib
    err = capsys.readouterr().err
    assert "note: 2 papers have no author or year" in err


def test_same_paper_from_two_sources_is_one(filled: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.bib"
    again.write_text(
        "@misc{vaswani,\n  title = {Attention Is All You Need},\n"
        "  author = {Vaswani, Ashish},\n  year = {2017},\n  eprint = {1706.03762},\n"
        "  archivePrefix = {arXiv},\n  keywords = {transformers},\n}\n",
        encoding="utf-8",
    )
    status, out = cli(filled, "import", str(again))
    assert status == 0 and "0 added" in out and "1 merged" in out
    status, shown = cli(filled, "search", "Vaswani", "--json")
    (paper,) = json.loads(shown)
    # Merged into the id-list paper: its id, the .bib's authors, year and tag.
    assert paper["arxiv_id"] == "1706.03762"
    assert paper["authors"] == ["Ashish Vaswani"] and paper["year"] == 2017
    assert paper["tags"] == ["transformers"]


def test_duplicates_and_merge(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    with Library(lib) as library:
        # A title with a typo, a year apart (preprint and published): the
        # import keeps them apart, "duplicates" lists them for the user.
        for paper in (
            ParsedPaper(title="Deep Residual Learning for Image Recognition", year=2015),
            ParsedPaper(title="Deep Residual Lerning for Image Recognition", year=2016),
            ParsedPaper(title="Mastering the Game of Go", year=2016),
        ):
            library.import_records(ParseResult(format="t", papers=[paper]), "x")
        ids = library.query_ids(Query())
        library.add_tags([min(ids)], ["vision"])
        library.set_starred([max(ids)], True)
    status, out = cli(lib, "duplicates", "--json")
    pairs = json.loads(out)
    assert status == 0 and len(pairs) == 1
    a, b = pairs[0]["a"], pairs[0]["b"]
    status, out = cli(lib, "merge", str(a), str(b))
    assert status == 0 and f"merged {b} into {a}" in out
    status, out = cli(lib, "duplicates")
    assert "0 likely duplicate pairs" in out
    with Library(lib) as library:
        kept = library.paper(a)
        assert kept.tags == ("vision",)
        assert library.count() == 2
        assert any("merge" in s.reason for s in library.backups.snapshots())
    status, _ = cli(lib, "merge", str(a), str(b))
    assert status == 1


def test_fill_offline_changes_nothing(
    filled: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_network(*_args: object, **_kwargs: object) -> object:
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    before = cli(filled, "list", "--json")[1]
    status, _ = cli(filled, "fill", "--all-missing")
    assert status == 3
    err = capsys.readouterr().err
    assert "cannot reach" in err and "nothing was changed" in err
    assert cli(filled, "list", "--json")[1] == before
    status, _ = cli(filled, "fill")
    assert status == 2
