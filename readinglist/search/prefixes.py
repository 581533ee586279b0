"""What a typed prefix stands for in a stemmed index.

The index holds stems ("effici" for "efficiency"), so a prefix the user is
typing cannot simply be looked up among them: "efficienc" begins no stem.
:func:`prefix_stems` finds the stems of the words a prefix begins, from the
index's own terms and the stemmer, so every keystroke of a word finds at
least what the whole word finds.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["prefix_stems"]

# Word endings a typed prefix may stop inside of.  Porter's stemmer rewrites
# these (efficiency -> effici, organization -> organ), so the stem of a word
# need not begin with what the user has typed so far; the stem of the prefix
# plus the rest of one of these endings finds it.
_ENDINGS = [
    "e",
    "es",
    "ed",
    "ing",
    "ings",
    "s",
    "y",
    "ies",
    "ied",
    "ier",
    "iest",
    "ly",
    "ily",
    "ion",
    "ions",
    "ation",
    "ations",
    "ization",
    "izations",
    "isation",
    "isations",
    "ational",
    "ationally",
    "alization",
    "alizations",
    "ity",
    "ities",
    "ability",
    "abilities",
    "ibility",
    "ibilities",
    "ness",
    "nesses",
    "ment",
    "ments",
    "ence",
    "ences",
    "ency",
    "encies",
    "ance",
    "ances",
    "ancy",
    "ancies",
    "ent",
    "ents",
    "ant",
    "ants",
    "ive",
    "ives",
    "ively",
    "iveness",
    "ize",
    "izes",
    "ized",
    "izing",
    "izer",
    "izers",
    "ise",
    "ises",
    "ised",
    "ising",
    "al",
    "als",
    "ally",
    "alism",
    "alist",
    "alists",
    "ality",
    "ic",
    "ics",
    "ical",
    "ically",
    "icity",
    "er",
    "ers",
    "est",
    "or",
    "ors",
    "ful",
    "fully",
    "fulness",
    "ous",
    "ously",
    "ousness",
    "able",
    "ably",
    "ible",
    "ibly",
    "ism",
    "isms",
    "ist",
    "ists",
    "ate",
    "ates",
    "ated",
    "ating",
    "ator",
    "ators",
    "ative",
    "atively",
    "logy",
    "logies",
    "ular",
    "ularly",
]
_TAILS = sorted({end[i:] for end in _ENDINGS for i in range(len(end))}, key=len)


def prefix_stems(
    prefix: str,
    stem: Callable[[str], str | None],
    expand: Callable[[str], list[str]],
    exists: Callable[[str], bool],
) -> list[str]:
    """The index terms a typed *prefix* stands for: stems of words it begins.

    ``expand(p)`` lists the index's (stemmed) terms that start with ``p``;
    ``exists(t)`` says whether a term is in the index.  A word whose stem
    keeps the typed letters is found by expansion; one whose stem drops or
    rewrites them (``efficienc`` of "efficiency", stem ``effici``) by
    stemming the prefix completed with the rest of a common ending.
    """
    found = dict.fromkeys(expand(prefix))
    tried: set[str] = set()
    for tail in ("", *_TAILS):
        term = stem(prefix + tail)
        # expand() listed every term that begins with the prefix, so only a stem that
        # drops or rewrites typed letters needs a look-up; each look-up is a probe of
        # every index segment's hash table, and the ~200 tails made a first keystroke
        # of a 100,000-paper library spend 30-120 ms on them.
        if not term or term in found or term in tried or term.startswith(prefix):
            continue
        tried.add(term)
        if exists(term):
            found[term] = None
    return list(found)
