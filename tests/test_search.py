"""The search index: the single-pass analyzer, the bulk segment writer, search semantics."""

from __future__ import annotations

import pickle
import random
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemmingAnalyzer

from readinglist.search import (
    IndexDoc,
    PositionsFormat,
    SearchIndex,
    SearchResult,
    WordAnalyzer,
    analysis,
    bulkwriter,
    codec,
    highlight_spans,
)

DATA = Path(__file__).parent / "data" / "hf-trending-mar11.txt"
# The word pattern the index used before WordAnalyzer: the reference.
OLD_WORD = r"\w+(?:\.?\w+)*"

TRICKY = [
    "",
    "   ",
    "The state of the art",
    "a an the of",  # Nothing but stop words.
    "Compare with **wavelet** tricks, _emphasis_ and `code`.",
    "e.g. 3.5 vs. 3..5 and v1.2.3-beta... end.",
    "Models modelling modelled MODEL; distillation distilled.",
    "İstanbul straße ÉCOLE naïve Ünïcode Ǆemal ﬁne",
    "tabs\tand\nnewlines\u2003em-space\u00a0nbsp\u2028line-sep x\x1cy",
    "self-correction (RMT) [CLS] <think> 43.3% +6.31 O(n^2) a_b __init__",
    "to be or not to be: that is the question",
    "I a x y z 1 2 3 of off offer",
]


def _sample_texts() -> list[str]:
    return [line for line in DATA.read_text("utf-8").splitlines() if line.strip()]


def _tokens(analyzer: Any, text: str, **kwargs: Any) -> list[tuple[Any, ...]]:
    out = []
    for t in analyzer(text, **kwargs):
        out.append(
            (
                t.text,
                getattr(t, "pos", None) if kwargs.get("positions") else None,
                (t.startchar, t.endchar) if kwargs.get("chars") else None,
                t.stopped,
                t.boost,
                getattr(t, "original", None) if kwargs.get("keeporiginal") else None,
            )
        )
    return out


OPTIONS: list[dict[str, Any]] = [
    {},
    {"positions": True},
    {"positions": True, "chars": True},
    {"positions": True, "chars": True, "removestops": False},
    {"positions": True, "start_pos": 7, "chars": True, "start_char": 11},
    {"keeporiginal": True, "mode": "query"},
    {"positions": True, "mode": "index", "removestops": False, "keeporiginal": True},
    {"tokenize": False, "positions": True, "chars": True},
    {"no_morph": True, "positions": True},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_analyzer_matches_whoosh_chain(options: dict[str, Any]) -> None:
    reference_text = StemmingAnalyzer(expression=OLD_WORD)
    reference_name = RegexTokenizer(OLD_WORD) | LowercaseFilter()
    texts = TRICKY + _sample_texts()
    if options.get("tokenize") is False:
        texts = ["Models", "the", "a", "Ünïcode", "Distilled"]
    for text in texts:
        assert _tokens(analysis._TEXT_ANALYZER, text, **options) == _tokens(
            reference_text, text, **options
        ), text
        assert _tokens(analysis._NAME_ANALYZER, text, **options) == _tokens(
            reference_name, text, **options
        ), text


def _grouped(analyzer: WordAnalyzer, text: str) -> dict[bytes, list[int]]:
    out: dict[bytes, list[int]] = defaultdict(list)
    for t in analyzer(text, positions=True):
        out[t.text.encode("utf-8")].append(t.pos)
    return dict(out)


def test_term_positions_is_the_token_stream_grouped() -> None:
    rng = random.Random(3)
    words = [*" ".join(_sample_texts()).split(), "the", "of", "a", "I", "x.y", "(a)", "İ"]
    texts = TRICKY + _sample_texts()
    texts += [" ".join(rng.choices(words, k=rng.randint(0, 400))) for _ in range(200)]
    for analyzer in (analysis._TEXT_ANALYZER, analysis._NAME_ANALYZER):
        for text in texts:
            grouped = _grouped(analyzer, text)
            length, positions = analyzer.term_positions(text)
            assert positions == grouped, text
            assert length == sum(map(len, grouped.values()))


def test_whitespace_never_splits_a_word() -> None:
    # term_positions() looks up whole whitespace-separated chunks, which is
    # exact only if no character str.split() splits on can be inside a word.
    word = re.compile(analysis._WORD)
    separators = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    assert len(separators) > 20
    for char in separators:
        assert f"a{char}b".split() == ["a", "b"]
        assert word.findall(f"a{char}b") == ["a", "b"], hex(ord(char))
        assert word.findall(f"a.{char}b") == ["a", "b"]


def test_stop_words_go_but_phrase_positions_stay_consistent() -> None:
    ana = analysis._TEXT_ANALYZER
    assert [(t.text, t.pos) for t in ana("The state of the art", positions=True)] == [
        ("state", 1),
        ("art", 2),
    ]
    # Kept when asked (the highlighter does), marked and unstemmed.
    kept = [(t.text, t.stopped) for t in ana("the models", removestops=False)]
    assert kept == [("the", True), ("model", False)]
    # The index stores the same positions the query side computes.
    assert ana.term_positions("The state of the art") == (2, {b"state": [1], b"art": [2]})
    assert ana.term_positions("of the a") == (0, {})


def test_stemming_lowercase_and_markdown() -> None:
    ana = analysis._TEXT_ANALYZER
    assert [t.text for t in ana("Models MODELLING distillation")] == [
        "model",
        "model",
        "distil",
    ]
    assert [t.text for t in ana("Compare with **wavelet** tricks")] == [
        "compar",
        "wavelet",
        "trick",
    ]
    assert [t.text for t in analysis._NAME_ANALYZER("**Ada** Lovelace-King")] == [
        "ada",
        "lovelace",
        "king",
    ]
    chars = [(t.text, t.startchar, t.endchar) for t in ana("**bold**", chars=True)]
    assert chars == [("bold", 2, 6)]


def test_analyzer_pickles_without_its_caches() -> None:
    import pickle

    ana = WordAnalyzer(stoplist={"the"}, minsize=2, stem=True)
    list(ana("warm the caches"))
    clone = pickle.loads(pickle.dumps(ana))
    assert clone == ana and clone._terms == {}
    assert [t.text for t in clone("the Models")] == ["model"]


@pytest.mark.parametrize(
    "positions",
    [[0], [3], [254, 255], [0, 1, 2, 65535], [70000], [5, 65536, 99999], list(range(300))],
)
def test_positions_format_round_trip(positions: list[int]) -> None:
    fmt = PositionsFormat()
    value = fmt.encode(positions)
    assert fmt.decode_positions(value) == positions
    assert fmt.decode_frequency(value) == len(positions)
    assert fmt.decode_weight(value) == float(len(positions))
    assert list(fmt.weights([value, fmt.encode([1])])) == [float(len(positions)), 1.0]
    assert fmt.combine([value, fmt.encode([1])]) == fmt.encode(sorted({*positions, 1}))
    if len(positions) == 1 and positions[0] < 65536:
        assert len(value) == 3  # One count byte and one uint16.


def _doc(n: int, rng: random.Random, words: list[str]) -> IndexDoc:
    return IndexDoc(
        id=n,
        revision=n % 5 + 1,
        title=" ".join(rng.choices(words, k=rng.randint(3, 12))) + f" T{n}",
        abstract=" ".join(rng.choices(words, k=rng.randint(0, 300))),
        authors=[f"Author{n % 7} Person", "Grace Hopper"] if n % 3 else [],
        tags=["to-read", "Vision"] if n % 4 == 0 else (["ml"] if n % 4 == 1 else []),
        note="Compare with **wavelet** tricks" if n % 10 == 0 else "",
        links=[f"https://arxiv.org/abs/2403.{n:05d}"] if n % 2 else [],
        citekey=f"Smith{2000 + n}" if n % 6 else "",
    )


def _corpus(count: int, seed: int = 1) -> list[IndexDoc]:
    rng = random.Random(seed)
    words = " ".join(_sample_texts()).split()
    # A few words with chosen document counts, across inline and block limits.
    docs = [_doc(n, rng, words) for n in range(1, count + 1)]
    special = {"qqseven": 7, "qqeight": 8, "qqfull": 256, "qqplus": 257}
    out = []
    for i, doc in enumerate(docs):
        extra = [w for w, k in special.items() if i < k]
        out.append(IndexDoc(**{**doc.__dict__, "abstract": doc.abstract + " " + " ".join(extra)}))
    return out


def _dump(ix: Any) -> dict[str, Any]:
    """Every posting, length and column of *ix*, keyed by paper id."""
    out: dict[str, Any] = {}
    with ix.reader() as reader:
        pids = reader.column_reader("pid")
        revs = reader.column_reader("rev")
        live = list(reader.all_doc_ids())
        out["docs"] = sorted((pids[d], revs[d]) for d in live)
        schema = ix.schema
        for fieldname, btext in reader.all_terms():
            fmt = schema[fieldname].format
            m = reader.postings(fieldname, btext)
            posts = []
            while m.is_active():
                d = m.id()
                value = m.value_as("positions") if fmt.supports("positions") else None
                posts.append((pids[d], m.weight(), value, reader.doc_field_length(d, fieldname)))
                m.next()
            if posts:
                out[f"{fieldname}:{btext!r}"] = sorted(posts)
    return out


def _whoosh_reference(folder: Path, docs: list[IndexDoc]) -> Any:
    """The same documents written by Whoosh's own writer and codec."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), analysis._schema())
    with ix.writer() as writer:
        for doc in docs:
            fields = {k: v for k, v in bulkwriter._fields_of(doc).items() if v != ""}
            writer.add_document(**fields)
    return ix


def test_bulk_writer_writes_what_whoosh_writes(tmp_path: Path) -> None:
    docs = _corpus(300)
    ours = SearchIndex(tmp_path / "ours")
    assert ours.index(docs, replace=False) == 300
    reference = _whoosh_reference(tmp_path / "theirs", docs)
    try:
        expected = _dump(reference)
        assert _dump(ours._ix) == expected
        for word, count in (("qqseven", 7), ("qqeight", 8), ("qqfull", 256), ("qqplu", 257)):
            assert len(expected[f"abstract:{word.encode()!r}"]) == count
    finally:
        reference.close()
        ours.close()


def test_bulk_writer_long_postings_match_whoosh(tmp_path: Path) -> None:
    # Postings past 254 occurrences or position 65535 take PositionsFormat's
    # long form, encoded apart from the bulk-built short ones.
    docs = [
        IndexDoc(1, 1, "alpha beta", abstract="alpha " * 300 + "beta gamma"),
        IndexDoc(2, 1, "beta", abstract=" ".join(f"w{i % 300}" for i in range(66_000)) + " gamma"),
        IndexDoc(3, 1, "gamma", abstract="alpha beta the alpha"),
        IndexDoc(4, 1, "delta", abstract="delta " * 255),
    ]
    ours = SearchIndex(tmp_path / "ours")
    assert ours.index(docs, replace=False) == 4
    reference = _whoosh_reference(tmp_path / "theirs", docs)
    try:
        expected = _dump(reference)
        assert _dump(ours._ix) == expected
        assert expected["abstract:b'w299'"][0][2][-1] == 65_999
    finally:
        reference.close()
        ours.close()


def test_bulk_writer_shared_terms_match_whoosh(tmp_path: Path) -> None:
    # Keys shared by several documents (cite keys differing in case only),
    # tags on many documents, and empty values.
    docs = [
        IndexDoc(
            n, 1, f"title {n}", citekey=("Smith2020" if n % 2 else "smith2020") if n < 12 else ""
        )
        for n in range(1, 40)
    ]
    docs = [IndexDoc(**{**d.__dict__, "tags": ["shared", f"t{d.id % 3}"]}) for d in docs]
    ours = SearchIndex(tmp_path / "ours")
    assert ours.index(docs, replace=False) == len(docs)
    reference = _whoosh_reference(tmp_path / "theirs", docs)
    try:
        expected = _dump(reference)
        assert _dump(ours._ix) == expected
        assert len(expected["citekey:b'smith2020'"]) == 11
    finally:
        reference.close()
        ours.close()


def test_updates_deletes_and_merges_keep_postings_right(tmp_path: Path) -> None:
    docs = _corpus(120, seed=2)
    ix = SearchIndex(tmp_path / "ix")
    try:
        # Many small commits, so that later commits merge segments.
        for start in range(0, 60, 6):
            ix.index(docs[start : start + 6], replace=False)
        ix.index(docs[60:], replace=False)
        changed = [
            IndexDoc(**{**d.__dict__, "title": "Zebra models", "revision": 9}) for d in docs[:5]
        ]
        ix.index(changed, replace=True)
        ix.delete([docs[7].id, docs[100].id])
        # More small commits: merges now take segments with deleted documents.
        more = _corpus(140, seed=3)[120:]
        for start in range(0, 20, 2):
            ix.index(more[start : start + 2], replace=False)
            ix.delete([more[start].id])
        gone = {docs[7].id, docs[100].id} | {d.id for d in more[::2]}
        final = changed + [d for d in docs[5:] + more if d.id not in gone]
        assert len(ix._ix._segments()) < 10  # Merged along the way.
        reference = _whoosh_reference(tmp_path / "ref", final)
        try:
            assert _dump(ix._ix) == _dump(reference)
        finally:
            reference.close()
        assert ix.revisions() == {d.id: d.revision for d in final}
        assert set(ix.search("title:zebra").ids) == {d.id for d in changed}
    finally:
        ix.close()


@pytest.fixture
def small_index(tmp_path: Path) -> Iterator[SearchIndex]:
    ix = SearchIndex(tmp_path / "index")
    ix.index(
        [
            IndexDoc(
                1,
                1,
                "Efficient Language Models",
                "We distill large models.",
                ["Ada Lovelace"],
                ["to-read", "nlp"],
                "",
                ["https://example.org/a"],
                "Lovelace2024",
            ),
            IndexDoc(
                2,
                1,
                "Object Detection at Scale",
                "Real-time object detection with a model.",
                ["Grace Hopper"],
                ["to-read-later"],
                "Compare with **wavelet** tricks",
            ),
            IndexDoc(
                3,
                2,
                "The State of the Art in Vision",
                "A survey of detection of objects.",
                ["Alan Turing", "Ada Byron"],
                ["vision"],
                "",
                [],
                "Turing1950",
            ),
        ],
        replace=False,
    )
    yield ix
    ix.close()


def test_search_semantics(small_index: SearchIndex) -> None:
    s = small_index.search
    assert set(s("title:model").ids) == {1}  # Stemmed: "models".
    assert set(s("model").ids) == {1, 2}
    assert s('"object detection"').ids == [2]  # Phrase, adjacent words only.
    assert s('"detection of objects"').ids == [3]
    assert s('"state art"').ids == [3]  # Stop words between do not count.
    assert set(s("distill*").ids) == {1}
    assert set(s("detect* AND NOT title:object").ids) == {3}
    assert set(s("vision OR wavelet").ids) == {2, 3}
    assert s("tag:to-read").ids == [1]  # The whole tag, not "to-read-later".
    assert s("author:lovelace").ids == [1]
    assert s('author:"ada byron"').ids == [3]
    assert s("note:wavelet").ids == [2]
    assert s("key:turing1950").ids == [3]
    assert s("key:Lovelace2024").ids == [1]
    assert s("url:example.org").ids == [1]
    assert small_index.revisions() == {1: 1, 2: 1, 3: 2}
    assert small_index.doc_count() == 3


def test_highlight_spans_cover_the_matching_words(small_index: SearchIndex) -> None:
    result = small_index.search("models distill* wavelet")
    title = "Efficient Language Models"
    assert [title[a:b] for a, b in highlight_spans(title, "title", result)] == ["Models"]
    abstract = "We distill large models, distilled."
    spans = highlight_spans(abstract, "abstract", result)
    assert [abstract[a:b] for a, b in spans] == ["distill", "models", "distilled"]
    note = "Compare with **wavelet** tricks"
    note_result = small_index.search("note:wavelet")
    assert [note[a:b] for a, b in highlight_spans(note, "note", note_result)] == ["wavelet"]
    prefix = SearchResult(ids=[], prefixes={"note": {"wave"}})
    assert [note[a:b] for a, b in highlight_spans(note, "note", prefix)] == ["wavelet"]
    assert highlight_spans(title, "abstract", SearchResult(ids=[])) == []


def test_a_failed_document_leaves_no_postings(tmp_path: Path) -> None:
    docs = _corpus(12)
    ix = SearchIndex(tmp_path / "index")
    try:
        writer = bulkwriter._BulkWriter(ix._writable())
        for doc in docs[:6]:
            writer.add_fields(bulkwriter._fields_of(doc))
        # Fails in the note, after its pid, abstract and title went in.
        bad = {**bulkwriter._fields_of(docs[6]), "note": 12345}
        with pytest.raises(AttributeError):
            writer.add_fields(bad)
        for doc in docs[6:]:
            writer.add_fields(bulkwriter._fields_of(doc))
        writer.commit()
        reference = _whoosh_reference(tmp_path / "ref", docs)
        try:
            assert _dump(ix._ix) == _dump(reference)
        finally:
            reference.close()
    finally:
        ix.close()


def test_a_failing_document_source_leaves_the_index_usable(tmp_path: Path) -> None:
    # Documents stream into the writer: a source failing half-way through a
    # chunk cancels that chunk (releasing the index's lock) and is raised.
    def failing() -> Iterator[IndexDoc]:
        yield from _corpus(5)
        raise RuntimeError("the database went away")

    ix = SearchIndex(tmp_path / "index")
    try:
        with pytest.raises(RuntimeError, match="went away"):
            ix.index(failing(), replace=False)
        assert ix.doc_count() == 0
        assert ix.index(_corpus(3), replace=False) == 3
        assert ix.doc_count() == 3
    finally:
        ix.close()


def test_cancel_writes_nothing(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    try:
        docs = _corpus(30)
        assert ix.index(docs, replace=False, cancelled=lambda: True) == 0
        assert ix.doc_count() == 0
        seen: list[int] = []
        assert ix.index(docs, replace=False, progress=seen.append) == 30
        assert ix.doc_count() == 30
    finally:
        ix.close()


def test_reopened_index_searches(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.index(_corpus(20), replace=False)
    ix.close()
    again = SearchIndex(tmp_path / "index")
    try:
        assert not again.needs_rebuild and again.doc_count() == 20
        assert again.search("tag:vision").ids
    finally:
        again.close()


def test_pickled_classes_keep_the_package_name(tmp_path: Path) -> None:
    # Whoosh pickles the schema's analyzer and format and each segment's codec
    # into the table of contents.  Indexes written when readinglist.search was
    # one module name them readinglist.search.<class>; so must new ones, or
    # either version would find the other's index unreadable.
    for cls in (WordAnalyzer, PositionsFormat, codec._Codec):
        assert cls.__module__ == "readinglist.search"
        assert pickle.loads(pickle.dumps(cls)) is cls
    ix = SearchIndex(tmp_path / "index")
    try:
        ix.index(_corpus(5), replace=False)
    finally:
        ix.close()
    toc = b"".join(path.read_bytes() for path in (tmp_path / "index").glob("*.toc"))
    assert b"readinglist.search" in toc
    assert b"readinglist.search." not in toc
