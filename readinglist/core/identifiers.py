"""Identifiers and keys folded for duplicate detection and sorting.

Titles are folded (case, accents, punctuation, spacing) so near-identical
titles match; arXiv ids lose their prefix and version; DOIs lose their
resolver prefix.  Pure functions, used by imports and edits alike.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence

from ..people import Person
from ..records import EXTRA_FIELDS

__all__ = [
    "authors_sort",
    "dump_extra",
    "dump_list",
    "load_extra",
    "normalise_arxiv",
    "normalise_doi",
    "normalise_title",
    "title_identifier",
]

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ARXIV_RE = re.compile(
    r"(?:arxiv:)?\s*(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.I
)


def normalise_title(title: str) -> str:
    """Fold case, accents, punctuation and white space so near-identical titles match."""
    decomposed = unicodedata.normalize("NFKD", title)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).split())


def normalise_arxiv(value: str) -> str:
    """Return the bare arXiv id (no ``arXiv:`` prefix, no version), or ""."""
    match = _ARXIV_RE.search(value or "")
    return match.group(1) if match else ""


def normalise_doi(value: str) -> str:
    """Return the DOI lower-cased without resolver prefix, or ""."""
    value = (value or "").strip()
    value = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", value, flags=re.I)
    return value.lower() if value.startswith("10.") else ""


_ARXIV_TITLE = re.compile(
    r"(?:arxiv:\s*|https?://(?:export\.)?arxiv\.org/(?:abs|pdf)/)?"
    r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[a-z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?",
    re.I,
)


def title_identifier(title: str) -> tuple[str, str]:
    """(arXiv id, DOI) when *title* is nothing but an identifier, else ("", "").

    Papers imported from a list of ids carry the id as their title until a
    fill gives them their real one.
    """
    text = title.strip()
    match = _ARXIV_TITLE.fullmatch(text)
    if match:
        return normalise_arxiv(match.group(1)), ""
    if text and not any(c.isspace() for c in text):
        return "", normalise_doi(text)
    return "", ""


def dump_list(values: Sequence[str]) -> str:
    """The JSON form of a list column (authors, links)."""
    return json.dumps(list(values), ensure_ascii=False)


def dump_extra(extra: Mapping[str, str]) -> str:
    """The JSON of the ``extra`` column: known fields with a value, sorted; '' when none."""
    kept = {k: v for k, v in sorted(extra.items()) if k in EXTRA_FIELDS and v.strip()}
    return json.dumps(kept, ensure_ascii=False) if kept else ""


def load_extra(value: str | None) -> tuple[tuple[str, str], ...]:
    """The (name, value) pairs of an ``extra`` column value."""
    if not value:
        return ()
    try:
        data = json.loads(value)
    except ValueError:
        return ()
    if not isinstance(data, dict):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in data.items() if k in EXTRA_FIELDS))


def authors_sort(authors: Sequence[Person]) -> str:
    """The author sort key: first author's family name, then given name and prefix, folded.

    "van Gogh" sorts under G, as in reference lists.
    """
    if not authors:
        return ""
    return normalise_title(authors[0].sort_key())
