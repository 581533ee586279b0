"""The benchmark: ``python -m readinglist.bench`` (or ``make bench``).

Generates synthetic trending-paper pages of 1k, 10k and 100k papers from the
sample page's vocabulary, imports each into a fresh library end to end and
prints throughput (split into parse, database and index), search and list
latency, export time, size on disk and peak memory.  Beside each Whoosh figure
it prints the same work done by SQLite FTS5, the reference for what this
machine can do.  Each size runs in its own process so peak memory is its own.

Not a test: it asserts nothing, it measures.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .paths import resource_path

QUERIES = [
    "model",
    "language models",
    "title:mamba",
    '"object detection"',
    "distill*",
    "reasoning AND mathematical",
    "vision OR video",
    "training NOT reinforcement",
    "diffusion",
    "efficient transformer attention",
    "benchmark",
    "abstract:graph",
]
# These queries read the same in FTS5's syntax (porter stemmer, prefix *, phrases,
# column filters, AND/OR/NOT), so both engines answer the same questions.
FTS_QUERIES = QUERIES


def _vocabulary() -> tuple[list[str], list[str]]:
    text = resource_path("sample-papers.txt").read_text("utf-8")
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    long = [p for p in paras if len(p) > 200]
    short = [p for p in paras if 20 < len(p) <= 200]
    title_words = [w for t in short for w in t.split()]
    abstract_words = [w for a in long for w in a.split()]
    return title_words, abstract_words


def make_page(n: int, seed: int = 7) -> str:
    """Return a trending-papers page of *n* synthetic papers (unique titles)."""
    rng = random.Random(seed)
    title_words, abstract_words = _vocabulary()
    lines = [
        "new",
        "",
        "Get trending papers in your email inbox!",
        "",
        "Subscribe",
        "",
        "Mar 11",
        "",
    ]
    for i in range(n):
        title = " ".join(rng.choices(title_words, k=rng.randint(5, 12)))
        words = rng.choices(abstract_words, k=rng.randint(120, 260))
        lines += [f"{title} {i}", "", " ".join(words), ""]
    return "\n".join(lines)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _time_queries(fn: Any, queries: list[str], rounds: int = 5) -> list[float]:
    out = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def run_size(n: int, workdir: Path) -> dict[str, Any]:
    """Measure one library size; returns the figures as a dict."""
    from .core.query import Query
    from .importers import parse
    from .library import Library

    page = workdir / f"page-{n}.txt"
    page.write_text(make_page(n), "utf-8")
    folder = workdir / f"lib-{n}"
    res: dict[str, Any] = {"n": n}

    t0 = time.perf_counter()
    with Library(folder) as lib:
        report = lib.import_file(page)
        res["import_s"] = time.perf_counter() - t0
        res["added"] = len(report.added)
        # Peak so far: reading, parsing and importing the whole page.
        res["peak_import_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        res.update({f"{k}_s": v for k, v in report.timings.items()})

        lib.search("warm up")
        res["search_ms"] = _time_queries(lambda q: lib.query_ids(Query(text=q)), QUERIES)
        res["search_top50_ms"] = _time_queries(lambda q: lib.search(q, limit=50), QUERIES)
        some = lib.query_ids(Query())[: max(1, n // 10)]
        lib.add_tags(some, ["bench"])
        lib.set_starred(some[: len(some) // 2])
        filters = [
            Query(),
            Query(starred=True),
            Query(read=False),
            Query(tags=("bench",)),
            Query(sort="title", descending=False),
            Query(tags=("bench",), text="model"),
        ]
        res["list_ms"] = _time_queries(lambda q: lib.query_ids(q), filters)  # type: ignore[arg-type]
        ids = lib.query_ids(Query())
        t0 = time.perf_counter()
        buf = io.StringIO()
        lib.export_bibtex(ids, buf)
        res["export_s"] = time.perf_counter() - t0
        res["export_mb"] = len(buf.getvalue()) / 1e6
        del buf
        t0 = time.perf_counter()
        lib.sync_index()
        res["open_check_ms"] = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    Library(folder).close()
    res["open_ms"] = (time.perf_counter() - t0) * 1000
    res["db_mb"] = (folder / "library.sqlite3").stat().st_size / 1e6
    res["index_mb"] = _folder_size(folder / "index") / 1e6

    # The same texts through SQLite FTS5, as a yardstick for this machine.
    result = parse(page.read_bytes(), page.name)
    fts_path = workdir / f"fts-{n}.sqlite3"
    con = sqlite3.connect(fts_path)
    con.execute("CREATE VIRTUAL TABLE p USING fts5(title, abstract, tokenize='porter')")
    t0 = time.perf_counter()
    con.executemany("INSERT INTO p VALUES (?, ?)", ((p.title, p.abstract) for p in result.papers))
    con.commit()
    res["fts_index_s"] = time.perf_counter() - t0
    res["fts_search_ms"] = _time_queries(
        lambda q: con.execute("SELECT rowid FROM p WHERE p MATCH ? ORDER BY rank", (q,)).fetchall(),
        FTS_QUERIES,
    )
    con.close()
    res["fts_mb"] = fts_path.stat().st_size / 1e6
    res["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


def _row(label: str, values: list[str]) -> str:
    return f"{label:<40}" + "".join(f"{v:>14}" for v in values)


def print_table(results: list[dict[str, Any]]) -> None:
    sizes = [f"{r['n']:,}" for r in results]
    print(_row("papers", sizes))
    print("-" * (40 + 14 * len(results)))

    def rate(r: dict[str, Any], key: str) -> str:
        return f"{r['added'] / r[key]:,.0f}/s" if r.get(key) else "-"

    def latency(label: str, key: str) -> list[tuple[str, list[str]]]:
        return [
            (f"{label}: median (ms)", [f"{statistics.median(r[key]):.1f}" for r in results]),
            (f"{label}: p95 (ms)", [f"{_percentile(r[key], 95):.1f}" for r in results]),
        ]

    rows = [
        ("import end to end (papers/s)", [rate(r, "import_s") for r in results]),
        ("  parse (papers/s)", [rate(r, "parse_s") for r in results]),
        ("  database (papers/s)", [rate(r, "database_s") for r in results]),
        ("  Whoosh index (papers/s)", [rate(r, "index_s") for r in results]),
        ("  FTS5 index, same texts (papers/s)", [rate(r, "fts_index_s") for r in results]),
        ("import end to end (s)", [f"{r['import_s']:.2f}" for r in results]),
        *latency("search, all matches", "search_ms"),
        *latency("search, top 50", "search_top50_ms"),
        *latency("  FTS5 search", "fts_search_ms"),
        *latency("list with filters", "list_ms"),
        ("BibTeX export of all (s)", [f"{r['export_s']:.2f}" for r in results]),
        ("open library (ms)", [f"{r['open_ms']:.0f}" for r in results]),
        ("database on disk (MB)", [f"{r['db_mb']:.1f}" for r in results]),
        ("Whoosh index on disk (MB)", [f"{r['index_mb']:.1f}" for r in results]),
        ("  FTS5 database on disk (MB)", [f"{r['fts_mb']:.1f}" for r in results]),
        ("peak memory, import (MB)", [f"{r['peak_import_mb']:.0f}" for r in results]),
        ("peak memory, whole run (MB)", [f"{r['peak_mb']:.0f}" for r in results]),
    ]
    for label, values in rows:
        print(_row(label, values))
    if any("first_paint_ms" in r for r in results):
        gui_rows = [
            ("GUI: start to first paint (ms)", "first_paint_ms"),
            ("GUI: longest stall typing (ms)", "max_stall_ms"),
            ("GUI: stalls over 50 ms while typing", "stalls_over_50ms"),
            ("GUI: peak memory (MB)", "gui_peak_mb"),
        ]
        for label, key in gui_rows:
            print(_row(label, [f"{r.get(key, 0):.0f}" for r in results]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m readinglist.bench", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--gui", action="store_true", help="also measure the GUI (needs a display)")
    args = parser.parse_args(argv)
    if args.one:
        res = run_size(args.one, Path(args.workdir))
        if args.gui:
            from .gui.bench import measure_gui

            res.update(measure_gui(Path(args.workdir) / f"lib-{args.one}"))
        print(json.dumps(res))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="readinglist-bench-") as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            cmd = [sys.executable, "-m", "readinglist.bench", "--one", str(size), "--workdir", tmp]
            if args.gui:
                cmd.append("--gui")
            print(f"measuring {size:,} papers ...", file=sys.stderr, flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
