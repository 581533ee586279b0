"""The benchmark keeps running: one tiny size end to end, and its FTS5 yardstick."""

from __future__ import annotations

from pathlib import Path

import pytest

from readinglist import bench
from readinglist.records import PaperData


def test_keystrokes_search_the_last_word_as_a_prefix() -> None:
    typed = bench.keystrokes("language mo")
    assert len(typed) == len("language mo")
    assert typed[0] == "l"  # too short to be a prefix
    assert typed[2] == "lan*"
    assert typed[8] == "language "
    assert typed[-1] == "language mo*"


def test_fts5_yardstick_filters_by_tag_and_star(tmp_path: Path) -> None:
    fts = bench.Fts5(tmp_path / "fts.sqlite3")
    papers = [
        PaperData(id=3, title="Language models", abstract="reasoning", tags=("bench",)),
        PaperData(id=7, title="Vision", abstract="language models at scale", starred=True),
        PaperData(id=9, title="Graphs", abstract="nothing here"),
    ]
    assert fts.add(papers) >= 0
    assert fts.top("language models") == ([3, 7], 2)  # the title weighs more
    assert fts.hits("languag*") == [3, 7]
    assert fts.hits("language", tag="bench") == [3]
    assert fts.hits("language", starred=True) == [7]
    assert fts.hits("title:graphs") == [9]
    fts.close()


def test_a_tiny_run_prints_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "ROUNDS", 1)
    monkeypatch.setattr(bench, "CLI_RUNS", 1)
    res = bench.run_size(60, tmp_path)
    assert res["added"] == 60
    assert res["fts_top_matches"] > 0
    bench.print_table([res])
    table = capsys.readouterr().out
    for label in ("search, top 50 + total", "typing 'language models'", "ours / FTS5", "CLI: "):
        assert label in table
    assert "nan" not in table
