"""The query value object and every rule about composing and sorting it.

Both clients build what they show through :func:`compose`: the view chosen
(a sidebar entry, or ``--trash`` on the command line), the words typed, the
quick filters (tag, starred, unread) and the sort the user picked.  The
default sort lives here once, in :func:`effective_sort`: best match first
while searching, else the column the user chose, else the feed position
(the newest import first, each import in its file's order).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, get_args

SortKey = Literal[
    "relevance",
    "feed",
    "added",
    "title",
    "authors",
    "year",
    "starred",
    "read",
    "citekey",
    "updated",
]
# The same keys at run time, read from the type so the two cannot drift.
SORT_KEYS: tuple[str, ...] = get_args(SortKey)


@dataclass(frozen=True)
class Query:
    """What to show: search text, filters and sort order.

    ``text`` uses the index's syntax (``title:mamba``, ``tag:to-read``,
    phrases, ``distill*``, AND/OR/NOT).  ``tags`` must all be present.
    ``starred``/``read`` of ``None`` mean "either".  ``sort="relevance"`` only
    differs from the default, "feed", when there is search text.  ``"feed"``
    descending is the feed position: the newest import first, each import's
    papers in the order its file listed them (ascending reverses both).
    """

    text: str = ""
    tags: tuple[str, ...] = ()
    starred: bool | None = None
    read: bool | None = None
    batch_id: int | None = None
    ids: tuple[int, ...] | None = None
    trashed: bool = False
    added_since: datetime | None = None
    sort: str = "relevance"
    descending: bool = True
    tags_any: tuple[str, ...] = field(default=())

    def with_(self, **changes: Any) -> Query:
        """Return a copy with *changes* applied."""
        return replace(self, **changes)

    def to_json(self) -> str:
        """Serialise the filters (used by saved searches)."""
        data = asdict(self)
        data["added_since"] = self.added_since.isoformat() if self.added_since else None
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Query:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("saved search is not an object")
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("tags", "tags_any"):
            if key in known:
                known[key] = tuple(known[key] or ())
        if known.get("ids") is not None:
            known["ids"] = tuple(known["ids"])
        if known.get("added_since"):
            known["added_since"] = datetime.fromisoformat(known["added_since"])
        return cls(**known)


# The sort when the user has chosen none and there is no search text: the
# feed position, so a page imported reads as it did on the page (its first
# paper first) while the newest import stays on top.  "added" alone (newest
# first, ties newest id first) listed each import's papers last to first.
DEFAULT_SORT = "feed"
# Sorts whose natural first direction is high-to-low (newest, best, starred
# first); the others read A to Z first.
DESCENDING_FIRST = frozenset({"relevance", "feed", "added", "updated", "year", "starred"})


def first_direction(key: str) -> bool:
    """Whether choosing sort *key* should start descending (a header's first click)."""
    return key in DESCENDING_FIRST


def effective_sort(text: str, key: str | None, descending: bool = True) -> tuple[str, bool]:
    """Return the ``(sort key, descending)`` a query should use.

    *key* is what the user chose (a column, or ``None`` for "no choice").
    While searching with no choice, the best matches come first; with no
    search and no choice (or a relevance choice, which means nothing without
    text), the feed position: the newest import first, each import in the
    order of its file.
    """
    if key is None or key not in SORT_KEYS:
        return ("relevance", True) if text.strip() else (DEFAULT_SORT, True)
    if key == "relevance" and not text.strip():
        return DEFAULT_SORT, True
    return key, descending


def combine_text(*parts: str) -> str:
    """AND together search texts, each kept whole by parentheses."""
    kept = [p.strip() for p in parts if p and p.strip()]
    if len(kept) <= 1:
        return kept[0] if kept else ""
    return " AND ".join(f"({p})" for p in kept)


def compose(
    view: Query | None = None,
    text: str = "",
    *,
    tags: Sequence[str] = (),
    starred: bool | None = None,
    read: bool | None = None,
    sort: str | None = None,
    descending: bool = True,
) -> Query:
    """Build the query a client shows: view, typed text, quick filters and sort.

    *view* is the chosen collection (all papers, a tag, an import, a saved
    search, the trash); its own text and tags are kept and the typed *text*
    and *tags* narrow it further.  *starred*/*read* of ``None`` keep the
    view's setting.  *sort* is the user's choice or ``None`` for the default
    (:func:`effective_sort`).
    """
    view = view or Query()
    combined = combine_text(view.text, text)
    wanted_tags = tuple(dict.fromkeys((*view.tags, *(t for t in tags if t))))
    key, desc = effective_sort(combined, sort, descending)
    return view.with_(
        text=combined,
        tags=wanted_tags,
        starred=view.starred if starred is None else starred,
        read=view.read if read is None else read,
        sort=key,
        descending=desc,
    )


# The last word of a search box's text: an optional field, then the word.
_LAST_WORD = re.compile(r"(?:^|(?<=[\s(]))(?:[A-Za-z_]+:)?(?P<word>[^\s\"()*?:]+)$")
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# A shorter last word is taken as typed: "a*" would match most of the library.
MIN_PREFIX = 2


def as_you_type(text: str) -> str:
    """The search text with its last word matched as a prefix, as while typing.

    Every keystroke then finds at least what the whole word will find:
    ``"language mod"`` searches ``language mod*``.  Left alone: text ending
    in a space (the word is finished), inside an open phrase, an operator, a
    word after NOT, a word already ending in ``*``, and words shorter than
    :data:`MIN_PREFIX`.
    """
    if not text or text[-1].isspace() or text.count('"') % 2:
        return text
    match = _LAST_WORD.search(text)
    if match is None:
        return text
    word = match.group("word")
    if word in _OPERATORS or len(word) < MIN_PREFIX or not word[-1].isalnum():
        return text
    # "NOT lang" must not exclude every "lang…" word while the user types.
    before = text[: match.start()].split()
    if before and before[-1] == "NOT":
        return text
    return text + "*"
