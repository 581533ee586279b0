"""The query/filter value object shared by the CLI, the GUI and the exporters."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

SortKey = Literal[
    "relevance", "added", "title", "authors", "year", "starred", "read", "citekey", "updated"
]
SORT_KEYS: tuple[str, ...] = (
    "relevance",
    "added",
    "title",
    "authors",
    "year",
    "starred",
    "read",
    "citekey",
    "updated",
)


@dataclass(frozen=True)
class Query:
    """What to show: search text, filters and sort order.

    ``text`` uses the index's syntax (``title:mamba``, ``tag:to-read``,
    phrases, ``distill*``, AND/OR/NOT).  ``tags`` must all be present.
    ``starred``/``read`` of ``None`` mean "either".  ``sort="relevance"`` only
    differs from "added" when there is search text.
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
