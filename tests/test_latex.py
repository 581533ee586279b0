"""Tests for readinglist.latex: LaTeX fragments in plain text → Unicode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readinglist.latex import latex_fragments_to_text

SAMPLE = Path(__file__).parent / "data" / "hf-trending-mar11.txt"

FUZZ = settings(max_examples=200, deadline=None, database=None)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"we introduce T\"ULU 3, a family", "we introduce TÜLU 3, a family"),
        (r"drops by at least 50\%).", "drops by at least 50%)."),
        (r"soon on \url{https://github.com/a/b-c_d}.", "soon on https://github.com/a/b-c_d."),
        (r"\url{https://x.org/a%20b~c#d}", "https://x.org/a%20b~c#d"),
        (r"remains \textit{agnostic to it}. Next", "remains agnostic to it. Next"),
        (r"a \textbf{bold} move", "a bold move"),
        (r"can be {it misaligned} with", "can be misaligned with"),
        (r"accuracy {it decreases} with", "accuracy decreases with"),
        (r"{\it x} and {\bf y} and {\em z}", "x and y and z"),
        (r"caf\'e and na\"{i}ve", "café and naïve"),
        (r"Stra\ss e", "Straße"),
        (r"\LaTeX is fine", "LaTeX is fine"),
        (r"$\alpha$-divergence", "α-divergence"),
        (r"model {p}_{theta}(Y|X) knows", "model p_theta(Y|X) knows"),
        (r"{T{\"U}LU} and {LLMs}", "TÜLU and LLMs"),
        (r"\href{https://x.org}{our site}", "our site (https://x.org)"),
        (r"\textbf{50% of} all", "50% of all"),
    ],
)
def test_fragments(source: str, expected: str) -> None:
    assert latex_fragments_to_text(source) == expected


@pytest.mark.parametrize(
    "text",
    [
        "MobileMamba achieves up to 83.6% on Top-1, surpassing existing methods.",
        "at the same scale~(YOLOv5-S, YOLOX-S, and PPYOLOE-S).",
        "emergence phenomena (Arora & Goyal, 2023). This work",
        "compositional generalization -- the capacity -- has ``quotes''",
        "costs $5 and $10, a set {1, 2, 3} and {x | x > 0}",
        r"an unknown \foo{bar} command and a path C:\Users\me",
        r"unbalanced { brace and \textit{unclosed",
        "a lone backslash at the end \\",
    ],
)
def test_plain_text_survives(text: str) -> None:
    assert latex_fragments_to_text(text) == text


def test_fast_path_returns_same_object() -> None:
    text = "No LaTeX here: 83.6% & ~ stay."
    assert latex_fragments_to_text(text) is text


def test_all_groups_treats_every_brace_as_grouping() -> None:
    assert latex_fragments_to_text("{Whole title} and {x y}", all_groups=True) == (
        "Whole title and x y"
    )
    # Default: a group with spaces and no command may be literal text.
    assert latex_fragments_to_text("{Whole title}") == "{Whole title}"


def _sample_abstracts() -> list[str]:
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    return [line for line in lines if len(line) > 300]


def test_sample_keeps_text_after_every_percent() -> None:
    abstracts = _sample_abstracts()
    assert len(abstracts) == 101
    checked = 0
    for raw in abstracts:
        decoded = latex_fragments_to_text(raw)
        # Every sentence stays: only "{it" markers may disappear as words.
        assert len(decoded.split()) >= len(raw.split()) - raw.count("{it ")
        for tail in raw.split("%")[1:]:
            # The plain text right after each % must still be in the output.
            snippet = re.split(r"[\\{}$]", tail)[0][:25]
            assert snippet in decoded
            checked += 1
    assert checked > 20


def test_sample_fragments_decoded() -> None:
    decoded = [latex_fragments_to_text(raw) for raw in _sample_abstracts()]
    joined = "\n".join(decoded)
    assert "TÜLU 3" in joined
    assert 'T\\"ULU' not in joined
    assert "\\%" not in joined
    assert "\\url" not in joined
    assert "{it " not in joined
    assert "\\textit" not in joined
    assert "scale~(YOLOv5-S" in joined
    assert "Arora & Goyal" in joined


plain_chars = st.characters(exclude_characters="\\{}$", exclude_categories=["Cs"])


@FUZZ
@given(st.text())
def test_never_raises(text: str) -> None:
    assert isinstance(latex_fragments_to_text(text), str)
    assert isinstance(latex_fragments_to_text(text, all_groups=True), str)


@FUZZ
@given(st.text(alphabet=plain_chars))
def test_text_without_markup_is_unchanged(text: str) -> None:
    assert latex_fragments_to_text(text) == text


@FUZZ
@given(
    st.text(alphabet=plain_chars),
    st.sampled_from([(r"50\%", "50%"), (r"T\"ULU", "TÜLU"), (r"\url{a.org/x}", "a.org/x")]),
    st.text(alphabet=plain_chars),
)
def test_fragment_between_plain_text(before: str, fragment: tuple[str, str], after: str) -> None:
    source, expected = fragment
    # Nothing around the fragment changes, whatever it contains (%, &, ~ ...).
    assert latex_fragments_to_text(before + source + " " + after) == (
        before + expected + " " + after
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Abstract $" + "\\href{\\href{" * 8 + "$ end", "unbalanced braces"),
        ("See $\\mathbf{" * 3 + "x$", "unbalanced braces"),
        ("\\textit{" * 9 + "deep" + "}" * 9, "nested deeper"),
        ("{" + "\\'e" * 50 + "}", "more than 40 commands"),
    ],
)
def test_fragments_beyond_the_bounds_are_kept_as_typed_and_reported(
    text: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pylatexenc's parser backtracks exponentially on such input: it must never see it.
    import readinglist.latex as latex

    seen: list[str] = []
    real = latex._convert

    def spy(fragment: str) -> str:
        seen.append(fragment)
        return real(fragment)

    monkeypatch.setattr(latex, "_convert", spy)
    kept: list[str] = []
    out = latex_fragments_to_text(text, all_groups=True, kept=kept)
    assert kept and why in kept[0]
    assert all(latex._too_complex(f) == "" for f in seen)
    # Nothing is lost: the words of the text are all still there.
    for word in ("Abstract", "end", "See", "deep"):
        if word in text:
            assert word in out


def test_fragments_within_the_bounds_are_still_decoded() -> None:
    kept: list[str] = []
    text = 'T\\"ULU 3 with \\textit{\\textbf{nested} words} and $\\alpha$'
    assert latex_fragments_to_text(text, kept=kept) == "TÜLU 3 with nested words and α"
    assert kept == []
