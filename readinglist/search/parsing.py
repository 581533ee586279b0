"""Reading what the user typed into a Whoosh query, or a one-line hint why not.

:class:`QueryParser` owns the query syntax: words searched in the default
fields with their boosts, the field names users type (``author:``,
``tag:``, ``key:``...), phrases, prefixes, AND/OR/NOT and parentheses.  It
checks the usual mistakes first (an unknown field, an unclosed quote,
unbalanced parentheses) so the message says what to fix, and shapes the
parsed query for the executor.
"""

from __future__ import annotations

import re
from typing import Any

from whoosh import qparser
from whoosh import query as wq

from .analysis import DEFAULT_FIELDS, FIELD_ALIASES, FIELD_BOOSTS
from .results import QuerySyntaxError

__all__ = ["QueryParser"]

_FIELD_RE = re.compile(r"(?<![\w\"])([A-Za-z_]+):")


class QueryParser:
    """Parses search text against one index schema."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self._parser = qparser.MultifieldParser(
            list(DEFAULT_FIELDS), schema, fieldboosts=FIELD_BOOSTS
        )
        self._parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
        self._known = set(schema.names()) | {a for v in FIELD_ALIASES.values() for a in v}

    def parse(self, text: str) -> wq.Query:
        """Parse the user's query, raising :class:`QuerySyntaxError` with a hint."""
        for name in _FIELD_RE.findall(text):
            if name.lower() not in self._known and name.lower() not in {"http", "https", "doi"}:
                fields_hint = ", ".join(sorted(["title", "abstract", "author", "tag", "note"]))
                raise QuerySyntaxError(f"unknown field '{name}:' (try {fields_hint})")
        if text.count('"') % 2:
            raise QuerySyntaxError("a phrase is missing its closing quote")
        if text.count("(") != text.count(")"):
            raise QuerySyntaxError("unbalanced parentheses")
        try:
            parsed: wq.Query = self._parser.parse(text)
        except Exception as exc:  # Whoosh's parser raises assorted errors.
            raise QuerySyntaxError(f"cannot read this query ({exc})") from exc
        return self._phrases_to_terms(_narrow_prefixes(parsed))

    def _phrases_to_terms(self, q: wq.Query) -> wq.Query:
        """Turn phrases on fields without positions (tags, citekey) into whole terms.

        A phrase typed without a field is tried on every default field, and
        Whoosh refuses a phrase on a field that stores no positions; for a
        tag, the phrase's words joined by a space are the whole tag.
        """
        if isinstance(q, wq.Phrase):
            fmt = self.schema[q.fieldname].format
            if not fmt.supports("positions"):
                return wq.Term(q.fieldname, " ".join(str(w) for w in q.words))
            return q
        result: wq.Query = q.apply(self._phrases_to_terms)
        return result


# Fields where a word typed without a field is not expanded as a prefix: each
# citation key and link is a term of its own, so "lang*" would expand to
# thousands of one-paper terms that only repeat what the title holds.
# "key:lang*" and "link:arxiv*" still expand.
_NO_UNFIELDED_PREFIX = frozenset({"citekey", "links"})


def _narrow_prefixes(q: wq.Query) -> wq.Query:
    """Drop the citekey/link prefixes the parser adds for an unfielded ``word*``."""
    if isinstance(q, wq.Or):
        kids = q.subqueries
        prefixes = [k for k in kids if isinstance(k, wq.Prefix)]
        fields = {k.fieldname for k in prefixes}
        texts = {k.text for k in prefixes}
        if len(prefixes) == len(kids) and set(DEFAULT_FIELDS) <= fields and len(texts) == 1:
            kept = [k for k in kids if k.fieldname not in _NO_UNFIELDED_PREFIX]
            return q.__class__(kept, boost=q.boost)
    result: wq.Query = q.apply(_narrow_prefixes)
    return result
