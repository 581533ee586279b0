"""The BibTeX/BibLaTeX importer on files in the shapes real tools export.

The fixtures in ``tests/data/bib`` are written by hand after arXiv's "Export
BibTeX citation", DBLP (plain and "with crossref"), Google Scholar, JabRef,
Zotero's Better BibLaTeX and a file with one broken entry; the inline
snippets below pin the rules one at a time.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readinglist.importers import bibtex
from readinglist.library import Library
from readinglist.people import Person
from readinglist.records import EXTRA_FIELDS, InputError, ParsedPaper, ParseResult, Problem

DATA = Path(__file__).parent / "data" / "bib"


def parse_file(name: str, source: str | None = None) -> ParseResult:
    return bibtex.parse((DATA / name).read_text(encoding="utf-8"), source or name)


def parse(text: str) -> ParseResult:
    return bibtex.parse(text, "refs.bib")


def by_key(result: ParseResult) -> dict[str, ParsedPaper]:
    return {p.citekey: p for p in result.papers}


def one(text: str) -> ParsedPaper:
    (paper,) = parse(text).papers
    return paper


def messages(problems: list[Problem]) -> list[str]:
    return [p.describe("refs.bib") for p in problems]


VASWANI = [
    Person(given="Ashish", family="Vaswani"),
    Person(given="Noam", family="Shazeer"),
    Person(given="Niki", family="Parmar"),
    Person(given="Jakob", family="Uszkoreit"),
    Person(given="Llion", family="Jones"),
    Person(given="Aidan N.", family="Gomez"),
    Person(given="Lukasz", family="Kaiser"),
    Person(given="Illia", family="Polosukhin"),
]
NIPS_2017 = (
    "Advances in Neural Information Processing Systems 30: Annual Conference on Neural"
    " Information Processing Systems 2017, December 4-9, 2017, Long Beach, CA, USA"
)
NIPS_EDITORS = (
    "Isabelle Guyon and Ulrike von Luxburg and Samy Bengio and Hanna M. Wallach and"
    " Rob Fergus and S. V. N. Vishwanathan and Roman Garnett"
)


# --- the fixtures ----------------------------------------------------------------


def test_arxiv_export() -> None:
    result = parse_file("arxiv.bib")
    assert result.problems == []
    vaswani, lora = result.papers
    assert vaswani == ParsedPaper(
        title="Attention Is All You Need",
        authors=VASWANI,
        year=2017,
        arxiv_id="1706.03762",
        url="https://arxiv.org/abs/1706.03762",
        entry_type="misc",
        citekey="vaswani2017attention",
        extra={"primaryclass": "cs.CL"},
        line=1,
    )
    assert lora.title == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert lora.authors[0] == Person(given="Edward J.", family="Hu")
    assert lora.authors[3] == Person(given="Zeyuan", family="Allen-Zhu")
    assert (lora.arxiv_id, lora.citekey, lora.line) == (
        "2106.09685",
        "hu2021loralowrankadaptationlarge",
        11,
    )


def test_dblp_export() -> None:
    result = parse_file("dblp.bib")
    assert result.problems == []
    attention, bert = result.papers
    assert attention == ParsedPaper(
        title="Attention is All you Need",
        authors=VASWANI,
        year=2017,
        venue=NIPS_2017,
        url=(
            "https://proceedings.neurips.cc/paper/2017/hash/"
            "3f5ee243547dee91fbd053c1c4a845aa-Abstract.html"
        ),
        entry_type="inproceedings",
        citekey="DBLP:conf/nips/VaswaniSPUJGKP17",
        extra={"editor": NIPS_EDITORS, "pages": "5998–6008"},
        line=1,
    )
    assert bert.title == (
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    )
    # DBLP's "Ming{-}Wei": the braces only keep the hyphen from breaking.
    assert bert.authors[1] == Person(given="Ming-Wei", family="Chang")
    assert (bert.venue, bert.arxiv_id, bert.year) == ("CoRR", "1810.04805", 2018)
    assert bert.extra == {"volume": "abs/1810.04805"}
    assert bert.citekey == "DBLP:journals/corr/abs-1810-04805"


def test_dblp_with_crossref_inherits_from_proceedings() -> None:
    result = parse_file("dblp-crossref.bib")
    papers = by_key(result)
    # The @proceedings lend their fields and are not papers (nor is the
    # repeat of one at the end, as concatenated DBLP exports have).
    assert list(papers) == [
        "DBLP:conf/nips/VaswaniSPUJGKP17",
        "DBLP:conf/eccv/HeZRS16",
        "DBLP:conf/iclr/Missing21",
    ]
    attention = papers["DBLP:conf/nips/VaswaniSPUJGKP17"]
    # No booktitle of its own: the parent's title is the venue.
    assert attention.venue == NIPS_2017
    assert attention.year == 2017
    assert attention.extra == {"editor": NIPS_EDITORS, "pages": "5998–6008"}
    # The parent's url is the volume's, not the paper's.
    assert attention.url.endswith("3f5ee243547dee91fbd053c1c4a845aa-Abstract.html")

    resnet = papers["DBLP:conf/eccv/HeZRS16"]
    assert resnet.venue == "ECCV (4)"  # its own booktitle wins
    assert resnet.doi == "10.1007/978-3-319-46493-0_38"  # its own, not the volume's
    assert resnet.extra == {
        "editor": "Bastian Leibe and Jiri Matas and Nicu Sebe and Max Welling",
        "isbn": "978-3-319-46492-3",
        "pages": "630–645",
        "publisher": "Springer",
        "series": "Lecture Notes in Computer Science",
        "volume": "9908",
    }

    missing = papers["DBLP:conf/iclr/Missing21"]
    assert (missing.venue, missing.year, missing.extra) == ("", None, {"pages": "1–10"})
    assert messages(result.problems) == [
        "refs.bib:40 (DBLP:conf/iclr/Missing21): crossref 'DBLP:conf/iclr/2021' is not in"
        " the file; imported without its fields"
    ]


def test_google_scholar_export() -> None:
    result = parse_file("scholar.bib")
    assert result.problems == []
    papers = by_key(result)
    resnet = papers["he2016deep"]
    assert resnet.title == "Deep residual learning for image recognition"
    assert resnet.authors == [
        Person(given="Kaiming", family="He"),
        Person(given="Xiangyu", family="Zhang"),
        Person(given="Shaoqing", family="Ren"),
        Person(given="Jian", family="Sun"),
    ]
    assert resnet.venue == (
        "Proceedings of the IEEE conference on computer vision and pattern recognition"
    )
    assert (resnet.year, resnet.extra) == (2016, {"pages": "770–778"})
    attention = papers["vaswani2017attention"]
    assert attention.authors[6] == Person(given="Łukasz", family="Kaiser")
    assert attention.extra == {"volume": "30"}
    bert = papers["devlin2018bert"]
    assert (bert.arxiv_id, bert.venue) == ("1810.04805", "arXiv preprint arXiv:1810.04805")
    book = papers["goodfellow2016deep"]
    # A book's publisher is not its venue.
    assert (book.entry_type, book.venue) == ("book", "")
    assert book.extra == {"number": "2", "publisher": "MIT press Cambridge", "volume": "1"}
    # "note = {arXiv preprint arXiv:1412.6980}" restates the arXiv id: no note.
    adam = papers["kingma2014adam"]
    assert (adam.arxiv_id, adam.note) == ("1412.6980", "")


def test_jabref_export() -> None:
    result = parse_file("jabref.bib", source="/data/refs/jabref.bib")
    # @Comment{jabref-meta: ...} blocks and "% Encoding" are no problems.
    assert result.problems == []
    bert, seq2seq = result.papers
    assert bert.title == (
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    )
    assert bert.venue.startswith("Proceedings of the 2019 Conference of the North American")
    assert bert.abstract.startswith("We introduce a new language representation model called BERT,")
    assert bert.doi == "10.18653/v1/N19-1423"
    # keywords, then groups.
    assert bert.tags == ["language models", "pre-training", "Transformers"]
    assert bert.note == "Read section 3 again.\n\nCompare with ELMo."
    # The file field's relative path is relative to the .bib's folder.
    assert bert.pdf_path == "/data/refs/papers/Devlin2019 - BERT.pdf"
    assert bert.extra == {
        "address": "Minneapolis, Minnesota",
        "month": "June",
        "pages": "4171–4186",
        "publisher": "Association for Computational Linguistics",
    }
    assert (bert.entry_type, bert.citekey, bert.line) == ("inproceedings", "Devlin2019", 3)

    assert seq2seq.authors[2] == Person(given="Quoc V.", family="Le")
    assert (seq2seq.arxiv_id, seq2seq.venue) == ("1409.3215", "CoRR")
    assert seq2seq.tags == ["rnn", "translation", "Seq2Seq", "Transformers"]
    assert seq2seq.note == "To appear"
    assert seq2seq.pdf_path == "/home/alice/papers/Sutskever2014.pdf"
    assert seq2seq.extra == {
        "month": "September",
        "primaryclass": "cs.CL",
        "volume": "abs/1409.3215",
    }


def test_relative_file_path_needs_the_bib_location() -> None:
    assert [p.pdf_path for p in parse_file("jabref.bib").papers] == [
        "",
        "/home/alice/papers/Sutskever2014.pdf",
    ]


def test_biblatex_export() -> None:
    result = parse_file("biblatex.bib")
    # @xdata and @set entries are no papers, and no problems.
    assert result.problems == []
    papers = by_key(result)
    assert list(papers) == [
        "smith2020survey",
        "openai2023gpt4",
        "lee2019tech",
        "nguyen2021thesis",
        "garcia2022conf",
    ]
    survey = papers["smith2020survey"]
    assert survey == ParsedPaper(
        title="Deep Learning for Science: A Survey",
        authors=[Person(given="Jane", family="Smith"), Person(given="Émile", family="Zola")],
        year=2020,
        venue="Journal of Machine Learning Research",
        arxiv_id="2001.01234",
        doi="10.1000/xyz.123",
        entry_type="article",
        citekey="smith2020survey",
        tags=["deep learning", "survey"],
        note="Good overview of scientific ML.",
        pdf_path="/home/jane/Zotero/storage/ABCD1234/Smith - 2020 - Deep Learning for Science.pdf",
        extra={
            "issn": "1532-4435",
            "month": "May",
            "number": "3",
            "pages": "1–42",
            "primaryclass": "cs.LG",
            "volume": "21",
        },
        line=1,
    )
    gpt4 = papers["openai2023gpt4"]
    assert gpt4.authors == [Person(family="OpenAI")]
    assert (gpt4.title, gpt4.year, gpt4.entry_type) == ("GPT-4 Technical Report", 2023, "online")
    assert gpt4.url == "https://openai.com/research/gpt-4"
    assert gpt4.extra == {"organization": "OpenAI"}
    report = papers["lee2019tech"]
    assert (report.entry_type, report.year, report.venue) == ("report", 2019, "")
    assert report.extra == {
        "address": "Stanford, CA",
        "institution": "Stanford University",
        "month": "November",
        "number": "CS-TR-2019-01",
    }
    thesis = papers["nguyen2021thesis"]
    assert (thesis.entry_type, thesis.extra) == ("thesis", {"institution": "MIT"})
    conf = papers["garcia2022conf"]
    assert conf.authors == [
        Person(given="Lucía", family="García"),
        Person(given="Jörg", family="Müller"),
    ]
    assert (conf.year, conf.venue) == (
        2022,
        "Proceedings of the 39th International Conference on Machine Learning",
    )
    # location is BibLaTeX's address; the issn comes from the @xdata entry.
    assert conf.extra == {
        "address": "Baltimore, Maryland, USA",
        "issn": "2640-3498",
        "month": "July",
        "pages": "100–110",
        "publisher": "PMLR",
        "series": "Proceedings of Machine Learning Research",
        "volume": "162",
    }


def test_broken_entry_in_the_middle() -> None:
    result = parse_file("broken.bib")
    assert [(p.citekey, p.title, p.year, p.line) for p in result.papers] == [
        ("first2020", "First Paper", 2020, 1),
        ("third2022", "Third Paper", 2022, 13),
    ]
    (problem,) = result.problems
    assert (problem.line, problem.entry) == (7, "broken2021")
    assert problem.message.startswith("could not parse entry (")
    assert problem.message.endswith("); skipped")


def test_names_macros_and_comments() -> None:
    result = parse_file("names.bib")
    # Text between entries, "%" lines, @preamble and @comment: ignored.
    assert result.problems == []
    (paper,) = result.papers
    assert paper.title == "Étude of Über-Models: α-Nets and More—a “Study”"
    assert paper.authors == [
        Person(given="Émile", family="Zola"),
        Person(given="Charles Louis Xavier Joseph", family="Vallée Poussin", prefix="de la"),
        Person(given="Martin Luther", family="King", suffix="Jr."),
        Person(family="OpenAI"),
        Person(family="Barnes and Noble"),
        Person(given="Carl Friedrich", family="Gauß"),
        Person(given="D. E.", family="Knuth"),
    ]  # "and others" is no person
    assert paper.venue == "Journal of Machine Learning Research"
    assert paper.year == 2011
    assert paper.arxiv_id == "1101.0001"
    assert paper.note == ""  # only the arXiv id again
    assert paper.tags == ["names", "accents"]
    assert paper.extra == {"month": "May", "number": "3", "pages": "12–34", "volume": "Vol. 12"}
    assert paper.line == 11


# --- values: @string, #, months ------------------------------------------------------


def test_string_macros_concatenate_and_nest() -> None:
    paper = one(
        '@STRING{Conf = "Proc. of "}\n'
        "@string(nips = conf # {Neur{IPS}})\n"
        "@inproceedings{k, title = {T}, booktitle = NIPS # { } # 2020, publisher = Springer}\n"
    )
    assert paper.venue == "Proc. of NeurIPS 2020"
    # An undefined macro means its name to whoever wrote it.
    assert paper.extra == {"publisher": "Springer"}


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        ("jan", "January"),
        ("SEP", "September"),
        ("{Jan.}", "January"),
        ('"12"', "December"),
        ("5", "May"),
        ("{june}", "June"),
        ("{13}", "13"),
        ("jan # {~1}", "January 1"),
        ("{May--June}", "May–June"),
    ],
)
def test_month(month: str, expected: str) -> None:
    assert one(f"@misc{{k, title={{T}}, month = {month}}}").extra == {"month": expected}


def test_year_and_month_from_date() -> None:
    papers = parse(
        "@misc{a, title={A}, date={2020-05-01}}\n"
        "@misc{b, title={B}, date={2019/2021}}\n"
        "@misc{c, title={C}, year={2018}, date={2020-01}}\n"
        "@misc{d, title={D}, date={2020-05}, month={3}}\n"
    ).papers
    assert [(p.year, p.extra) for p in papers] == [
        (2020, {"month": "May"}),
        (2019, {}),
        (2018, {"month": "January"}),
        (2020, {"month": "March"}),
    ]


def test_malformed_value_is_reported_and_kept() -> None:
    result = parse("@article{k, title = {T}, year = 2020 month = jan}\n")
    (paper,) = result.papers
    assert paper.year == 2020
    assert messages(result.problems) == [
        "refs.bib:1 (k): malformed value of year (a missing comma?); kept as written"
    ]


def test_malformed_string_is_reported() -> None:
    result = parse('@string{bad = "abc}\n@misc{k, title = {T}}\n')
    assert [p.citekey for p in result.papers] == ["k"]
    assert messages(result.problems) == [
        "refs.bib:1 (bad): malformed @string value; kept as written"
    ]


def test_string_defined_again() -> None:
    result = parse('@string{a = "x"}\n@string{a = "x"}\n@string{a = "y"}\n@misc{k, title = A}\n')
    assert [p.title for p in result.papers] == ["y"]
    assert messages(result.problems) == [
        "refs.bib:3 (a): @string defined again with another value; the later one is used"
    ]


def test_string_expansion_is_bounded() -> None:
    doubling = "".join(f"@string{{s{i} = s{i - 1} # s{i - 1}}}\n" for i in range(1, 40))
    text = '@string{s0 = "xxxxxxxxxx"}\n' + doubling + "@misc{k, title = s39}\n"
    start = time.perf_counter()
    result = parse(text)
    assert time.perf_counter() - start < 2
    assert len(result.papers[0].title) <= 2_000_000
    assert [p.message for p in result.problems] == [
        "@string macros expand to too much text; the rest were left as their names"
    ]


# --- crossref --------------------------------------------------------------------


def test_crossref_rules() -> None:
    result = parse(
        "@inproceedings{child, title={Child}, author={A B}, crossref={Parent}, note={Oral}}\n"
        "@inproceedings{own, title={Own}, booktitle={Short}, crossref={parent}}\n"
        "@article{art, title={Art}, crossref={journal}}\n"
        "@incollection{chain, title={Chain}, crossref={vol}}\n"
        "@proceedings{parent, title={Proc. of {X}}, year={2020}, publisher={P},"
        " address={Here}, url={https://p.org}, keywords={k}, note={N}, pages={300}}\n"
        "@periodical{journal, title={Journal of {X}}, year={2019}, volume={7}}\n"
        "@book{vol, booktitle={Collected}, crossref={series}}\n"
        "@mvbook{series, title={Series}, year={2001}, edition={2}}\n"
    )
    assert result.problems == []
    papers = by_key(result)
    assert list(papers) == ["child", "own", "art", "chain"]
    child = papers["child"]
    assert (child.venue, child.year, child.url, child.tags, child.note) == (
        "Proc. of X",
        2020,
        "",
        [],
        "Oral",
    )
    assert child.extra == {"address": "Here", "publisher": "P"}
    assert papers["own"].venue == "Short"
    art = papers["art"]
    assert (art.venue, art.year, art.extra) == ("Journal of X", 2019, {"volume": "7"})
    chain = papers["chain"]
    assert (chain.venue, chain.year, chain.extra) == ("Collected", 2001, {"edition": "2"})


def test_crossref_parent_with_authors_or_unreferenced_is_a_paper() -> None:
    result = parse(
        "@inbook{ch, title={Chapter}, crossref={bk}}\n"
        "@book{bk, title={The Book}, author={Knuth, Donald}, year={1984}}\n"
        "@proceedings{alone, title={Whole Proceedings}, year={2020}}\n"
    )
    papers = by_key(result)
    assert list(papers) == ["ch", "bk", "alone"]
    # An @inbook takes its author from its book, as in BibTeX.
    assert papers["ch"].authors == [Person(given="Donald", family="Knuth")]
    assert (papers["ch"].venue, papers["ch"].year) == ("The Book", 1984)


def test_missing_grandparent_is_reported_on_the_parent() -> None:
    result = parse(
        "@inbook{ch, title={Chapter}, crossref={bk}}\n"
        "@book{bk, title={Book}, author={A B}, crossref={gone}}\n"
    )
    assert [p.citekey for p in result.papers] == ["ch", "bk"]
    assert messages(result.problems) == [
        "refs.bib:2 (bk): crossref 'gone' is not in the file; imported without its fields"
    ]


def test_crossref_cycle_ends() -> None:
    result = parse(
        "@inproceedings{a, title={A}, crossref={b}, year={2001}}\n"
        "@inproceedings{b, title={B}, crossref={a}, publisher={P}}\n"
    )
    # An error in BibTeX: cut where it was met first (b's parent would be a).
    assert [(p.citekey, p.year, p.extra) for p in result.papers] == [
        ("a", 2001, {"publisher": "P"}),
        ("b", None, {"publisher": "P"}),
    ]


def test_a_web_of_xdata_is_resolved_in_linear_time() -> None:
    count = 400
    refs = [", ".join(f"x{(i + j) % count}" for j in range(1, 17)) for i in range(count)]
    text = "".join(f"@xdata{{x{i}, xdata={{{refs[i]}}}, f{i}={{v}}}}\n" for i in range(count))
    text += "".join(f"@misc{{m{i}, title={{T{i}}}, xdata={{{refs[i]}}}}}\n" for i in range(count))
    start = time.perf_counter()
    result = parse(text)
    assert time.perf_counter() - start < 5
    assert len(result.papers) == count


def test_missing_xdata_is_reported() -> None:
    result = parse("@misc{k, title={T}, xdata={nope, pmlr}}\n@xdata{pmlr, publisher={PMLR}}\n")
    (paper,) = result.papers
    assert paper.extra == {"publisher": "PMLR"}
    assert messages(result.problems) == [
        "refs.bib:1 (k): xdata 'nope' is not in the file; imported without its fields"
    ]


def test_repeated_key_of_a_paper_is_still_reported() -> None:
    result = parse(
        "@misc{k, title={One}}\n@misc{k, title={Two}}\n"
        "@inproceedings{c, title={C}, crossref={p}}\n"
        "@proceedings{p, title={P}}\n@proceedings{p, title={P}}\n"
    )
    assert [p.citekey for p in result.papers] == ["k", "c"]
    assert messages(result.problems) == [
        "refs.bib:2 (k): duplicate citation key (first used on line 1); entry skipped"
    ]


def test_only_templates_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"^refs\.bib: no papers in the BibTeX file"):
        parse("@xdata{pmlr, publisher={PMLR}}\n")


# --- notes, tags, text ----------------------------------------------------------------


def test_note_merging() -> None:
    paper = one(
        "@article{k, title={T}, journal={Nature},\n"
        "  note={To appear in {Nature}}, annote={My \\emph{own} note.},\n"
        "  annotation={Second}, comment={Third}, comment-alice={Alice's}}\n"
    )
    assert paper.note == "My own note.\n\nSecond\n\nThird\n\nAlice's\n\nTo appear in Nature"


@pytest.mark.parametrize(
    ("fields", "note"),
    [
        ("journal={Nature}, note={Nature}", ""),
        ("eprint={2101.00001}, note={arXiv preprint arXiv:2101.00001v2 [cs.LG]}", ""),
        ("eprint={2101.00001}, note={Preprint}", ""),
        ("eprint={2101.00001}, note={Extends arXiv:2001.99999}", "Extends arXiv:2001.99999"),
        ("note={Oral presentation}", "Oral presentation"),
        ("note={arXiv preprint}", "arXiv preprint"),
        ("annote={Same}, note={same}", "Same"),
    ],
)
def test_note_that_restates_is_left_out(fields: str, note: str) -> None:
    assert one(f"@misc{{k, title={{T}}, {fields}}}").note == note


def test_ties_dashes_and_quotes() -> None:
    paper = one(
        "@misc{k, title={Section~3 -- ``Results''}, abstract={About ~5% -- raw text},"
        " pages={e1001-e1010}}\n"
    )
    assert paper.title == "Section 3 – “Results”"
    # The abstract is prose as exporters write it: kept as typed.
    assert paper.abstract == "About ~5% -- raw text"
    assert paper.extra == {"pages": "e1001-e1010"}


def test_math_and_nested_braces_in_titles() -> None:
    papers = parse(
        "@misc{a, title={{{BERT}}: Pre-training {\\it with} $\\alpha$ and $O(n^2)$}}\n"
        "@misc{b, title={{{{{{{{{Deep}}}}}}}}}}\n"
    )
    assert papers.papers[0].title == "BERT: Pre-training with α and O(n^2)"
    # Beyond the decoder's bounds: kept as typed, and said so.
    assert papers.papers[1].title == "{{{{{{{{Deep}}}}}}}}"
    assert messages(papers.problems) == [
        "refs.bib:2 (b): LaTeX in title kept as typed (braces nested deeper than 6)"
    ]


def test_tags_from_keywords_groups_and_mendeley() -> None:
    paper = one("@misc{k, title={T}, keywords={a; b, A}, groups={G}, mendeley-tags={m,b}}\n")
    assert paper.tags == ["a", "b", "G", "m"]


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("{/abs/a.pdf}", "/abs/a.pdf"),
        ("{:/abs/b.PDF:PDF}", "/abs/b.PDF"),
        ("{Snapshot:/abs/c.html:text/html;Full Text:/abs/c.pdf:application/pdf}", "/abs/c.pdf"),
        ("{:C\\:\\\\Users\\\\me\\\\d.pdf:PDF}", "C:\\Users\\me\\d.pdf"),
        ("{:C$\\backslash$:/Users/me/e.pdf:pdf}", "C:\\Users\\me\\e.pdf"),
        ("{:sub/f.pdf:PDF}", "/bibs/sub/f.pdf"),
        ("{:../papers/g.pdf:PDF}", "/papers/g.pdf"),
        ("{:/abs/h.djvu:DJVU}", ""),
    ],
)
def test_file_field(value: str, path: str) -> None:
    text = f"@misc{{k, title={{T}}, file = {value}}}\n"
    assert bibtex.parse(text, "/bibs/refs.bib").papers[0].pdf_path == path


def test_editors_keep_and_others() -> None:
    paper = one('@book{k, title={T}, editor={M{\\"u}ller, Hans and others}}')
    assert paper.extra == {"editor": "Hans Müller and others"}


def test_extra_fields_from_biblatex_names() -> None:
    paper = one(
        "@article{k, title={T}, issue={4}, location={Paris}, eprintclass={math.PR},"
        " edition={2nd}, school={ETH}, organization={ACM}, isbn={978-0}, issn={1234-5678}}\n"
    )
    assert paper.extra == {
        "address": "Paris",
        "edition": "2nd",
        "isbn": "978-0",
        "issn": "1234-5678",
        "number": "4",
        "organization": "ACM",
        "primaryclass": "math.PR",
        "school": "ETH",
    }


def test_percent_comments_inside_an_entry() -> None:
    result = parse(
        "@article{k,\n  % why we cite it\n  title = {50% Off}, % a comment\n"
        "  year = 2020 % check\n}\n"
    )
    assert result.problems == []
    (paper,) = result.papers
    assert (paper.title, paper.year) == ("50% Off", 2020)


def test_broken_comment_and_preamble_are_not_problems() -> None:
    result = parse('@comment{ unbalanced { here }\n@preamble{ "x" \n@misc{k, title={T}}\n')
    assert [p.citekey for p in result.papers] == ["k"]
    assert result.problems == []


def test_broken_string_names_the_macro() -> None:
    result = parse('@string{jml = "J. Mach.\n@misc{k, title={T}}\n')
    assert [p.citekey for p in result.papers] == ["k"]
    assert [(p.line, p.entry) for p in result.problems] == [(1, "jml")]
    assert result.problems[0].message.startswith("could not parse @string")


# --- through the library ----------------------------------------------------------------


def test_import_keeps_keys_extra_and_reports(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "dblp.bib"
    source.write_text((DATA / "dblp-crossref.bib").read_text(encoding="utf-8"))
    (report,) = library.import_paths([source])
    assert len(report.added) == 3
    assert [p.describe(report.file_name) for p in report.problems] == [
        "dblp.bib:40 (DBLP:conf/iclr/Missing21): crossref 'DBLP:conf/iclr/2021' is not in"
        " the file; imported without its fields"
    ]
    papers = {library.paper(pid).citekey: library.paper(pid) for pid in report.added}
    resnet = papers["DBLP:conf/eccv/HeZRS16"]
    assert resnet.extra_field("publisher") == "Springer"
    assert resnet.extra_field("pages") == "630–645"
    assert resnet.venue == "ECCV (4)"


# --- fuzzing ----------------------------------------------------------------------------

FUZZ = settings(
    max_examples=int(os.environ.get("READINGLIST_FUZZ_EXAMPLES", "150")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TOKENS = [
    *'@{}()=,"#%\\~ \n\t',
    "article",
    "proceedings",
    "xdata",
    "string",
    "comment",
    "crossref",
    "xdata",
    "title",
    "author",
    "editor",
    "note",
    "annote",
    "month",
    "jan",
    "pages",
    "file",
    "date",
    "and",
    "others",
    "k1",
    "k2",
    "2020",
    "--",
    "\\'e",
    '{\\"o}',
    "{\\",
    "$\\alpha$",
    ":a.pdf:PDF",
    "C\\:",
]
SHELL = (
    "@string{s = {S}}\n@proceedings{k2, title={P}, year=2020}\n"
    "@inproceedings{k1, title={A}, crossref={k2}, month = jan # s}\n@article{k3,\n"
)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=400).map("".join))
def test_fuzz_parse_gives_a_result_or_input_error_in_bounded_time(body: str) -> None:
    text = SHELL + body
    start = time.perf_counter()
    try:
        result = bibtex.parse(text, "/bibs/fuzz.bib")
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(result, ParseResult)
        for paper in result.papers:
            assert paper.title and set(paper.extra) <= set(EXTRA_FIELDS)
        for problem in result.problems:
            assert "\n" not in problem.describe()
    assert time.perf_counter() - start < max(0.5, len(text) / 100_000)
