"""The search contract: ranked ids, limit, totals, filters, highlights, the empty index.

Every ranking check compares with Whoosh's own exhaustive BM25F scoring of
the same query, so the block-at-a-time executor cannot drift from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from readinglist.core.query import Query
from readinglist.library import Library
from readinglist.search import IndexDoc, SearchIndex

SAMPLE = Path(__file__).parent / "data" / "hf-trending-mar11.txt"
# Plain words, AND, OR, NOT and fields: queries both engines score the same way.
SCORED_QUERIES = [
    "language models",
    "reasoning",
    "visual OR video",
    "efficient AND training",
    "title:model OR diffusion",
    "training NOT reinforcement",
    "author:smith OR benchmark",
    "model OR agent",
]


@pytest.fixture(scope="module")
def sample_lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    lib = Library(tmp_path_factory.mktemp("contract") / "lib")
    lib.import_file(SAMPLE)
    yield lib
    lib.close()


def _whoosh_scores(index: SearchIndex, text: str) -> dict[int, float]:
    """Paper id -> score by Whoosh's own matchers, every hit."""
    searcher = index._fresh_searcher()
    hits = searcher.search(index.parse(text), limit=None)
    pids = index._pid_array
    return {int(pids[hit.docnum]): float(hit.score) for hit in hits}


@pytest.mark.parametrize("text", SCORED_QUERIES)
def test_ranking_matches_whoosh_exhaustive_scoring(sample_lib: Library, text: str) -> None:
    expected = _whoosh_scores(sample_lib.index, text)
    result = sample_lib.index.search(text)
    assert len(expected) > 1, "a ranking needs more than one candidate"
    assert set(result.ids) == set(expected) and result.total == len(expected)
    # Best first, equal scores by paper id: exactly Whoosh's scores, sorted.
    want = sorted(expected, key=lambda pid: (-round(expected[pid], 9), pid))
    assert result.ids == want
    # And the order is not just the import order.
    assert result.ids != sorted(result.ids)


@pytest.mark.parametrize("text", SCORED_QUERIES)
def test_limit_keeps_the_top_of_the_ranking(sample_lib: Library, text: str) -> None:
    everything = sample_lib.index.search(text)
    for limit in (1, 3, 10):
        top = sample_lib.index.search(text, limit=limit)
        assert top.ids == everything.ids[:limit]
        assert top.total == everything.total


def test_title_matches_rank_above_abstract_matches(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "ix")
    docs = [
        IndexDoc(1, 1, "A study of graphs", "We look at walrus populations in the arctic."),
        IndexDoc(2, 1, "Walrus populations", "We look at graphs of the arctic."),
        IndexDoc(3, 1, "Unrelated", "Nothing to see here."),
        IndexDoc(4, 1, "Sea ice", "Arctic sea ice in summer."),
    ]
    index.index(docs, replace=False)
    assert index.search("walrus").ids == [2, 1]
    # Papers holding every word rank above those holding one (OR adds scores).
    assert index.search("walrus OR arctic").ids == [2, 1, 4]
    index.close()


def test_an_empty_index_answers_every_query(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "ix")
    for text in ("model", "lang*", '"a phrase"', "title:x AND NOT y"):
        result = index.search(text, limit=50)
        assert (result.ids, result.total) == ([], 0)
    index.close()


def test_an_empty_library_and_one_still_indexing_answer_searches(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib")
    assert lib.query_ids(Query(text="model")) == []
    assert lib.page(Query(text="model"), 0, 50) == ([], 0)
    lib.close()
    # Papers committed but not yet indexed: listable, and searching finds none yet.
    lib = Library(tmp_path / "lib2")
    lib.import_file(SAMPLE)
    lib.index.clear()
    assert lib.count() == 101 and lib.query_ids(Query(text="model")) == []
    lib.close()


def test_filters_restrict_hits_and_totals(sample_lib: Library) -> None:
    everything = sample_lib.index.search("model")
    some = everything.ids[::3]
    allowed = sample_lib.index.search("model", allowed=some)
    assert allowed.ids == [i for i in everything.ids if i in set(some)]
    assert allowed.total == len(some)
    excluded = sample_lib.index.search("model", limit=5, excluded=some)
    assert excluded.ids == [i for i in everything.ids if i not in set(some)][:5]
    assert excluded.total == everything.total - len(some)


def test_library_filters_combine_with_ranking(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib")
    lib.import_file(SAMPLE)
    ranked = lib.query_ids(Query(text="language models", sort="relevance"))
    lib.add_tags(ranked[1::2], ["picked"])
    lib.set_starred(ranked[:3])
    lib.trash(ranked[:1])
    tagged = lib.query_ids(Query(text="language models", tags=("picked",), sort="relevance"))
    assert tagged == [i for i in ranked[1::2] if i != ranked[0]]
    starred = lib.query_ids(Query(text="language models", starred=True, sort="relevance"))
    assert starred == ranked[1:3]
    page, total = lib.page(Query(text="language models", sort="relevance"), 0, 5)
    assert page == ranked[1:6] and total == len(ranked) - 1
    assert lib.count(Query(text="language models")) == len(ranked) - 1
    lib.close()


def test_highlight_terms_come_with_the_result(sample_lib: Library) -> None:
    result = sample_lib.index.search("title:mamba OR efficien*")
    assert result.terms["title"] == {"mamba"}
    assert "efficien" in result.prefixes["abstract"]


def _words() -> list[str]:
    text = SAMPLE.read_text("utf-8").lower()
    counted: dict[str, int] = {}
    for word in re.findall(r"[a-z]{5,}", text):
        counted[word] = counted.get(word, 0) + 1
    # Words whose stem is not a prefix of every longer prefix of theirs.
    hard = ["efficiency", "analysis", "organization", "generalization", "capabilities"]
    return [*sorted(counted, key=lambda w: (-counted[w], w))[:60], *hard]


def test_every_keystroke_finds_what_the_whole_word_finds(sample_lib: Library) -> None:
    index = sample_lib.index
    for word in _words():
        whole = set(index.search(word).ids)
        if not whole:
            continue
        for end in range(2, len(word) + 1):
            typed = set(index.search(word[:end] + "*").ids)
            assert whole <= typed, (word, word[:end])


def test_a_prefix_is_not_stemmed(sample_lib: Library) -> None:
    index = sample_lib.index
    assert index.search("analy*").total >= index.search("analysis").total > 0
    assert index.search("efficienc*").total >= index.search("efficiency").total > 0


def test_columns_read_in_bulk_equal_whoosh_reads(tmp_path: Path) -> None:
    """pid and field lengths read as arrays match Whoosh's per-document reads."""
    import numpy as np

    from readinglist.search.postings import pid_column

    index = SearchIndex(tmp_path / "ix")
    # Two segments, the first with deletions: offsets and defaults both matter.
    index.index([IndexDoc(i, 1, f"Title {i} " * (i % 5 + 1), "An abstract.") for i in range(40)])
    index.delete([3, 7])
    index.index([IndexDoc(100 + i, 1, "Short", "") for i in range(10)])
    searcher = index._fresh_searcher()
    reader = searcher.reader()
    assert len(list(reader.leaf_readers())) > 1
    count = reader.doc_count_all()
    assert pid_column(reader).tolist() == list(reader.column_reader("pid"))
    assert index._executor is not None
    for field in ("title", "abstract", "note"):
        lengths = index._executor.postings.lengths(field)
        assert lengths.tolist() == [reader.doc_field_length(d, field, 0) for d in range(count)]
    live = index._executor.postings.live
    assert np.flatnonzero(~live).tolist() == [d for d in range(count) if reader.is_deleted(d)]
    assert sorted(index.search("title").ids) == [i for i in range(40) if i not in (3, 7)]
    index.close()


def test_segments_are_plain_files_read_from_disk(tmp_path: Path) -> None:
    """No compound segment: Whoosh would read its parts through an in-memory copy."""
    from whoosh.filedb.structfile import BufferFile

    index = SearchIndex(tmp_path / "ix")
    index.index([IndexDoc(i, 1, f"Paper {i}", "Words.") for i in range(30)], replace=False)
    assert not list((tmp_path / "ix").glob("*.seg"))
    reader = index._fresh_searcher().reader()
    for leaf, _offset in reader.leaf_readers():
        assert not isinstance(leaf._terms._postfile, BufferFile)
    index.close()


def test_the_posting_cache_stays_bounded_and_never_changes_answers(
    sample_lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readinglist.search import postings as postings_module

    index = sample_lib.index
    expected = {text: index.search(text).ids for text in SCORED_QUERIES}
    monkeypatch.setattr(postings_module, "_CACHED_POSTINGS", 40)
    index._drop_searcher()
    for _round in range(2):
        for text, ids in expected.items():
            assert index.search(text).ids == ids
            assert index._executor is not None
            postings = index._executor.postings
            assert postings._cached == sum(len(i) for i, _w in postings._cache.values())
            assert postings._cached <= 40 or len(postings._cache) == 1


def test_a_title_holding_the_words_in_order_ranks_first(tmp_path: Path) -> None:
    from readinglist.records import ParsedPaper, ParseResult

    lib = Library(tmp_path / "lib")
    scattered = ParsedPaper(
        title="Models of language",
        abstract="Language models, language models and more language models.",
    )
    phrase = ParsedPaper(title="Small language models", abstract="A study.")
    neither = ParsedPaper(title="Vision transformers", abstract="Language and models apart.")
    ids = lib.import_records(ParseResult("t", [scattered, phrase, neither]), "x").added
    # BM25 alone puts the paper repeating the words first...
    assert lib.index.search("language models").ids[0] == ids[0]
    # ...the title with the words as a phrase goes first, then the others by score.
    q = Query(text="language models", sort="relevance")
    assert lib.query_ids(q) == [ids[1], ids[0], ids[2]]
    assert lib.page(q, 0, 1) == ([ids[1]], 3)
    # Only plain words count: fields, operators and prefixes keep the pure ranking.
    assert lib.query_ids(Query(text="language OR models", sort="relevance"))[0] == ids[0]
    lib.close()
