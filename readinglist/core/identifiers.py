"""Identifiers and keys folded for duplicate detection and sorting.

Titles are folded (case, accents, punctuation, spacing) so near-identical
titles match; arXiv ids lose their prefix and version; DOIs lose their
resolver prefix.  Pure functions, used by imports and edits alike.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence

__all__ = ["authors_sort", "dump_list", "normalise_arxiv", "normalise_doi", "normalise_title"]

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


def dump_list(values: Sequence[str]) -> str:
    """The JSON form of a list column (authors, links)."""
    return json.dumps(list(values), ensure_ascii=False)


def authors_sort(authors: Sequence[str]) -> str:
    """The author sort key: first author's family name, then the full name, folded."""
    if not authors:
        return ""
    first = authors[0]
    family = first.split(",")[0] if "," in first else first.split()[-1] if first.split() else ""
    return normalise_title(f"{family} {first}")
