"""A query executor over whole posting lists, scoring with NumPy.

Whoosh's own matchers walk postings one document at a time through a chain
of Python calls; at 100,000 papers a three-word search scored that way took
over a second.  Here each term's posting list is read whole
(:mod:`.postings`), scored with Whoosh's BM25F formula (the same idf,
average field length, ``B`` and ``K1``, so a term's score equals Whoosh's),
and combined as dense per-document arrays: AND, OR, NOT and AND-NOT are
array operations, phrases are checked on bulk-decoded positions.  Prefix
queries expand to the stems of the words the prefix begins
(:mod:`.prefixes`).  Any other node (wildcards, ranges) falls back to
Whoosh's matcher for that node alone, so the query syntax users have keeps
working.  ``tests/test_search_contract.py`` compares the rankings with
Whoosh's exhaustive scoring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import query as wq
from whoosh.scoring import BM25F

from .postings import Floats, Postings, position_keys

__all__ = ["Dense", "Executor"]

Bools = npt.NDArray[np.bool_]
# A node's outcome over every document of the searcher: (matched, score).
Dense = tuple[Bools, Floats]
# Prefixes expanded per searcher before the cache starts over (bounds memory).
_PREFIX_CACHE_LIMIT = 2_000


class Executor:
    """Runs a parsed Whoosh query over one searcher into dense scores.

    One executor lives as long as its searcher; it caches prefix expansions
    (bounded) and per-field lengths.  Scores follow Whoosh's BM25F: a term's
    score is ``boost * bm25(idf, tf, length, avg length, B, K1)``; AND and OR
    add their children's scores, NOT and AND-NOT keep the positive side's.
    """

    def __init__(
        self,
        searcher: Any,
        prefix_terms: Callable[[Any, str, str], list[str]],
        weighting: BM25F | None = None,
    ) -> None:
        self.searcher = searcher
        self.postings = Postings(searcher)
        self.size = self.postings.size
        self.weighting = weighting or BM25F()
        self._prefix_terms = prefix_terms
        self._prefixes: dict[tuple[str, str], list[str]] = {}

    # --- nodes ---------------------------------------------------------------------

    def run(self, q: wq.Query) -> Dense:
        """Matched documents and their scores for *q* (deleted documents excluded)."""
        matched, scores = self._node(q)
        return matched & self.postings.live, scores

    def _empty(self) -> Dense:
        return np.zeros(self.size, dtype=np.bool_), np.zeros(self.size, dtype=np.float64)

    def _node(self, q: wq.Query) -> Dense:
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if isinstance(q, wq.AndNot):
            pos, scores = self._node(q.a)
            neg, _ = self._node(q.b)
            return pos & ~neg, scores
        if isinstance(q, wq.AndMaybe):
            req, scores = self._node(q.a)
            _opt, extra = self._node(q.b)
            return req, scores + extra
        if isinstance(q, wq.Not):
            matched, _ = self._node(q.query)
            return ~matched, np.zeros(self.size, dtype=np.float64)
        if isinstance(q, wq.And | wq.Or) and not isinstance(q, wq.DisjunctionMax):
            return self._compound(q)
        if isinstance(q, wq.Prefix):
            return self._prefix(q)
        if isinstance(q, wq.Phrase) and q.slop == 1 and len(q.words) > 1:
            return self._phrase(q)
        if q is wq.NullQuery or isinstance(q, wq.NullQuery.__class__):
            return self._empty()
        if isinstance(q, wq.Every):
            return np.ones(self.size, dtype=np.bool_), np.ones(self.size, dtype=np.float64)
        return self._fallback(q)

    def _compound(self, q: wq.And | wq.Or) -> Dense:
        children = [self._node(c) for c in q.subqueries]
        if not children:
            return self._empty()
        matched = children[0][0].copy()
        scores = children[0][1].copy()
        for m, s in children[1:]:
            if isinstance(q, wq.And):
                matched &= m
            else:
                matched |= m
            scores += s
        if isinstance(q, wq.Or) and q.minmatch > 1:
            count = np.sum([m.astype(np.int32) for m, _ in children], axis=0)
            matched &= count >= q.minmatch
        if q.boost != 1.0:
            scores *= q.boost
        return matched, scores

    def _term(
        self,
        field: str,
        text: Any,
        boost: float,
        read: tuple[npt.NDArray[np.int64], Floats] | None = None,
    ) -> Dense:
        """One term's matches and BM25 scores (*read*: its postings, if already read)."""
        matched, scores = self._empty()
        schema = self.searcher.schema
        if field not in schema:
            return matched, scores
        fieldobj = schema[field]
        try:
            btext = fieldobj.to_bytes(text)
        except ValueError:
            return matched, scores
        ids, weights = read if read is not None else self.postings.term(field, btext)
        if not len(ids):
            return matched, scores
        matched[ids] = True
        if fieldobj.scorable:
            w = self.weighting
            parent = self.searcher.get_parent()
            idf = parent.idf(field, btext)
            avg = parent.avg_field_length(field) or 1
            b = w._field_B.get(field, w.B)
            k1 = w.K1
            lengths = self.postings.lengths(field)[ids]
            # Whoosh's bm25(), vectorised; a length of 0 is read as 1 as its scorer does.
            lengths[lengths == 0] = 1
            scores[ids] = (
                idf * (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / avg))
            )
        else:
            scores[ids] = weights
        if boost != 1.0:
            scores *= boost
        return matched, scores

    def _prefix(self, q: wq.Prefix) -> Dense:
        key = (q.fieldname, str(q.text))
        terms = self._prefixes.get(key)
        if terms is None:
            if len(self._prefixes) >= _PREFIX_CACHE_LIMIT:
                self._prefixes.clear()
            terms = self._prefixes[key] = self._prefix_terms(self.searcher, *key)
        matched, scores = self._empty()
        for term in terms:
            m, s = self._term(q.fieldname, term, q.boost)
            matched |= m
            scores += s
        return matched, scores

    def _phrase(self, q: wq.Phrase) -> Dense:
        """Documents holding the words next to each other, scored as their terms.

        The documents holding every word are found with arrays; only their
        positions are decoded (in bulk) and checked.
        """
        schema = self.searcher.schema
        if q.fieldname not in schema or not schema[q.fieldname].format.supports("positions"):
            return self._fallback(q)
        fieldobj = schema[q.fieldname]
        matched, scores = np.ones(self.size, dtype=np.bool_), np.zeros(self.size)
        lists = []
        for word in q.words:
            postings = self.postings.term_values(q.fieldname, fieldobj.to_bytes(word))
            m, sc = self._term(q.fieldname, word, q.boost, postings[:2])
            matched &= m
            scores += sc
            if not matched.any():
                return matched, scores
            lists.append(postings)
        # Keys doc << 32 | position: "word k follows word 0" is key0 + k in keys_k.
        keys = []
        for ids, _weights, values in lists:
            keep = np.flatnonzero(matched[ids])
            keys.append(position_keys(ids[keep], [values[i] for i in keep], fieldobj.format))
        starts = keys[0]
        for k, later in enumerate(keys[1:], 1):
            # Keys come sorted (documents, then positions, ascending): a binary
            # search beats a hash-based isin by far.
            wanted = starts + k
            at = np.minimum(np.searchsorted(later, wanted), max(len(later) - 1, 0))
            starts = starts[later[at] == wanted] if len(later) else starts[:0]
        found = np.zeros(self.size, dtype=np.bool_)
        found[np.unique(starts >> 32)] = True
        return found, scores

    def _fallback(self, q: wq.Query) -> Dense:
        """Whoosh's own matcher for node types this executor does not know."""
        matched, scores = self._empty()
        m = q.matcher(self.searcher)
        while m.is_active():
            doc = m.id()
            matched[doc] = True
            scores[doc] = m.score()
            m.next()
        return matched, scores
