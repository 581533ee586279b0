"""Fuzzing every parser: no unhandled exception, and time linear in the input.

Each target gets random input shaped to reach its tricky parts: random bytes,
the sample page mutated with LaTeX tokens (nested and unbalanced macros,
math, braces), BibTeX built from its own punctuation, and LaTeX fragments on
their own.  An input fails when it raises anything but ``InputError`` or
takes longer than 1 s per 100 kB (a floor of 0.25 s absorbs the machine's
noise on tiny inputs); exponential backtracking shows up as seconds.

``make fuzz`` runs the same targets far longer (``READINGLIST_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readinglist import importers
from readinglist.latex import latex_fragments_to_text
from readinglist.records import InputError

SAMPLE = (Path(__file__).parent / "data" / "hf-trending-mar11.txt").read_bytes()
EXAMPLES = int(os.environ.get("READINGLIST_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FLOOR_S = 0.25
PER_100KB_S = 1.0


def _bounded(size: int, work: Callable[[], object]) -> None:
    start = time.perf_counter()
    try:
        work()
    except InputError as exc:
        assert "\n" not in str(exc)
    took = time.perf_counter() - start
    allowed = max(FLOOR_S, PER_100KB_S * size / 100_000)
    assert took <= allowed, f"{took:.2f} s for {size} bytes (allowed {allowed:.2f} s)"


LATEX_TOKENS = [
    "\\href{",
    "\\url{",
    "\\textit{",
    "\\textbf{",
    "\\frac{",
    "\\'",
    '\\"',
    "\\",
    "{",
    "}",
    "$",
    "$$",
    "[",
    "]",
    "%",
    "&",
    "~",
    "^^5c",
    "\\input",
    "{it ",
    "x",
    " ",
    "\n",
    "é",
]
latex_text = st.lists(st.sampled_from(LATEX_TOKENS), max_size=400).map("".join)
names = st.sampled_from(["x.txt", "x.bib", "x.md", "x"])


@FUZZ
@given(st.binary(max_size=5000), names)
def test_random_bytes(data: bytes, name: str) -> None:
    _bounded(len(data), lambda: importers.parse(data, name))


@FUZZ
@given(latex_text)
def test_latex_fragments(text: str) -> None:
    _bounded(len(text.encode()), lambda: latex_fragments_to_text(text))
    _bounded(len(text.encode()), lambda: latex_fragments_to_text(text, all_groups=True))


@FUZZ
@given(latex_text, st.integers(min_value=0), st.integers(min_value=0, max_value=300))
def test_sample_page_with_latex_spliced_in(text: str, where: int, cut: int) -> None:
    data = SAMPLE[:20_000]
    at = where % len(data)
    mutated = data[:at] + text.encode() + data[at + cut :]
    _bounded(len(mutated), lambda: importers.parse(mutated, "page.txt"))


@FUZZ
@given(st.binary(max_size=300), st.integers(min_value=0), st.integers(min_value=0, max_value=500))
def test_sample_page_with_bytes_spliced_in(chunk: bytes, where: int, cut: int) -> None:
    at = where % len(SAMPLE)
    mutated = SAMPLE[:at] + chunk + SAMPLE[at + cut :]
    _bounded(len(mutated), lambda: importers.parse(mutated, "page.txt"))


BIB_TOKENS = [
    *'@{}()=,"#%\\~ \n\t',
    "article",
    "inproceedings",
    "string",
    "comment",
    "preamble",
    "crossref",
    "title",
    "author",
    "and",
    "year",
    "keywords",
    "k1",
    "2020",
    "\\'e",
    "{\\",
    "\\href{",
    "$",
]


@FUZZ
@given(st.lists(st.sampled_from(BIB_TOKENS), max_size=500).map("".join))
def test_bibtex_from_its_own_punctuation(body: str) -> None:
    data = ("@article{k0, title={A} }\n@article{k1,\n" + body).encode()
    _bounded(len(data), lambda: importers.parse(data, "refs.bib"))


def test_the_crafted_inputs_of_the_trials_are_linear() -> None:
    # A 707-byte page took 10 s; nested unbalanced macros grew exponentially.
    abstract = "We show $" + "\\href{\\href{" * 12 + "$ and more words to be an abstract. " * 3
    page = f"Mar 11\n\nA title\n\n{abstract}\n".encode()
    _bounded(len(page), lambda: importers.parse(page, "page.txt"))
    nested = "$" + "\\frac{" * 30 + "x$ " + "\\textit{" * 40 + "y" + "}" * 40
    _bounded(len(nested), lambda: latex_fragments_to_text(nested, all_groups=True))
