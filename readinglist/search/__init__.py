"""The full-text index: everything Whoosh lives behind :class:`SearchIndex`.

The rest of the program sees plain ids, revisions and highlight spans, never a
Whoosh object, so another engine could be swapped in.  The index is derived
from the database: it can always be dropped and rebuilt from it.  Import from
this package, not from its modules:

* :mod:`.index`: :class:`SearchIndex`, the index in a library folder
  (opening and repairing it, writing, comparing, searching);
* :mod:`.results`: :class:`SearchResult`, :func:`highlight_spans`,
  :class:`IndexCheck` and :class:`QuerySyntaxError`;
* :mod:`.analysis`: :class:`WordAnalyzer`, :class:`PositionsFormat`, the
  schema, the default fields and :class:`IndexDoc`;
* :mod:`.bulkwriter` and :mod:`.codec`: the segment writer, built on Whoosh 3
  internals;
* :mod:`.trust` and :mod:`.stamp`: signed tables of contents (an index this
  user's Reading List did not write is never opened), data-only unpickling
  of segment files, the stamp;
* :mod:`.check`: reading a whole index to find damage (``doctor``).

Searching is plain Whoosh.  Writing is not: Whoosh's own writer spends a
chain of Python calls on every token and every posting, which made indexing
the slowest part of an import by far.  :class:`WordAnalyzer` tokenises in one
pass with cached words, :class:`PositionsFormat` stores positions compactly,
and ``_BulkWriter`` builds each segment's posting lists directly; what lands
on disk is an ordinary Whoosh segment (tests/test_search.py compares it
posting by posting with what Whoosh itself writes).

Whoosh pickles the schema (so :class:`WordAnalyzer` and
:class:`PositionsFormat`) and each segment's codec (``_Codec``) into the
index's table of contents.  Those classes declare ``readinglist.search`` as
their module and are imported here, so indexes name them
``readinglist.search.<class>`` wherever the code lives, as they did when this
package was one module: keep these imports, or existing indexes become
unreadable and are rebuilt.  Only the segments' pickle is loaded, and only
after the table of contents' signature is checked; the schema's pickle is
skipped (the program's own schema is used), and every other pickle in an
index is loaded as plain data (see :mod:`.trust`).
"""

from __future__ import annotations

from .analysis import (
    DEFAULT_FIELDS,
    FIELD_ALIASES,
    FIELD_BOOSTS,
    INDEX_SCHEMA_VERSION,
    IndexDoc,
    PositionsFormat,
    WordAnalyzer,
)
from .codec import _Codec as _Codec  # Pickled in indexes as readinglist.search._Codec.
from .index import STAMP_FILE, SearchIndex
from .results import IndexCheck, QuerySyntaxError, SearchResult, has_phrase, highlight_spans
from .trust import install_data_only_unpickling

# Before any index is read: segment files are unpickled as plain data only.
install_data_only_unpickling()

__all__ = [
    "DEFAULT_FIELDS",
    "FIELD_ALIASES",
    "FIELD_BOOSTS",
    "INDEX_SCHEMA_VERSION",
    "STAMP_FILE",
    "IndexCheck",
    "IndexDoc",
    "PositionsFormat",
    "QuerySyntaxError",
    "SearchIndex",
    "SearchResult",
    "WordAnalyzer",
    "has_phrase",
    "highlight_spans",
]
