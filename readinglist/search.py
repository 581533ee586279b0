"""The full-text index: everything Whoosh lives behind :class:`SearchIndex`.

The rest of the program sees plain ids, revisions and highlight spans, never a
Whoosh object, so another engine could be swapped in.  The index is derived
from the database: it can always be dropped and rebuilt from it.
"""

from __future__ import annotations

import gc
import json
import re
import shutil
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import fields, index, qparser
from whoosh import query as wq
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.writing import IndexWriter

# Bump when the schema below changes: an index built with another version is rebuilt.
INDEX_SCHEMA_VERSION = 1
STAMP_FILE = "readinglist-stamp.json"

# Whoosh's default token pattern keeps "*" inside words (for its own query
# syntax), which would index Markdown's "**bold**" as one odd token.
_WORD = r"\w+(?:\.?\w+)*"
_TEXT_ANALYZER = StemmingAnalyzer(expression=_WORD, cachesize=200_000)
_NAME_ANALYZER = RegexTokenizer(_WORD) | LowercaseFilter()

# Fields searched when the query names none, with their weights.
DEFAULT_FIELDS = ("title", "abstract", "authors", "tags", "note", "links", "citekey")
FIELD_BOOSTS = {"title": 3.0, "authors": 2.0, "tags": 2.0, "citekey": 2.0}
# Friendly names users type, mapped to the schema's fields.
FIELD_ALIASES = {
    "tags": ["tag"],
    "authors": ["author", "by"],
    "links": ["link", "url"],
    "note": ["notes", "annotation"],
    "citekey": ["key"],
}


def _schema() -> fields.Schema:
    return fields.Schema(
        pid=fields.NUMERIC(int, bits=64, stored=True, unique=True, sortable=True),
        rev=fields.NUMERIC(int, bits=64, stored=True, sortable=True),
        title=fields.TEXT(analyzer=_TEXT_ANALYZER, phrase=True),
        abstract=fields.TEXT(analyzer=_TEXT_ANALYZER, phrase=True),
        authors=fields.TEXT(analyzer=_NAME_ANALYZER, phrase=True),
        tags=fields.KEYWORD(lowercase=True, commas=True, scorable=True),
        note=fields.TEXT(analyzer=_TEXT_ANALYZER, phrase=True),
        links=fields.TEXT(analyzer=_NAME_ANALYZER, phrase=True),
        citekey=fields.ID(),
    )


@dataclass(frozen=True)
class IndexDoc:
    """What the index needs of one paper."""

    id: int
    revision: int
    title: str
    abstract: str = ""
    authors: Sequence[str] = ()
    tags: Sequence[str] = ()
    note: str = ""
    links: Sequence[str] = ()
    citekey: str = ""


class QuerySyntaxError(ValueError):
    """The user's query cannot be understood; the message is a short hint."""


@dataclass
class SearchResult:
    """Matching paper ids, best first, and the terms used for highlighting."""

    ids: list[int]
    terms: dict[str, set[str]] = field(default_factory=dict)
    prefixes: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class IndexCheck:
    """Differences between the index and the database."""

    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


_FIELD_RE = re.compile(r"(?<![\w\"])([A-Za-z_]+):")


class SearchIndex:
    """The Whoosh index in a folder of the library.

    Opening never fails on a damaged index: a missing, unreadable or outdated
    index folder is moved aside and recreated empty, and :attr:`needs_rebuild`
    tells the owner to refill it from the database.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.needs_rebuild = False
        self.repairs: list[str] = []
        self._ix = self._open()
        self._parser = self._make_parser()

    # --- opening -----------------------------------------------------------

    def _open(self) -> Any:
        # A damaged index makes Whoosh leave files open when it gives up.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                return self._open_or_create()
            finally:
                gc.collect()

    def _open_or_create(self) -> Any:
        stamp = self._read_stamp()
        try:
            exists = index.exists_in(str(self.folder))
        except Exception as exc:  # A garbled table of contents fails here.
            self._move_aside(f"unreadable ({type(exc).__name__}: {exc})")
            return self._create()
        if exists:
            if stamp.get("schema") == INDEX_SCHEMA_VERSION:
                try:
                    ix = index.open_dir(str(self.folder))
                    # Touch the reader: a truncated segment fails here, not at open.
                    with ix.reader() as reader:
                        reader.doc_count()
                    return ix
                except Exception as exc:  # Whoosh raises many kinds on damage.
                    self._move_aside(f"unreadable ({type(exc).__name__}: {exc})")
            else:
                self._move_aside("built by another version")
        elif self.folder.exists() and any(self.folder.iterdir()):
            self._move_aside("incomplete")
        elif stamp or not self.folder.exists():
            self.repairs.append("search index missing: rebuilding")
        return self._create()

    def _move_aside(self, why: str) -> None:
        aside = self.folder.with_name(f"{self.folder.name}.broken-{int(time.time())}")
        try:
            self.folder.rename(aside)
            # Keep only the newest broken copy, for diagnosis, not forever.
            for old in self.folder.parent.glob(f"{self.folder.name}.broken-*"):
                if old != aside:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.repairs.append(f"search index {why}: rebuilding")

    def _create(self) -> Any:
        self.folder.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(self.folder), _schema())
        self.needs_rebuild = True
        self._write_stamp(-1)
        return ix

    def _read_stamp(self) -> dict[str, Any]:
        try:
            data = json.loads((self.folder / STAMP_FILE).read_text("utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write_stamp(self, changes: int) -> None:
        tmp = self.folder / (STAMP_FILE + ".tmp")
        tmp.write_text(json.dumps({"schema": INDEX_SCHEMA_VERSION, "changes": changes}))
        tmp.replace(self.folder / STAMP_FILE)

    @property
    def seen_changes(self) -> int:
        """The database change counter the index was last brought up to."""
        value = self._read_stamp().get("changes", -1)
        return int(value) if isinstance(value, int) else -1

    def mark_in_step(self, changes: int) -> None:
        """Record that the index reflects the database at change counter *changes*."""
        self._write_stamp(changes)
        self.needs_rebuild = False

    # --- writing -----------------------------------------------------------

    def _writer(self) -> IndexWriter:
        # One writer per operation; a second process holding the lock gets a
        # few seconds before we give up with Whoosh's LockError.
        return self._ix.writer(limitmb=256, timeout=10.0)

    def index(
        self,
        docs: Iterable[IndexDoc],
        *,
        progress: Callable[[int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        replace: bool = True,
    ) -> int:
        """Add or replace *docs* in one writer; return how many were written.

        With ``replace=False`` (a fresh index or new papers) documents are
        added without the per-document delete that an update costs.
        """
        writer = self._writer()
        count = 0
        try:
            add = writer.update_document if replace else writer.add_document
            for doc in docs:
                if cancelled is not None and count % 500 == 0 and cancelled():
                    writer.cancel()
                    return 0
                add(
                    pid=doc.id,
                    rev=doc.revision,
                    title=doc.title,
                    abstract=doc.abstract,
                    authors=" ; ".join(doc.authors),
                    tags=",".join(doc.tags),
                    note=doc.note,
                    links=" ".join(doc.links),
                    citekey=doc.citekey.lower(),
                )
                count += 1
                if progress is not None and count % 1000 == 0:
                    progress(count)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return count

    def delete(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if not ids:
            return
        writer = self._writer()
        try:
            for pid in ids:
                writer.delete_by_term("pid", pid)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def clear(self) -> None:
        """Drop every document (the schema stays)."""
        self._ix.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        self._ix = self._create()

    # --- reading -----------------------------------------------------------

    def doc_count(self) -> int:
        with self._ix.reader() as reader:
            return int(reader.doc_count())

    def revisions(self) -> dict[int, int]:
        """Return ``{paper id: revision}`` for every live document."""
        with self._ix.reader() as reader:
            if reader.doc_count() == 0:
                return {}
            pids = reader.column_reader("pid")
            revs = reader.column_reader("rev")
            return {int(pids[n]): int(revs[n]) for n in reader.all_doc_ids()}

    def compare(self, expected: dict[int, int]) -> IndexCheck:
        """Compare the index with ``{paper id: revision}`` from the database."""
        have = self.revisions()
        check = IndexCheck()
        for pid, rev in expected.items():
            got = have.get(pid)
            if got is None:
                check.missing.append(pid)
            elif got != rev:
                check.stale.append(pid)
        check.extra = [pid for pid in have if pid not in expected]
        return check

    def _make_parser(self) -> qparser.QueryParser:
        parser = qparser.MultifieldParser(
            list(DEFAULT_FIELDS), self._ix.schema, fieldboosts=FIELD_BOOSTS
        )
        parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
        return parser

    def parse(self, text: str) -> wq.Query:
        """Parse the user's query, raising :class:`QuerySyntaxError` with a hint."""
        known = set(self._ix.schema.names()) | {a for v in FIELD_ALIASES.values() for a in v}
        for name in _FIELD_RE.findall(text):
            if name.lower() not in known and name.lower() not in {"http", "https", "doi"}:
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
        return self._phrases_to_terms(parsed)

    def _phrases_to_terms(self, q: wq.Query) -> wq.Query:
        """Turn phrases on fields without positions (tags, citekey) into whole terms.

        A phrase typed without a field is tried on every default field, and
        Whoosh refuses a phrase on a field that stores no positions; for a
        tag, the phrase's words joined by a space are the whole tag.
        """
        if isinstance(q, wq.Phrase):
            fmt = self._ix.schema[q.fieldname].format
            if not fmt.supports("positions"):
                return wq.Term(q.fieldname, " ".join(str(w) for w in q.words))
            return q
        result: wq.Query = q.apply(self._phrases_to_terms)
        return result

    def search(self, text: str, limit: int | None = None, *, scored: bool = True) -> SearchResult:
        """Return ids matching *text*, best first when *scored*."""
        parsed = self.parse(text)
        result = SearchResult(ids=[])
        _collect_terms(parsed, result)
        if parsed is wq.NullQuery:
            return result
        with self._ix.searcher() as searcher:
            pids = searcher.reader().column_reader("pid")
            if scored:
                hits = searcher.search(parsed, limit=limit)
                result.ids = [int(pids[d]) for d in hits.docs()]
            else:
                docnums = searcher.docs_for_query(parsed)
                result.ids = [int(pids[d]) for d in docnums]
                if limit is not None:
                    result.ids = result.ids[:limit]
        return result

    def close(self) -> None:
        self._ix.close()


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


def highlight_spans(text: str, fieldname: str, result: SearchResult) -> list[tuple[int, int]]:
    """Return ``(start, end)`` character spans of *text* that matched the search."""
    terms = result.terms.get(fieldname, set())
    prefixes = result.prefixes.get(fieldname, set())
    if not (terms or prefixes) or not text:
        return []
    analyzer = _TEXT_ANALYZER if fieldname in {"title", "abstract", "note"} else _NAME_ANALYZER
    spans: list[tuple[int, int]] = []
    # Prefixes match the unstemmed word, as Whoosh does at search time.
    plain = RegexTokenizer() | LowercaseFilter()
    if prefixes:
        for tok in plain(text, chars=True):
            if any(tok.text.startswith(p) for p in prefixes):
                spans.append((tok.startchar, tok.endchar))
    if terms:
        for tok in analyzer(text, chars=True, removestops=False):
            if tok.text in terms:
                spans.append((tok.startchar, tok.endchar))
    return sorted(set(spans))
