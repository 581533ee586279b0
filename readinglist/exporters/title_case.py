"""Case protection for BibTeX titles: :func:`protect_title` and its helpers.

Styles may lower-case a title, so words whose capitals must stay
(``YOLOv6``, ``LLMs``, ``TÜLU``, ``GPT-4``) are wrapped in braces word by
word (``{YOLOv6}``, ``{T{\\"U}LU}``), never by double-bracing the whole
title; plain capitalised words are left for the style to sentence-case.
This module owns that rule (:func:`_run_needs_protection`), the fast word
filters in front of it (:func:`_protected_runs`, which the tests check
against the rule applied to every run) and the word pattern :data:`_RUN`.
The text itself is cleaned and escaped by :mod:`.latex_text`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .latex_text import _clean, _clean_ascii, _escape

# The braces protect_title adds, kept apart from the text's own braces.
_OPEN, _CLOSE = "\x03", "\x04"

# A "word" for case protection: a run of letters and digits (Unicode-aware).
_RUN = re.compile(r"[^\W_]+")
# Runs joined by hyphens, dots, slashes, @ or apostrophes form a compound
# ("GPT-4", "YOLOv5-S", "U.S", "A/B", "LLM's"), which is protected as a whole
# when any of its runs needs it: "{GPT-4}" reads better than "{GPT}-4".
_COMPOUND = re.compile(r"[^\W_]+(?:[-./@'’][^\W_]+)*")
_JOINERS = "-./@'’"
# In ASCII text, a protected run always holds a capital that follows a letter
# or digit (YOLOv6, LLMs), is not followed by a lower-case letter (ABSA, A,
# V100) or is followed by lower-case letters and a digit (Llama2).  The
# possessive ``*+`` never gives letters back to look for a digit among them
# (a digit is no letter), which makes scanning every capitalised word cheaper.
_SUSPECT_CAPITAL = re.compile(r"[A-Z](?:(?<=[A-Za-z0-9][A-Z])|(?![a-z])|[a-z]*+[0-9])")
# Punctuation around a word, ignored when deciding if it is an ordinary word.
_SURROUNDING = "\"'()[]<>.,:;!?`“”‘’«»"


def _lone_capital_needs_protection(title: str, start: int) -> bool:
    """Return whether the one-letter capital run at *start* is a name, not a word."""
    if title[start] == "I" or (start > 0 and title[start - 1] != " "):
        # The pronoun or Roman numeral "I"; or a letter inside a token such as
        # "YOLOv5-S", "GPT-J", "pass@N".
        return True
    # A token's first letter ("A" in "A Survey") is an ordinary word unless
    # the token holds several lone capitals: initialisms such as "U.S.", "A/B".
    end = title.find(" ", start)
    token = title[start : end if end >= 0 else len(title)]
    singles = sum(1 for m in _RUN.finditer(token) if len(m.group()) == 1 and m.group().isupper())
    return singles > 1


def _run_needs_protection(title: str, start: int, run: str) -> bool:
    """Return whether a style lower-casing the title would damage *run*."""
    if run.islower():
        # The common case, checked first: "lightweight", "v6".
        return False
    tail = run[1:]
    if tail != tail.lower():
        # A capital after the first letter: YOLOv6, LLMs, TÜLU, MobileMamba.
        return True
    if not run[0].isupper():
        return False
    if len(run) == 1:
        return _lone_capital_needs_protection(title, start)
    # A capital plus digits (Llama2, V100) is a name; an ordinary capitalised
    # word ("Lightweight") is left for the style to sentence-case.
    return not run.isalpha()


def _protected_runs(title: str) -> list[int]:
    """Return the start of each letter/digit run in *title* whose case a style must keep.

    *title* is clean.  Most words are lower case or plainly capitalised, so
    only the words that may hold a protected run are split into runs and
    checked with :func:`_run_needs_protection`: in ASCII titles those with a
    capital that is not word-initial-and-followed-by-lower-case letters
    (found by one regex), elsewhere those that str methods cannot recognise
    as lower case or capitalised.  A word's runs are found once and cached
    (:func:`_word_runs`).  The tests check these shortcuts against the rule
    applied to every run.
    """
    starts: list[int] = []
    if title.isascii():
        end = 0
        for m in _SUSPECT_CAPITAL.finditer(title):
            start = m.start()
            if start < end:
                continue  # in a word already checked
            begin = title.rfind(" ", 0, start) + 1
            end = title.find(" ", start)
            if end < 0:
                end = len(title)
            for offset in _word_runs(title[begin:end]):
                starts.append(begin + offset)
        return starts
    pos = 0
    for word in title.split(" "):
        begin = pos
        pos += len(word) + 1
        core = word.strip(_SURROUNDING)
        if not core:
            continue  # punctuation, or the gap in a double space
        if core.islower() or (core[:1].isupper() and core[1:].islower() and core.isalpha()):
            continue  # "the", "v6", "Lightweight"
        if "-" in core and all(
            part.islower() or (part[:1].isupper() and part[1:].islower() and part.isalpha())
            for part in core.split("-")
        ):
            continue  # "Test-Time", "Aspect-based"
        for offset in _word_runs(word):
            starts.append(begin + offset)
    return starts


# Titles share words ("LLMs", "GPT-4", a field's jargon): cache each word's runs.
@lru_cache(maxsize=16384)
def _word_runs(word: str) -> tuple[int, ...]:
    """Return the offsets in *word*, a token between spaces, of its protected runs.

    Whether a run needs protection depends on nothing outside its token (the
    rule looks back only within the token, whose first letter follows a
    space or the start, and ahead only to the next space), so the answer is
    the same in every title holding the word.
    """
    starts: list[int] = []
    _check_word(word, 0, word, starts)
    return tuple(starts)


def _check_word(title: str, begin: int, word: str, starts: list[int]) -> None:
    """Append to *starts* the protected runs of *word*, found at *begin* in *title*."""
    for m in _RUN.finditer(word):
        if _run_needs_protection(title, begin + m.start(), m.group()):
            starts.append(begin + m.start())


def _compound_start(title: str, start: int) -> int:
    """Return where the compound word holding the run at *start* begins."""
    while start >= 2 and title[start - 1] in _JOINERS and title[start - 2].isalnum():
        start -= 1
        while start >= 1 and title[start - 1].isalnum():
            start -= 1
    return start


def protect_title(title: str) -> str:
    """Return *title* encoded like :func:`encode_text`, with case protected word by word.

    Words whose capitals a style must keep (``YOLOv6``, ``LLMs``, ``TÜLU``,
    ``GPT-4``) are wrapped in braces: ``{YOLOv6}``, ``{T{\\"U}LU}``.  Plain
    capitalised words are left alone so styles can sentence-case them.
    """
    if title.isascii():
        title, odd = _clean_ascii(title, True)
        starts = _protected_runs(title)
        if not starts:
            return _escape(title, odd) if odd else title
    else:
        title = _clean(title)
        starts = _protected_runs(title)
        if not starts:
            return _escape(title)
    # Mark the protected compounds with placeholder braces, escape everything
    # once, then turn the placeholders into real braces.
    parts: list[str] = []
    pos = 0
    for start in starts:
        if start < pos:
            continue  # another run of a compound already protected
        begin = _compound_start(title, start)
        match = _COMPOUND.match(title, begin)
        end = match.end() if match else start + 1
        parts += (title[pos:begin], _OPEN, title[begin:end], _CLOSE)
        pos = end
    parts.append(title[pos:])
    return _escape("".join(parts)).replace(_OPEN, "{").replace(_CLOSE, "}")
