"""What a search hands back: matching ids, the terms to highlight, index checks.

This module owns :class:`SearchResult` (paper ids, best first, and the terms
and prefixes each field matched), :func:`highlight_spans` (the character
spans of a text that matched, found with the index's own analyzers),
:class:`IndexCheck` (how the index differs from the database) and
:class:`QuerySyntaxError`.  None of them holds a Whoosh object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as wq

from .analysis import _NAME_ANALYZER, _TEXT_ANALYZER


class QuerySyntaxError(ValueError):
    """The user's query cannot be understood; the message is a short hint."""


@dataclass
class SearchResult:
    """Matching paper ids, best first, their total, and the terms used for highlighting.

    ``total`` counts every match even when ``ids`` holds only the top ones.
    """

    ids: list[int]
    total: int = 0
    terms: dict[str, set[str]] = field(default_factory=dict)
    prefixes: dict[str, set[str]] = field(default_factory=dict)
    # The words of a plain multi-word search, in order (indexed form), for
    # ranking papers whose title holds them as a phrase first.
    phrase: tuple[str, ...] = ()
    # Set when the index could not be read (damage): the search found
    # nothing, and the damage is noted for the next writer to repair.
    error: str = ""


@dataclass
class IndexCheck:
    """Differences between the index and the database, and damage found in the index."""

    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    # Papers indexed more than once (each copy is a hit of its own).
    duplicates: list[int] = field(default_factory=list)
    # Segment files that changed or cannot be read (only a full check looks).
    damaged: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra or self.duplicates or self.damaged)


def _collect_terms(q: wq.Query, result: SearchResult) -> None:
    """Gather plain and prefix terms per field, for highlighting."""
    if isinstance(q, wq.Prefix | wq.Wildcard):
        stem = str(q.text).rstrip("*?")
        result.prefixes.setdefault(q.fieldname, set()).add(stem.lower())
        return
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.Term):
        value = q.text.decode("utf-8") if isinstance(q.text, bytes) else str(q.text)
        result.terms.setdefault(q.fieldname, set()).add(value)
        return
    if isinstance(q, wq.Phrase):
        for word in q.words:
            result.terms.setdefault(q.fieldname, set()).add(str(word))
        return
    for child in q.children():
        _collect_terms(child, result)


def plain_words(q: wq.Query) -> tuple[str, ...]:
    """The words of ``a b c`` typed without fields or operators, in order; else ()."""
    if not isinstance(q, wq.And) or len(q.subqueries) < 2:
        return ()
    words: list[str] = []
    for child in q.subqueries:
        # An unfielded word is an OR of one term per default field; its title
        # term is the word as the title analyzer (stemmed) indexes it.
        kids = child.subqueries if isinstance(child, wq.Or) else []
        titles = [k.text for k in kids if isinstance(k, wq.Term) and k.fieldname == "title"]
        if len(titles) != 1 or not all(isinstance(k, wq.Term) for k in kids):
            return ()
        text = titles[0]
        words.append(text.decode("utf-8") if isinstance(text, bytes) else str(text))
    return tuple(words)


def has_phrase(text: str, words: tuple[str, ...]) -> bool:
    """Whether *text* holds *words* (indexed form) one after another."""
    if not words:
        return False
    terms = [tok.text for tok in _TEXT_ANALYZER(text)]
    n = len(words)
    return any(tuple(terms[i : i + n]) == words for i in range(len(terms) - n + 1))


def highlight_spans(text: str, fieldname: str, result: SearchResult) -> list[tuple[int, int]]:
    """Return ``(start, end)`` character spans of *text* that matched the search."""
    terms = result.terms.get(fieldname, set())
    prefixes = result.prefixes.get(fieldname, set())
    if not (terms or prefixes) or not text:
        return []
    analyzer = _TEXT_ANALYZER if fieldname in {"title", "abstract", "note"} else _NAME_ANALYZER
    spans: list[tuple[int, int]] = []
    # Prefixes match the unstemmed word, as Whoosh does at search time; the
    # same word pattern as the index, so "**bold**" is the word "bold".
    if prefixes:
        for tok in _NAME_ANALYZER(text, chars=True):
            if any(tok.text.startswith(p) for p in prefixes):
                spans.append((tok.startchar, tok.endchar))
    if terms:
        for tok in analyzer(text, chars=True, removestops=False):
            if tok.text in terms:
                spans.append((tok.startchar, tok.endchar))
    return sorted(set(spans))
