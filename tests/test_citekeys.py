"""Tests for citation keys: the Better BibTeX scheme, ASCII folding, uniqueness, validation."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readinglist.citekeys import (
    KEY_PUNCTUATION,
    base_citekey,
    family_name,
    fold_ascii,
    is_valid_citekey,
    legacy_citekey,
    make_citekey,
    make_unique,
    safe_citekey,
)

# --- the default scheme ---------------------------------------------------------------


def test_better_bibtex_example() -> None:
    key = make_citekey(["Ashish Vaswani", "Noam Shazeer"], "Attention Is All You Need", 2017, set())
    assert key == "vaswaniAttentionAllYou2017"


def test_no_authors_no_year() -> None:
    title = "MobileMamba: Lightweight Multi-Receptive Visual Mamba Network"
    assert make_citekey([], title, None, set()) == "MobileMambaLightweightMultiReceptive"


def test_missing_title_and_year_are_left_out() -> None:
    assert make_citekey(["Ashish Vaswani"], "", None, set()) == "vaswani"
    assert make_citekey(["Ashish Vaswani"], "", 2017, set()) == "vaswani2017"
    assert make_citekey([], "", 2017, set()) == "2017"


def test_everything_empty_gives_paper() -> None:
    assert make_citekey([], "", None, set()) == "paper"
    assert make_citekey(["", "  "], " ... ", None, set()) == "paper"


def test_stopwords_are_skipped() -> None:
    title = "On the Robustness of Aspect-based Sentiment Analysis: Rethinking Model, Data"
    # Hyphenated words count as one word, their hyphen dropped.
    assert base_citekey([], title, None) == "RobustnessAspectbasedSentiment"
    assert base_citekey([], "Can Models Learn Skill Composition from Examples?", None) == (
        "CanModelsLearn"
    )


def test_fewer_than_three_significant_words() -> None:
    assert base_citekey(["Li Chen"], "The Pile", 2020) == "chenPile2020"


def test_title_words_keep_inner_capitals() -> None:
    # Only the first letter is changed, as Better BibTeX does.
    title = "YOLOv6: A Single-Stage Object Detection Framework for Industrial Applications"
    assert base_citekey([], title, 2022) == "YOLOv6SingleStageObject2022"
    assert base_citekey([], "large language models", None) == "LargeLanguageModels"


def test_title_punctuation_and_specials_are_dropped() -> None:
    title = '"Hello" #1 (50%) = {x}, y\'s ~z \\emph{w}'
    key = base_citekey([], title, None)
    assert key == "Hello150"  # three words: "Hello", "1", "50"
    assert re.fullmatch(r"[A-Za-z0-9]+", key)


# --- family names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("Ashish Vaswani", "Vaswani"),
        ("Vaswani, Ashish", "Vaswani"),
        ("Ludwig van Beethoven", "Beethoven"),
        ("van Beethoven, Ludwig", "Beethoven"),
        ("Jean-Pierre de la Fontaine", "Fontaine"),
        ("King, Jr., Martin Luther", "King"),
        ("Plato", "Plato"),
        ("  Ashish \n Vaswani ", "Vaswani"),
        ("Li Chen et al.", "Chen"),
        ("{Barnes and Noble}", "Barnes and Noble"),
        ("Jürgen Müller-Lüdenscheidt", "Müller-Lüdenscheidt"),
    ],
)
def test_family_name(name: str, family: str) -> None:
    assert family_name(name) == family


@pytest.mark.parametrize("name", ["Foo {", "Smith, Jones, A, B", "}{", ",", "a,", "\\"])
def test_family_name_of_odd_names_does_not_raise(name: str) -> None:
    assert isinstance(family_name(name), str)


def test_author_forms_give_the_same_key() -> None:
    title = "Attention Is All You Need"
    keys = {
        make_citekey([name], title, 2017, set())
        for name in ("Ashish Vaswani", "Vaswani, Ashish", "A. Vaswani", "Vaswani, A.")
    }
    assert keys == {"vaswaniAttentionAllYou2017"}


def test_particles_are_not_part_of_the_key() -> None:
    assert make_citekey(["Ludwig van Beethoven"], "Symphony", 1808, set()) == (
        "beethovenSymphony1808"
    )
    assert make_citekey(["Jean-Pierre de la Fontaine"], "Fables", 1668, set()) == (
        "fontaineFables1668"
    )


def test_only_the_first_usable_author_counts() -> None:
    assert base_citekey(["", "Noam Shazeer", "Ashish Vaswani"], "", None) == "shazeer"


# --- ASCII folding --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("TÜLU", "TULU"),
        ("Müller", "Muller"),
        ("Strauß", "Strauss"),
        ("Ærø", "AEro"),
        ("Łukasz Øster", "Lukasz Oster"),
        ("Ðorđe", "Dorde"),
        ("ﬁne", "fine"),  # NFKD splits the ligature
        ("北京 Beijing", " Beijing"),
        ("plain", "plain"),
    ],
)
def test_fold_ascii(text: str, folded: str) -> None:
    assert fold_ascii(text) == folded


def test_unicode_in_names_and_titles_is_folded() -> None:
    key = make_citekey(["Jürgen Müller"], "TÜLU 3: Pushing Frontiers", 2024, set())
    assert key == "mullerTULU3Pushing2024"
    assert make_citekey(["Johann Strauß"], "Walzer", None, set()) == "straussWalzer"


def test_author_without_ascii_letters_is_left_out() -> None:
    assert make_citekey(["张伟"], "Deep Learning", 2020, set()) == "DeepLearning2020"


# --- uniqueness -----------------------------------------------------------------------


def test_clash_appends_letters() -> None:
    taken = {"vaswaniattentionallyou2017"}
    assert make_citekey(["Ashish Vaswani"], "Attention Is All You Need", 2017, taken) == (
        "vaswaniAttentionAllYou2017a"
    )
    taken |= {"vaswaniattentionallyou2017a", "vaswaniattentionallyou2017b"}
    assert make_citekey(["Ashish Vaswani"], "Attention Is All You Need", 2017, taken) == (
        "vaswaniAttentionAllYou2017c"
    )


def test_uniqueness_is_case_insensitive() -> None:
    # BibTeX treats Smith2020 and smith2020 as the same entry.
    taken = {"mobilemambalightweightmultireceptive"}
    key = make_citekey([], "MobileMamba: Lightweight Multi-Receptive", None, taken)
    assert key == "MobileMambaLightweightMultiReceptivea"


def test_suffixes_run_a_to_z_then_aa_ab() -> None:
    taken = {"paper"}
    keys = []
    for _ in range(30):
        key = make_citekey([], "", None, taken)
        keys.append(key)
        taken.add(key.lower())
    assert keys[:3] == ["papera", "paperb", "paperc"]
    assert keys[25] == "paperz"
    assert keys[26:30] == ["paperaa", "paperab", "paperac", "paperad"]


def test_suffixes_after_zz() -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"
    taken = {"paper"} | {f"paper{c}" for c in letters}
    taken |= {f"paper{a}{b}" for a in letters for b in letters}
    assert make_citekey([], "", None, taken) == "paperaaa"


def test_taken_is_not_mutated() -> None:
    taken = {"paper"}
    make_citekey([], "", None, taken)
    assert taken == {"paper"}


# --- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "vaswani2017",
        "Vaswani:2017",
        "a.b-c_d",
        "x",
        "smith+jones/2020",
        "DBLP:conf/nips/VaswaniSPUJGKP17",
        "2020ApJ...900..100S",
        "10.1145/3292500.3330701",
    ],
)
def test_valid_keys(key: str) -> None:
    assert is_valid_citekey(key)
    assert safe_citekey(key) == key
    assert legacy_citekey(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        " ",
        "a b",
        "a\tb",
        "a\nb",
        "Müller2020",
        "a\x00b",
        "a\x7fb",
        "a\u00a0b",
        "a\n",
        # What TeX, BibTeX or biber read as markup (^^5c is a backslash to TeX).
        *(f"a{c}b" for c in "\"#%'(),={}~\\^$&@[]!?;*<>|`"),
        "x^^5cinput^^7c^^22touch^^20PWNED^^22",
    ],
)
def test_invalid_keys(key: str) -> None:
    assert not is_valid_citekey(key)


def test_only_letters_digits_and_the_documented_punctuation_are_valid() -> None:
    valid = {chr(c) for c in range(0x110000) if is_valid_citekey(chr(c))}
    letters_digits = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    assert valid == letters_digits | set(KEY_PUNCTUATION)
    assert set(KEY_PUNCTUATION) == set("-_:./+")


# --- unsafe keys: imported and stored ------------------------------------------------


@pytest.mark.parametrize(
    ("key", "safe"),
    [
        ("x^^5cinput^^7c^^22touch^^20PWNED^^22", "x5cinput7c22touch20PWNED22"),
        ("Smith & Jones 2020", "SmithJones2020"),
        ("Müller{2020}", "Muller2020"),
        ("a\\input|b", "ainputb"),
        ("%#~", ""),
        ("中文", ""),
    ],
)
def test_safe_citekey_keeps_only_safe_characters(key: str, safe: str) -> None:
    assert safe_citekey(key) == safe


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_safe_citekey_is_valid_or_empty(key: str) -> None:
    safe = safe_citekey(key)
    assert safe == "" or is_valid_citekey(safe)
    assert "^" not in safe and "\\" not in safe


def test_legacy_key_is_stable_and_distinct() -> None:
    key = legacy_citekey("smith^2020")
    assert re.fullmatch(r"smith2020-[0-9a-f]{6}", key)
    # A function of the stored key alone: every export writes the same key.
    assert legacy_citekey("smith^2020") == key
    # It never takes the plain key another paper may have.
    assert key != "smith2020" and legacy_citekey("smith&2020") != key
    assert re.fullmatch(r"key-[0-9a-f]{6}", legacy_citekey("{}"))


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1))
def test_legacy_keys_are_valid(key: str) -> None:
    assert is_valid_citekey(legacy_citekey(key))


def test_make_unique_appends_letters() -> None:
    assert make_unique("Key", set()) == "Key"
    assert make_unique("Key", {"key"}) == "Keya"
    assert make_unique("Key", {"key", "keya"}) == "Keyb"


# --- properties -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    authors=st.lists(st.text(max_size=30), max_size=3),
    title=st.text(max_size=80),
    year=st.none() | st.integers(min_value=0, max_value=3000),
    taken=st.sets(st.text(alphabet="abcpaper", max_size=8)),
)
def test_generated_keys_are_valid_and_unique(
    authors: list[str], title: str, year: int | None, taken: set[str]
) -> None:
    before = set(taken)
    key = make_citekey(authors, title, year, taken)
    assert is_valid_citekey(key)
    assert re.fullmatch(r"[A-Za-z0-9]+", key)
    assert key.lower() not in taken
    assert taken == before


@settings(max_examples=100, deadline=None)
@given(title=st.text(max_size=60), count=st.integers(min_value=1, max_value=40))
def test_repeated_generation_never_repeats_a_key(title: str, count: int) -> None:
    taken: set[str] = set()
    for _ in range(count):
        key = make_citekey(["Ada Lovelace"], title, 1843, taken)
        assert key.lower() not in taken
        taken.add(key.lower())
    assert len(taken) == count
