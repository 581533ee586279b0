"""The benchmark: ``python -m readinglist.bench`` (or ``make bench``).

Generates synthetic trending-paper pages of 1k, 10k and 100k papers from the
sample page's vocabulary, imports each into a fresh library end to end and
measures what a user waits for: import throughput (split into parse, database
and index); searches (the top 50 with the number of matches, all matches
ranked, every keystroke of a query as typed, with a tag filter and starred
only); the first page of filtered lists; the sidebar's counts; the command
line's wall time; export, size on disk and peak memory.  Beside every search
figure SQLite FTS5 answers the same question on the same papers (same ids,
texts, field weights, tags and stars), with the ratio ours/FTS5: the reference
for what this machine can do.  Each size runs in its own process so peak
memory is its own; ``--gui`` adds the window's start, stalls and memory.

Not a test: it asserts nothing, it measures.
"""

from __future__ import annotations

import argparse
import io
import itertools
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
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .paths import resource_path

if TYPE_CHECKING:
    from .core.query import Query
    from .library import Library
    from .records import PaperData

_T = TypeVar("_T")

# These queries read the same in FTS5's syntax (porter stemmer, prefix *, phrases,
# column filters, AND/OR/NOT), so both engines answer the same questions.
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
TYPED = "language models"  # typed key by key, as in the search box
PAGE = 50  # a search's top and a list's first page
TAG = "bench"  # on every 10th paper; every 20th is starred
ROUNDS = 5  # repetitions of each timed set of queries...
BIG_ROUNDS = 2  # ...and at 100k papers and more, where one round takes a while
BIG = 100_000
CLI_RUNS = 5


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


def _time_calls(fn: Callable[[_T], object], args: Sequence[_T], rounds: int) -> list[float]:
    """Milliseconds of each call of *fn* on each of *args*, *rounds* times over."""
    out = []
    for _ in range(rounds):
        for arg in args:
            t0 = time.perf_counter()
            fn(arg)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def keystrokes(text: str) -> list[str]:
    """What is searched after each key of *text* typed into the search box."""
    from .core.query import as_you_type

    return [as_you_type(text[:i]) for i in range(1, len(text) + 1)]


def first_page(lib: Library, q: Query) -> list[int]:
    """The ids a window shows first for *q*, with the total (the one place that reads a page)."""
    return lib.page(q, 0, PAGE)[0]


def sidebar_counts(lib: Library) -> int:
    """What the sidebar reads after a change: tags, imports and the built-in views' counts."""
    from .core.views import BUILTIN_VIEWS, view_query

    counts = [lib.count(view_query(key)) for key, _label in BUILTIN_VIEWS]
    return len(lib.tags()) + len(lib.batches()) + sum(counts)


def _cli_ms(args: Sequence[str]) -> float:
    """Median wall time of ``readinglist ARGS`` as a whole process, in milliseconds."""
    script = Path(sys.executable).with_name("readinglist")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "readinglist"]
    times = []
    for _ in range(CLI_RUNS):
        t0 = time.perf_counter()
        subprocess.run([*cmd, *args], stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


class Fts5:
    """The yardstick: SQLite FTS5 over the texts our index holds, with the same
    ids and field weights, and the same tags and stars in side tables."""

    COLUMNS = ("title", "abstract", "authors", "tags", "note", "links", "citekey")

    def __init__(self, path: Path) -> None:
        from .search import FIELD_BOOSTS

        self.con = sqlite3.connect(path)
        self.con.executescript(
            f"""
            CREATE VIRTUAL TABLE p USING fts5({", ".join(self.COLUMNS)}, tokenize='porter');
            CREATE TABLE flags(id INTEGER PRIMARY KEY, starred INTEGER NOT NULL);
            CREATE TABLE tagged(tag TEXT, paper INTEGER, PRIMARY KEY (tag, paper)) WITHOUT ROWID;
            """
        )
        weights = ", ".join(str(FIELD_BOOSTS.get(c, 1.0)) for c in self.COLUMNS)
        self.con.execute("INSERT INTO p(p, rank) VALUES ('rank', ?)", (f"bm25({weights})",))
        self._insert = (
            f"INSERT INTO p(rowid, {', '.join(self.COLUMNS)}) VALUES (?{', ?' * len(self.COLUMNS)})"
        )

    def _row(self, paper: PaperData) -> tuple[object, ...]:
        values = (getattr(paper, c) for c in self.COLUMNS)
        return (paper.id, *(" ".join(v) if isinstance(v, tuple) else v for v in values))

    def add(self, papers: Iterable[PaperData], chunk: int = 1000) -> float:
        """Index *papers*; return the seconds spent in SQLite (not in reading them)."""
        spent = 0.0
        rest = iter(papers)
        while batch := list(itertools.islice(rest, chunk)):
            t0 = time.perf_counter()
            self.con.executemany(self._insert, [self._row(p) for p in batch])
            self.con.executemany(
                "INSERT INTO flags VALUES (?, ?)", [(p.id, p.starred) for p in batch]
            )
            self.con.executemany(
                "INSERT INTO tagged VALUES (?, ?)", [(t, p.id) for p in batch for t in p.tags]
            )
            spent += time.perf_counter() - t0
        t0 = time.perf_counter()
        self.con.commit()
        return spent + time.perf_counter() - t0

    def top(self, text: str) -> tuple[list[int], int]:
        """The best :data:`PAGE` matches of *text* and the number of all matches."""
        rows = self.con.execute(
            "SELECT rowid FROM p WHERE p MATCH ? ORDER BY rank LIMIT ?", (text, PAGE)
        ).fetchall()
        (total,) = self.con.execute("SELECT count(*) FROM p WHERE p MATCH ?", (text,)).fetchone()
        return [r[0] for r in rows], int(total)

    def hits(self, text: str, *, tag: str | None = None, starred: bool = False) -> list[int]:
        """Every match of *text*, best first, only tagged *tag* or starred when asked."""
        # "+rowid": filter the matches, rather than run the match once per tagged id.
        sql = "SELECT rowid FROM p WHERE p MATCH ?"
        params: list[object] = [text]
        if tag is not None:
            sql += " AND +rowid IN (SELECT paper FROM tagged WHERE tag = ?)"
            params.append(tag)
        if starred:
            sql += " AND +rowid IN (SELECT id FROM flags WHERE starred)"
        return [r[0] for r in self.con.execute(sql + " ORDER BY rank", params)]

    def close(self) -> None:
        self.con.close()


def peak_rss_mb() -> float:
    """This process's own peak RSS in MB.

    Not ru_maxrss: Linux carries it across fork and exec, so a child would
    report its parent's peak (here, the parent that wrote a 140 MB page).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def page_path(workdir: Path, n: int) -> Path:
    """Where the synthetic page of *n* papers is written."""
    return workdir / f"page-{n}.txt"


def run_size(n: int, workdir: Path) -> dict[str, Any]:
    """Measure one library size; returns the figures as a dict."""
    from .core.query import Query
    from .library import Library

    page = page_path(workdir, n)
    if not page.exists():
        page.write_text(make_page(n), "utf-8")
    folder = workdir / f"lib-{n}"
    res: dict[str, Any] = {"n": n}
    rounds = BIG_ROUNDS if n >= BIG else ROUNDS
    typed = keystrokes(TYPED)

    def ranked(text: str, **filters: Any) -> Query:
        return Query(text=text, sort="relevance", **filters)

    t0 = time.perf_counter()
    with Library(folder) as lib:
        report = lib.import_file(page)
        res["import_s"] = time.perf_counter() - t0
        res["added"] = len(report.added)
        # Peak so far: reading, parsing and importing the whole page.
        res["peak_import_mb"] = peak_rss_mb()
        res.update({f"{k}_s": v for k, v in report.timings.items()})

        lib.search("warm up")
        totals: dict[str, int] = {}

        def top(text: str) -> None:
            totals[text] = lib.search(text, limit=PAGE).total

        res["top_ms"] = _time_calls(top, QUERIES, rounds)
        res["top_matches"] = sum(totals.values())
        res["all_ms"] = _time_calls(lib.query, [ranked(q) for q in QUERIES], rounds)
        res["typing_ms"] = _time_calls(lib.query, [ranked(t) for t in typed], rounds)

        # The same with nothing decoded yet, as right after any change to the
        # library: the searcher reopens and every posting list is read anew.
        def fresh_top(text: str) -> None:
            lib.index.drop_caches()
            top(text)

        res["top_fresh_ms"] = _time_calls(fresh_top, QUERIES, rounds)
        res["typing_fresh_ms"] = []
        for _round in range(rounds):
            lib.index.drop_caches()
            res["typing_fresh_ms"] += _time_calls(lib.query, [ranked(t) for t in typed], 1)

        everything = lib.query_ids(Query())
        t0 = time.perf_counter()
        lib.add_tags(everything[::10], [TAG])
        lib.set_starred(everything[5::20])
        res["tag_s"] = time.perf_counter() - t0
        res["tag_search_ms"] = _time_calls(
            lib.query, [ranked(q, tags=(TAG,)) for q in QUERIES], rounds
        )
        res["starred_search_ms"] = _time_calls(
            lib.query, [ranked(q, starred=True) for q in QUERIES], rounds
        )
        lists = [
            Query(),
            Query(starred=True),
            Query(read=False),
            Query(tags=(TAG,)),
            Query(sort="title", descending=False),
        ]
        res["list_ms"] = _time_calls(lambda q: first_page(lib, q), lists, rounds)
        res["sidebar_ms"] = _time_calls(sidebar_counts, [lib], 5 * rounds)

        t0 = time.perf_counter()
        buf = io.StringIO()
        lib.export_bibtex(everything, buf)
        res["export_s"] = time.perf_counter() - t0
        res["export_mb"] = len(buf.getvalue()) / 1e6
        del buf

        # The same papers, as they are now (tags and stars included), into FTS5;
        # in id order, which FTS5 takes three times faster than the reverse.
        fts_path = workdir / f"fts-{n}.sqlite3"
        fts = Fts5(fts_path)
        res["fts_index_s"] = fts.add(lib.iter_papers(sorted(everything)))

        t0 = time.perf_counter()
        lib.sync_index()
        res["open_check_ms"] = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    Library(folder).close()
    res["open_ms"] = (time.perf_counter() - t0) * 1000
    res["db_mb"] = (folder / "library.sqlite3").stat().st_size / 1e6
    res["index_mb"] = _folder_size(folder / "index") / 1e6

    fts_totals: dict[str, int] = {}

    def fts_top(text: str) -> None:
        fts_totals[text] = fts.top(text)[1]

    res["fts_top_ms"] = _time_calls(fts_top, QUERIES, rounds)
    res["fts_top_matches"] = sum(fts_totals.values())
    res["fts_all_ms"] = _time_calls(fts.hits, QUERIES, rounds)
    res["fts_typing_ms"] = _time_calls(fts.hits, typed, rounds)
    # FTS5 keeps no decoded lists of its own: its figures stand beside both.
    res["fts_top_fresh_ms"] = res["fts_top_ms"]
    res["fts_typing_fresh_ms"] = res["fts_typing_ms"]
    res["fts_tag_search_ms"] = _time_calls(lambda q: fts.hits(q, tag=TAG), QUERIES, rounds)
    res["fts_starred_search_ms"] = _time_calls(lambda q: fts.hits(q, starred=True), QUERIES, rounds)
    fts.close()
    res["fts_mb"] = fts_path.stat().st_size / 1e6

    lib_arg = ["--library", str(folder)]
    res["cli_version_ms"] = _cli_ms(["--version"])
    res["cli_search_ms"] = _cli_ms([*lib_arg, "search", TYPED, "--limit", "20"])
    res["cli_list_ms"] = _cli_ms([*lib_arg, "list", "--limit", "20"])
    res["peak_mb"] = peak_rss_mb()
    return res


LABEL_WIDTH = 48


def _row(label: str, values: list[str]) -> str:
    return f"{label:<{LABEL_WIDTH}}" + "".join(f"{v:>14}" for v in values)


def print_table(results: list[dict[str, Any]]) -> None:
    sizes = [f"{r['n']:,}" for r in results]
    print(_row("papers", sizes))
    print("-" * (LABEL_WIDTH + 14 * len(results)))

    def rate(r: dict[str, Any], key: str) -> str:
        return f"{r['added'] / r[key]:,.0f}/s" if r.get(key) else "-"

    def latency(label: str, key: str) -> list[tuple[str, list[str]]]:
        return [
            (f"{label}: median (ms)", [f"{statistics.median(r[key]):.1f}" for r in results]),
            (f"{label}: p95 (ms)", [f"{_percentile(r[key], 95):.1f}" for r in results]),
        ]

    def versus(label: str, key: str) -> list[tuple[str, list[str]]]:
        """Our latency of *key*, FTS5's of the same question, and the ratio of the medians."""
        fts = f"fts_{key}"
        ratios = [statistics.median(r[key]) / max(statistics.median(r[fts]), 1e-3) for r in results]
        return [
            *latency(label, key),
            *latency("  FTS5, same question", fts),
            ("  ours / FTS5 (medians)", [f"{x:,.1f}x" for x in ratios]),
        ]

    def ms(key: str) -> list[str]:
        return [f"{r[key]:,.0f}" for r in results]

    rows = [
        ("import end to end (papers/s)", [rate(r, "import_s") for r in results]),
        # A saved page is parsed while the database stage consumes its papers.
        ("  parse + database (papers/s)", [rate(r, "database_s") for r in results]),
        ("  Whoosh index (papers/s)", [rate(r, "index_s") for r in results]),
        ("  FTS5 index, same texts (papers/s)", [rate(r, "fts_index_s") for r in results]),
        ("import end to end (s)", [f"{r['import_s']:.2f}" for r in results]),
        ("tag 10% and star 5% of papers (s)", [f"{r['tag_s']:.2f}" for r in results]),
        *versus(f"search, top {PAGE} + total", "top_ms"),
        ("  total matches of the queries (sum)", [f"{r['top_matches']:,}" for r in results]),
        ("  FTS5: count(*) of the same (sum)", [f"{r['fts_top_matches']:,}" for r in results]),
        *versus("search, all matches ranked", "all_ms"),
        *versus(f"typing '{TYPED}', per key", "typing_ms"),
        *versus(f"top {PAGE} + total, cold searcher", "top_fresh_ms"),
        *versus("typing, cold searcher, per key", "typing_fresh_ms"),
        *versus(f"search + tag '{TAG}' (10%)", "tag_search_ms"),
        *versus("search + starred only (5%)", "starred_search_ms"),
        *latency(f"list, first {PAGE} of 5 filters", "list_ms"),
        *latency("sidebar counts after a change", "sidebar_ms"),
        ("CLI: --version, wall (ms)", ms("cli_version_ms")),
        (f"CLI: search '{TYPED}' --limit 20 (ms)", ms("cli_search_ms")),
        ("CLI: list --limit 20, wall (ms)", ms("cli_list_ms")),
        ("BibTeX export of all (s)", [f"{r['export_s']:.2f}" for r in results]),
        ("open library (ms)", ms("open_ms")),
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
            # Written here, so the measuring process's peak memory is the import's own
            # and not the 140 MB string of a generated 100k page.
            page_path(Path(tmp), size).write_text(make_page(size), "utf-8")
            cmd = [sys.executable, "-m", "readinglist.bench", "--one", str(size), "--workdir", tmp]
            if args.gui:
                cmd.append("--gui")
            print(f"measuring {size:,} papers ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            print(f"  took {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
