"""The acceptance check of the export: sample → library → BibTeX → real bibtex and pybtex."""

from __future__ import annotations

import io
from pathlib import Path

import pybtex.database
from test_bibtex_export import _run_bibtex, decode, normalise

from readinglist.cli import run
from readinglist.library import Library


def test_sample_export_passes_bibtex_and_round_trips(tmp_path: Path, sample_path: Path) -> None:
    lib_dir = tmp_path / "lib"
    assert run(["--library", str(lib_dir), "import", str(sample_path)], out=io.StringIO()) == 0
    target = tmp_path / "all.bib"
    assert run(["--library", str(lib_dir), "export", "-o", str(target)], out=io.StringIO()) == 0
    bib = target.read_text("utf-8")

    work = tmp_path / "bibtex"
    work.mkdir()
    _run_bibtex(work, bib, "plain")
    bbl = (work / "refs.bbl").read_text("utf-8")
    assert bbl.count("\\bibitem") == 101

    parsed = pybtex.database.parse_string(bib, "bibtex")
    assert len(parsed.entries) == 101
    with Library(lib_dir) as lib:
        papers = {p.citekey: p for p in lib.papers()}
    assert set(parsed.entries) == set(papers)
    for key, entry in parsed.entries.items():
        paper = papers[key]
        assert decode(entry.fields["title"]) == normalise(paper.title)
        assert decode(entry.fields["abstract"]) == normalise(paper.abstract)
        # The decoded abstract is never shorter than the library's text.
        assert len(decode(entry.fields["abstract"])) >= len(normalise(paper.abstract))
    # The decoded LaTeX fragments of the page survive as Unicode.
    assert any("TÜLU 3" in p.abstract for p in papers.values())
    assert 'T{\\"U}LU' in bib
