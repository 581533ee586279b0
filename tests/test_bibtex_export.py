"""Tests for the BibTeX exporter, down to a run of real ``bibtex`` over the sample feed.

The rules tested are those of ``docs/bibtex.md``; the round trips parse the
export with pybtex (a strict parser) and decode fields with pylatexenc.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import pybtex.database
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pylatexenc import latex2text

from readinglist.citekeys import KEY_RULE, legacy_citekey, make_citekey
from readinglist.exporters import EXPORTERS, SUFFIXES, bibtex, latex_text, title_case
from readinglist.exporters.bibtex import dump, dumps, encode_text, entry, entry_type, protect_title
from readinglist.people import Person
from readinglist.records import PaperData, Problem

SAMPLE = Path(__file__).parent / "data" / "hf-trending-mar11.txt"

# --- helpers --------------------------------------------------------------------------


def paper(**fields: Any) -> PaperData:
    """Return a PaperData with defaults for the fields a test does not care about."""
    fields.setdefault("id", 1)
    fields.setdefault("title", "A Title")
    fields.setdefault("citekey", "key2024")
    return PaperData(**fields)


def load_sample() -> list[PaperData]:
    """Read the sample feed page minimally: title/abstract paragraphs after "Mar 11".

    The importer is not used on purpose (it is written separately); the raw
    text, backslashes and all, is taken as the plain text of each paper, which
    also stresses the escaping.
    """
    text = SAMPLE.read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    body = paragraphs[paragraphs.index("Mar 11") + 1 :]
    assert len(body) % 2 == 0, "sample should alternate titles and abstracts"
    papers: list[PaperData] = []
    taken: set[str] = set()
    for number, (title, abstract) in enumerate(zip(body[::2], body[1::2], strict=True), 1):
        key = make_citekey((), title, None, taken)
        taken.add(key.lower())
        papers.append(PaperData(id=number, title=title, abstract=abstract, citekey=key))
    return papers


def normalise(text: str) -> str:
    """Return *text* as the exporter is allowed to change it: NFC, single spaces, no controls."""
    text = "".join(c for c in text if unicodedata.category(c) != "Cc" or c.isspace())
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _make_decoder() -> latex2text.LatexNodes2Text:
    """Return a LaTeX -> text converter that inverts the exporter exactly.

    Two changes to pylatexenc's defaults: the brace and caret macros decode to
    the ASCII characters (pylatexenc gives "" and "ˆ"), and TeX ligatures
    (``--``, ````` ``, ``?```) stay as typed, since the exporter leaves them for
    LaTeX to typeset as the dashes and quotes their writer meant.
    """
    db = latex2text.get_default_latex_context_db()
    db = db.filter_context(exclude_categories=["nonascii-specials"])
    db.add_context_category(
        "readinglist-literals",
        prepend=True,
        macros=[
            latex2text.MacroTextSpec("textbraceleft", "{"),
            latex2text.MacroTextSpec("textbraceright", "}"),
            latex2text.MacroTextSpec("textasciicircum", "^"),
        ],
        specials=[latex2text.SpecialsTextSpec("~", "\N{NO-BREAK SPACE}")],
    )
    return latex2text.LatexNodes2Text(latex_context=db)


DECODER = _make_decoder()


def decode(latex: str) -> str:
    """Return the text a field value stands for (protective braces vanish)."""
    text: str = DECODER.latex_to_text(latex)
    return text


def braces_balance(text: str) -> bool:
    """Return whether braces balance the way BibTeX counts them (backslash or not)."""
    depth = 0
    for c in text:
        depth += (c == "{") - (c == "}")
        if depth < 0:
            return False
    return depth == 0


def fields_of(bib: str) -> dict[str, str]:
    """Return the raw field values of the single entry in *bib*, parsed by pybtex."""
    data = pybtex.database.parse_string(bib, "bibtex")
    assert len(data.entries) == 1
    (only,) = data.entries.values()
    return dict(only.fields)


def field_names(bib: str) -> list[str]:
    return re.findall(r"^  (\w+) = ", bib, flags=re.MULTILINE)


# --- encode_text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
        ("\\", r"\textbackslash{}"),
        ("{", r"\textbraceleft{}"),
        ("}", r"\textbraceright{}"),
        ("TÜLU", r"T{\"U}LU"),
        ("Müller", r"M{\"u}ller"),
        ("déjà", r"d{\'e}j{\`a}"),
        ("Strauß", r"Strau{\ss}"),
        ("83.6% on Top-1", r"83.6\% on Top-1"),
        ("Arora & Goyal, 2023", r"Arora \& Goyal, 2023"),
        ("scale~(YOLOv5-S)", r"scale\textasciitilde{}(YOLOv5-S)"),
        ("N^k", r"N\textasciicircum{}k"),
        (
            "{p}_{theta}",
            r"\textbraceleft{}p\textbraceright{}\_\textbraceleft{}theta\textbraceright{}",
        ),
    ],
)
def test_encode_text(text: str, latex: str) -> None:
    assert encode_text(text) == latex


def test_latex_looking_text_is_literal_and_escaped_once() -> None:
    # The stored text is plain Unicode: a backslash in it is a backslash.
    assert encode_text(r"T\"ULU 3") == r'T\textbackslash{}"ULU 3'
    assert encode_text(r"50\%") == r"50\textbackslash{}\%"
    assert encode_text(r"\url{https://x.org/a_b}") == (
        r"\textbackslash{}url\textbraceleft{}https://x.org/a\_b\textbraceright{}"
    )
    # Replacements contain backslashes and braces; they are never escaped again.
    assert encode_text("~{") == r"\textasciitilde{}\textbraceleft{}"
    assert encode_text("Ü\\") == r"{\"U}\textbackslash{}"


def test_plain_ascii_is_unchanged() -> None:
    text = "Previous research on lightweight models (CNNs) has focused on designs: x21 faster!"
    assert encode_text(text) == text
    assert encode_text("") == ""


def test_whitespace_is_collapsed() -> None:
    assert encode_text("  a \n\n b\t c\r\n ") == "a b c"
    assert encode_text("a\u00a0b\u2009c") == "a b c"


def test_control_characters_are_dropped() -> None:
    assert encode_text("a\x00b\x1bc\x7fd\x9fe") == "abcde"
    assert encode_text("a\x85b") == "a b"  # NEL is a line break, hence whitespace


def test_combining_accents_are_composed() -> None:
    assert encode_text("U\u0308ber") == r"{\"U}ber"


def test_characters_without_latex_stay_utf8() -> None:
    assert encode_text("中文 😀") == "中文 😀"


def test_bogus_pylatexenc_replacements_are_not_used() -> None:
    # pylatexenc maps "ŉ" to \nument{149}; the exporter keeps such characters.
    assert encode_text("ŉ") == "ŉ"


def test_math_symbols_use_ensuremath() -> None:
    assert encode_text("α-decay") == r"{\ensuremath{\alpha}}-decay"


def test_multiline_keeps_lines() -> None:
    note = "# Heading  \r\n\r\n\r\n- item\n  - sub\titem\n\n"
    assert encode_text(note, multiline=True) == "\\# Heading\n\n- item\n  - sub item"
    assert encode_text("\n\n", multiline=True) == ""


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_encode_text_balances_braces_and_decodes_back(text: str) -> None:
    latex = encode_text(text)
    assert braces_balance(latex)
    assert "\n" not in latex
    # Only escaped specials remain.
    assert re.search(r"(?<!\\)[&%$#_]", latex) is None
    assert normalise(decode(latex)) == normalise(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_encode_multiline_decodes_back(text: str) -> None:
    latex = encode_text(text, multiline=True)
    assert braces_balance(latex)
    assert normalise(decode(latex)) == normalise(text)


# --- protect_title --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "latex"),
    [
        (
            "YOLOv6: A Single-Stage Object Detection Framework",
            "{YOLOv6}: A Single-Stage Object Detection Framework",
        ),
        ("Bridging the Gap in LLMs", "Bridging the Gap in {LLMs}"),
        ("TÜLU 3: Pushing Frontiers", r"{T{\"U}LU} 3: Pushing Frontiers"),
        (
            "MobileMamba: Lightweight Multi-Receptive Visual Mamba Network",
            "{MobileMamba}: Lightweight Multi-Receptive Visual Mamba Network",
        ),
        ("Medprompt and GPT-4", "Medprompt and {GPT-4}"),
        ("Robustness of ABSA", "Robustness of {ABSA}"),
        ("Llama2 Chat", "{Llama2} Chat"),
        ("YOLOv5-S and GPT-J", "{YOLOv5-S} and {GPT-J}"),
        ("Pass@N", "{Pass@N}"),
        ("What I Learned", "What {I} Learned"),
        ("Policies in the U.S. and A/B Tests", "Policies in the {U.S}. and {A/B} Tests"),
        (
            "Orca 2: Teaching Small Language Models How to Reason",
            "Orca 2: Teaching Small Language Models How to Reason",
        ),
        ("A Survey", "A Survey"),
        ("Aspect-based Sentiment", "Aspect-based Sentiment"),
        ("ReST-MCTS*: LLM Self-Training", "{ReST-MCTS}*: {LLM} Self-Training"),
        ("Über alles", r"{\"U}ber alles"),
        ("50% & {x}", r"50\% \& \textbraceleft{}x\textbraceright{}"),
        ("", ""),
    ],
)
def test_protect_title(title: str, latex: str) -> None:
    assert protect_title(title) == latex


def test_title_is_not_double_braced() -> None:
    latex = protect_title("Attention Is All You Need")
    assert latex == "Attention Is All You Need"
    assert not latex.startswith("{{")


def _reference_protected_runs(title: str) -> list[int]:
    """The protection rule applied to every run, without the exporter's shortcuts."""
    return [
        m.start()
        for m in title_case._RUN.finditer(title)
        if title_case._run_needs_protection(title, m.start(), m.group())
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("aAbBzZ09 -./@'’:()éÉÜüßǅ\"İı")), max_size=40)
    | st.text(alphabet=st.sampled_from(list("aAbBlLzZ019 -./@':()*_\"")), max_size=40)
    | st.text(max_size=40)
)
def test_word_shortcuts_agree_with_the_rule(title: str) -> None:
    clean = latex_text._clean(title)
    assert title_case._protected_runs(clean) == _reference_protected_runs(clean)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_protect_title_balances_and_decodes_back(title: str) -> None:
    latex = protect_title(title)
    assert braces_balance(latex)
    assert normalise(decode(latex)) == normalise(title)


# --- entries --------------------------------------------------------------------------


def test_feed_paper_with_arxiv_id_is_misc() -> None:
    bib = entry(
        paper(
            title="TÜLU 3",
            authors=("Nathan Lambert", "Jacob Morrison"),
            year=2024,
            arxiv_id="2411.15124",
            citekey="lambertTULU32024",
            extra=(("primaryclass", "cs.CL"),),
        )
    )
    assert bib == (
        "@misc{lambertTULU32024,\n"
        "  author = {Lambert, Nathan and Morrison, Jacob},\n"
        '  title = {{T{\\"U}LU} 3},\n'
        "  year = {2024},\n"
        "  howpublished = {arXiv preprint arXiv:2411.15124},\n"
        "  eprint = {2411.15124},\n"
        "  archivePrefix = {arXiv},\n"
        "  primaryClass = {cs.CL}\n"
        "}\n"
    )


def test_arxiv_prefix_in_the_id_is_not_repeated() -> None:
    fields = fields_of(entry(paper(arxiv_id="arXiv:2403.01234v2")))
    assert fields["eprint"] == "2403.01234v2"
    assert fields["howpublished"] == "arXiv preprint arXiv:2403.01234v2"


def test_field_order_is_fixed() -> None:
    bib = entry(
        paper(
            authors=("A B",),
            year=2020,
            venue="Workshop",
            arxiv_id="2001.00001",
            doi="10.1000/x",
            url="https://x.org",
            abstract="Abs",
            tags=("t",),
            note="n",
        )
    )
    assert field_names(bib) == [
        "author",
        "title",
        "year",
        "howpublished",
        "note",
        "eprint",
        "archivePrefix",
        "doi",
        "url",
        "abstract",
        "keywords",
        "annote",
    ]


def test_article_needs_a_journal() -> None:
    full = paper(entry_type="article", venue="JMLR", authors=("A B",), year=2020)
    bib = entry(full)
    assert bib.startswith("@article{key2024,\n")
    assert "  journal = {JMLR},\n" in bib
    assert "howpublished" not in bib
    no_venue = replace(full, venue="")
    assert entry_type(no_venue) == "misc"
    assert "journal" not in entry(no_venue)


def test_inproceedings_has_booktitle() -> None:
    full = paper(entry_type="inproceedings", venue="NeurIPS", authors=("A B",), year=2020)
    bib = entry(full)
    assert bib.startswith("@inproceedings{")
    assert "  booktitle = {NeurIPS},\n" in bib
    assert entry_type(replace(full, entry_type="conference")) == "inproceedings"
    assert entry_type(replace(full, entry_type=" InProceedings ")) == "inproceedings"


@pytest.mark.parametrize("missing", ["venue", "authors", "title"])
def test_incomplete_article_falls_back_to_misc(missing: str) -> None:
    full = paper(entry_type="article", venue="JMLR", authors=("A B",), year=2020)
    empty: dict[str, Any] = {"venue": "", "authors": (), "title": ""}
    assert entry_type(full) == "article"
    # Authors are stored twice (display names and people): take both away.
    gone = {"people": ()} if missing == "authors" else {}
    assert entry_type(replace(full, **{missing: empty[missing]}, **gone)) == "misc"


def test_undated_article_stays_an_article_with_no_date() -> None:
    # Every entry gets a year ("n.d." without one), so the article's fields hold.
    undated = paper(entry_type="article", venue="JMLR", authors=("A B",))
    assert entry_type(undated) == "article"
    assert fields_of(entry(undated))["year"] == "n.d."


def test_every_entry_has_a_year() -> None:
    assert fields_of(entry(paper()))["year"] == "n.d."
    assert fields_of(entry(paper(year=1999)))["year"] == "1999"
    problems: list[Problem] = []
    bogus = paper(year="19); DROP", citekey="k")  # type: ignore[arg-type]
    assert fields_of(entry(bogus, problems=problems))["year"] == "n.d."
    assert [p.describe() for p in problems] == [
        "k: year '19); DROP' is not a number; written as n.d."
    ]


@pytest.mark.parametrize("kind", ["", "misc", "online", "book", "phdthesis", "ARTICLE "])
def test_other_types_are_misc(kind: str) -> None:
    assert entry_type(paper(entry_type=kind)) == "misc"


def test_extra_fields_follow_the_entry_type() -> None:
    extra = _ALL_EXTRA
    article = entry(
        paper(entry_type="article", venue="J", authors=("A B",), year=2020, extra=extra)
    )
    assert field_names(article) == [
        "author",
        "title",
        "journal",
        "year",
        "month",
        "volume",
        "number",
        "pages",
        "issn",
    ]
    inproc = entry(
        paper(entry_type="inproceedings", venue="C", authors=("A B",), year=2020, extra=extra)
    )
    # plain.bst warns about a number beside a volume: the number is left out.
    assert field_names(inproc) == [
        "author",
        "title",
        "booktitle",
        "year",
        "month",
        "editor",
        "volume",
        "pages",
        "series",
        "publisher",
        "organization",
        "address",
        "isbn",
        "issn",
    ]
    # @misc stands in for books, theses, reports: it keeps every field.
    misc = field_names(entry(paper(year=2020, extra=extra)))
    assert set(misc) >= {name for name, _value in extra}


def test_extra_field_values() -> None:
    fields = fields_of(entry(paper(year=2020, extra=_ALL_EXTRA)))
    assert fields["pages"] == "12--34"
    assert fields["publisher"] == r"Springer \textbraceleft{}Nature\textbraceright{} 100\%"
    assert fields["organization"] == r"ACM \& IEEE"
    bib = entry(paper(year=2020, extra=_ALL_EXTRA))
    assert "  editor = {Hopper, Grace and Turing, Alan M. and others},\n" in bib
    assert "  month = mar,\n" in bib


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("March", "mar"),
        ("mar", "mar"),
        ("Sept.", "sep"),
        ("12", "dec"),
        ("03", "mar"),
        ("Spring", "{Spring}"),
        ("13", "{13}"),
    ],
)
def test_month_is_a_macro_when_it_is_a_month(stored: str, written: str) -> None:
    bib = entry(paper(year=2020, extra=(("month", stored),)))
    assert f"  month = {written},\n" in bib or f"  month = {written}\n" in bib


def test_month_needs_a_year() -> None:
    # plain.bst: "there's a month but no year".
    assert "month" not in entry(paper(extra=(("month", "March"),)))


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("12–34", "12--34"),
        ("12-34", "12--34"),
        ("12 -- 34", "12--34"),
        ("12—34", "12--34"),
        ("e1234", "e1234"),
        ("S1–S10, 12", "S1--S10, 12"),
    ],
)
def test_pages_get_bibtex_range_dash(stored: str, written: str) -> None:
    assert fields_of(entry(paper(extra=(("pages", stored),))))["pages"] == written


def test_inproceedings_number_needs_a_series_and_no_volume() -> None:
    base = {"entry_type": "inproceedings", "venue": "C", "authors": ("A B",), "year": 2020}
    numbered = paper(**base, extra=(("number", "7"), ("series", "LNCS")))
    assert fields_of(entry(numbered))["number"] == "7"
    assert "number" not in fields_of(entry(paper(**base, extra=(("number", "7"),))))


def test_primary_class_goes_with_an_eprint_only() -> None:
    extra = (("primaryclass", "cs.CL"),)
    assert fields_of(entry(paper(arxiv_id="2401.00001", extra=extra)))["primaryClass"] == "cs.CL"
    assert "primaryClass" not in entry(paper(extra=extra))


def test_editor_names_are_bibtex_names() -> None:
    bib = entry(paper(extra=(("editor", "Ludwig van Beethoven and Müller, Jürgen and others"),)))
    assert r"editor = {van Beethoven, Ludwig and M{\"u}ller, J{\"u}rgen and others}" in bib
    persons = pybtex.database.parse_string(bib, "bibtex").entries["key2024"].persons["editor"]
    assert [str(p) for p in persons] == [
        "van Beethoven, Ludwig",
        'M{\\"u}ller, J{\\"u}rgen',
        "others",
    ]


def test_misc_venue_goes_to_howpublished() -> None:
    assert fields_of(entry(paper(venue="Hugging Face Daily Papers")))["howpublished"] == (
        "Hugging Face Daily Papers"
    )


def test_url_and_doi_are_verbatim() -> None:
    # url.sty, hyperref and biber read them verbatim: no LaTeX escaping.
    url = "https://example.org/a_b%20c?x=1&y=2#frag"
    doi = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
    bib = entry(paper(url=url, doi=doi))
    assert f"  url = {{{url}}}" in bib
    assert f"  doi = {{{doi}}}" in bib


def test_url_breaking_characters_are_percent_encoded() -> None:
    fields = fields_of(entry(paper(url=" https://x.org/a b{c}\u00a0d\n ")))
    assert fields["url"] == "https://x.org/a%20b%7Bc%7D%C2%A0d"


def test_url_and_doi_characters_tex_reads_as_markup_are_percent_encoded() -> None:
    bib = entry(
        paper(
            url='http://x.org/\\input|"touch PWNED"^^5c~u#frag#more%zz',
            doi="doi:10.1002/x%y#z^^5c{}~",
        )
    )
    fields = fields_of(bib)
    # An existing escape and the first "#" (the fragment) keep their meaning.
    assert fields["url"] == (
        "http://x.org/%5Cinput%7C%22touch%20PWNED%22%5E%5E5c%7Eu#frag%23more%25zz"
    )
    assert fields["doi"] == "10.1002/x%25y%23z%5E%5E5c%7B%7D%7E"
    assert "^" not in bib and "\\" not in bib


def test_invalid_url_doi_and_arxiv_id_are_left_out_and_reported() -> None:
    problems: list[Problem] = []
    bib = entry(
        paper(
            url="javascript:alert(1)",
            doi="not a doi",
            arxiv_id="\\input|cmd",
            citekey="k",
        ),
        problems=problems,
    )
    assert field_names(bib) == ["title", "year", "key"]
    assert [p.describe() for p in problems] == [
        "k: '\\input|cmd' is not a valid arXiv id; left out",
        "k: 'not a doi' is not a valid DOI; left out",
        "k: 'javascript:alert(1)' is not a valid URL (http, https or ftp); left out",
    ]


def test_export_warnings_are_logged_without_a_list(caplog: pytest.LogCaptureFixture) -> None:
    entry(paper(url="file:///etc/passwd", citekey="k"))
    assert [r.getMessage() for r in caplog.records] == [
        "k: 'file:///etc/passwd' is not a valid URL (http, https or ftp); left out"
    ]


def test_authors() -> None:
    bib = entry(
        paper(
            authors=(
                "Ashish Vaswani",
                "Müller, Jürgen",
                "Barnes and Noble",
                "",
                "  Jean-Pierre   de la Fontaine ",
                "Smith, Jr., John, Extra",
                "R&D Team",
            )
        )
    )
    # Written as "von Last, Jr, First" from the stored parts: no style guesses.
    assert (
        '  author = {Vaswani, Ashish and M{\\"u}ller, J{\\"u}rgen and {Barnes and Noble}'
        " and de la Fontaine, Jean-Pierre and Smith, Jr., John Extra and Team, R\\&D},\n"
    ) in bib
    data = pybtex.database.parse_string(bib, "bibtex")
    persons = data.entries["key2024"].persons["author"]
    assert [str(p) for p in persons] == [
        "Vaswani, Ashish",
        'M{\\"u}ller, J{\\"u}rgen',
        "{Barnes and Noble}",
        "de la Fontaine, Jean-Pierre",
        "Smith, Jr., John Extra",
        "Team, R\\&D",
    ]


def test_entry_without_authors_has_key_field() -> None:
    fields = fields_of(entry(paper(title="On the Robustness of ABSA")))
    assert fields["key"] == "Robustness"
    assert fields_of(entry(paper(title="TÜLU 3")))["key"] == r"T{\"U}LU"
    assert fields_of(entry(paper(title="", citekey="paper")))["key"] == "paper"
    assert "key" not in fields_of(entry(paper(authors=("A B",))))


def test_abstract_tags_note() -> None:
    fields = fields_of(
        entry(
            paper(
                abstract="We reach 83.6% & more.",
                tags=("llm", "to read", "C#"),
                note="Read *twice*.\n\nSee ~/notes.",
            )
        )
    )
    assert fields["abstract"] == r"We reach 83.6\% \& more."
    assert fields["keywords"] == r"llm, to read, C\#"
    assert decode(fields["annote"]) == "Read *twice*. See ~/notes."


def test_empty_fields_are_left_out() -> None:
    bib = entry(paper(title="T", abstract="  ", note="\n", tags=("", " ")))
    assert field_names(bib) == ["title", "year", "key"]


def test_missing_citekey_is_generated() -> None:
    bib = entry(
        paper(title="Attention Is All You Need", authors=("Ashish Vaswani",), year=2017, citekey="")
    )
    assert bib.startswith("@misc{vaswaniAttentionAllYou2017,\n")
    assert entry(paper(citekey="")).startswith("@misc{Title,\n")
    assert entry(paper(), citekey="override").startswith("@misc{override,\n")


def test_unsafe_stored_citekey_is_replaced_stably_and_reported() -> None:
    problems: list[Problem] = []
    hostile = "x^^5cinput^^7c^^22touch^^20PWNED^^22"
    bib = entry(paper(citekey=hostile), problems=problems)
    key = legacy_citekey(hostile)
    assert re.fullmatch(r"x5cinput7c22touch20PWNED22-[0-9a-f]{6}", key)
    assert bib.startswith(f"@misc{{{key},\n")
    assert [p.describe() for p in problems] == [
        f"{key}: citation key '{hostile}' is not safe for LaTeX ({KEY_RULE}); exported as '{key}'"
    ]
    # The same key in every export, whatever else is exported and in what order.
    others = [paper(id=2, citekey="x5cinput7c22touch20PWNED22"), paper(id=3, citekey="a")]
    for papers in ([paper(citekey=hostile), *others], [*others, paper(citekey=hostile)]):
        assert key in pybtex.database.parse_string(dumps(papers, problems=[]), "bibtex").entries
    # An unsafe override is not used either.
    assert entry(paper(citekey="ok"), citekey="a{b", problems=[]).startswith("@misc{ok,\n")


# --- dump / dumps ---------------------------------------------------------------------


def test_dumps_separates_entries_with_a_blank_line() -> None:
    text = dumps([paper(id=1, citekey="a"), paper(id=2, citekey="b")])
    assert text == entry(paper(citekey="a")) + "\n" + entry(paper(citekey="b")) + "\n"
    assert "}\n\n@misc{b," in text
    assert dumps([]) == ""


def test_dump_streams_and_counts() -> None:
    out = io.StringIO()
    assert dump(iter([paper(id=1, citekey="a"), paper(id=2, citekey="b")]), out) == 2
    assert out.getvalue() == dumps([paper(id=1, citekey="a"), paper(id=2, citekey="b")])


def test_dump_writes_batches_of_whole_entries() -> None:
    papers = [paper(id=i, citekey=f"k{i}") for i in range(2 * bibtex._BATCH + 3)]
    writes: list[str] = []

    class Recorder(io.StringIO):
        def write(self, text: str) -> int:
            writes.append(text)
            return super().write(text)

    out = Recorder()
    assert dump(papers, out) == len(papers)
    assert out.getvalue() == "".join(entry(p) + "\n" for p in papers)
    # Two full batches and the rest, each ending with an entry's blank line.
    assert len(writes) == 3
    assert all(text.endswith("}\n\n") for text in writes)


def test_chunked_dump_calls_still_separate_entries() -> None:
    out = io.StringIO()
    taken: set[str] = set()
    dump([paper(citekey="a")], out, taken=taken)
    dump([paper(citekey="A"), paper(citekey="b")], out, taken=taken)
    data = pybtex.database.parse_string(out.getvalue(), "bibtex")
    # "A" clashes with "a" and gets a key generated from the title.
    assert list(data.entries.keys()) == ["a", "Title", "b"]
    assert "}\n\n@misc{" in out.getvalue()


def test_duplicate_keys_are_made_unique_case_insensitively() -> None:
    papers = [
        paper(id=1, title="First", citekey="smith2020"),
        paper(id=2, title="Second", citekey="Smith2020"),
        paper(id=3, title="Third", citekey=""),
        paper(id=4, title="Third", citekey=""),
    ]
    problems: list[Problem] = []
    text = dumps(papers, problems=problems)
    keys = re.findall(r"^@misc\{([^,]+),", text, flags=re.MULTILINE)
    assert keys == ["smith2020", "Second", "Third", "Thirda"]
    assert [p.describe() for p in problems] == [
        "Second: citation key 'Smith2020' is taken by an earlier entry; exported as 'Second'"
    ]
    # pybtex rejects case-insensitive duplicates: parsing proves uniqueness.
    assert len(pybtex.database.parse_string(text, "bibtex").entries) == 4


def test_registry() -> None:
    assert EXPORTERS["bibtex"] is dumps
    assert SUFFIXES["bibtex"] == ".bib"


# --- round trips ----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(title=st.text(), abstract=st.text(), tag=st.text(max_size=20), note=st.text(max_size=200))
def test_entry_round_trips_through_pybtex(title: str, abstract: str, tag: str, note: str) -> None:
    bib = entry(paper(title=title, abstract=abstract, tags=(tag,), note=note, citekey="k"))
    assert braces_balance(bib)
    fields = fields_of(bib)  # pybtex is strict: raises on a broken entry
    assert normalise(decode(fields.get("title", ""))) == normalise(title)
    assert normalise(decode(fields.get("abstract", ""))) == normalise(abstract)
    assert normalise(decode(fields.get("keywords", ""))) == normalise(tag)
    assert normalise(decode(fields.get("annote", ""))) == normalise(note)


def test_sample_round_trips_through_pybtex() -> None:
    papers = load_sample()
    assert len(papers) == 101
    data = pybtex.database.parse_string(dumps(papers), "bibtex")
    assert len(data.entries) == 101
    for original, (key, parsed) in zip(papers, data.entries.items(), strict=True):
        assert key == original.citekey
        title = decode(parsed.fields["title"])
        abstract = decode(parsed.fields["abstract"])
        assert normalise(title) == normalise(original.title)
        assert normalise(abstract) == normalise(original.abstract)
        # docs/bibtex.md: no abstract may come out shorter than the page's text.
        assert len(abstract) >= len(" ".join(original.abstract.split()))


def test_sample_escapes_what_it_must() -> None:
    text = dumps(load_sample())
    assert r"{T{\"U}LU} 3: Pushing Frontiers" in text
    assert r"83.6\% on Top-1" in text
    assert r"(Arora \& Goyal, 2023)" in text
    assert r"scale\textasciitilde{}(YOLOv5-S" in text
    assert 'T\\textbackslash{}"ULU 3' in text
    assert "{YOLOv6}: A Single-Stage" in text
    assert "  key = {MobileMamba}" in text


def _edge_case_papers() -> list[PaperData]:
    """Papers exercising every entry type and field the exporter writes."""
    return [
        paper(
            id=1,
            title="TÜLU 3: Pushing Frontiers in Open Language Model Post-Training",
            authors=(
                "Nathan Lambert",
                "Müller, Jürgen",
                "Ludwig van Beethoven",
                "Barnes and Noble",
            ),
            year=2024,
            arxiv_id="2411.15124",
            url="https://arxiv.org/abs/2411.15124?x=a_b%20c#frag",
            doi="10.48550/arXiv.2411.15124",
            abstract="83.6% & ~ ^ $ # _ \\ { } αβ 中文",
            tags=("llm", "C#", "to read"),
            note="# Note\n\n- first\n- second ~ 50%",
            citekey="lambertTULU3Pushing2024",
        ),
        paper(
            id=2,
            title="Attention Is All You Need",
            authors=("Ashish Vaswani", "Noam Shazeer"),
            year=2017,
            entry_type="inproceedings",
            venue="Advances in Neural Information Processing Systems",
            citekey="vaswaniAttentionAllYou2017",
        ),
        paper(
            id=3,
            title="Deep Learning",
            authors=("Yann LeCun", "Yoshua Bengio", "Geoffrey Hinton"),
            year=2015,
            entry_type="article",
            venue="Nature",
            doi="10.1038/nature14539",
            citekey="lecunDeepLearning2015",
        ),
        paper(id=4, title="An Article Without a Journal", entry_type="article", citekey="x"),
        paper(id=6, title="Só Ümlaut Ørsted", authors=("Søren Kierkegaard",), citekey="s"),
        # Every extra field, on each entry type, with and without a year.
        paper(
            id=7,
            title="Deep Residual Learning",
            people=(
                Person(given="Kaiming", family="He"),
                Person(given="Ludwig", family="Beethoven", prefix="van"),
                Person(given="Martin Luther", family="King", suffix="Jr."),
            ),
            year=2016,
            entry_type="article",
            venue="Journal of {Hostile} 50% & Co",
            extra=_ALL_EXTRA,
            citekey="he2016",
        ),
        paper(
            id=8,
            title="An Undated Article",
            authors=("Ada Lovelace",),
            entry_type="article",
            venue="Nature",
            extra=_ALL_EXTRA,
            citekey="undatedArticle",
        ),
        paper(
            id=9,
            title="Proceedings With Everything",
            authors=("Ada Lovelace",),
            year=2020,
            entry_type="inproceedings",
            venue="Proc. of ICML",
            extra=_ALL_EXTRA,
            citekey="inproc",
        ),
        paper(
            id=10,
            title="Numbered in a Series",
            authors=("Ada Lovelace",),
            year=2021,
            entry_type="inproceedings",
            venue="Workshop",
            extra=(("number", "7"), ("series", "LNCS")),
            citekey="inprocNumber",
        ),
        paper(
            id=11,
            title="A Book as Misc",
            authors=("Ada Lovelace",),
            year=1843,
            entry_type="book",
            arxiv_id="2401.00001",
            extra=(*_ALL_EXTRA, ("primaryclass", "cs.LG")),
            citekey="book",
        ),
        paper(id=12, title="Undated Misc With a Month", extra=_ALL_EXTRA, citekey="undatedMisc"),
    ]


_ALL_EXTRA = (
    ("address", "New York, NY"),
    ("edition", "2nd"),
    ("editor", "Grace Hopper and Alan M. Turing and others"),
    ("institution", "MIT"),
    ("isbn", "978-3-16-148410-0"),
    ("issn", "0028-0836"),
    ("month", "March"),
    ("number", "3"),
    ("organization", "ACM & IEEE"),
    ("pages", "12–34"),
    ("publisher", "Springer {Nature} 100%"),
    ("school", "Stanford"),
    ("series", "LNCS"),
    ("volume", "42"),
)


# The styles of texlive-base, and natbib's author-year styles (texlive-latex-base):
# those warned "empty year" until every entry got one ("n.d." without a year).
STYLES = ["plain", "alpha", "unsrt", "abbrv", "ieeetr", "acm", "plainnat", "abbrvnat", "unsrtnat"]


def _run_bibtex(directory: Path, bib: str, style: str = "plain") -> str:
    """Run real bibtex with *style* over *bib*; return the .blg log."""
    if shutil.which("bibtex") is None:
        pytest.skip("bibtex not installed (apt-get install texlive-binaries texlive-base)")
    if style != "plain" and shutil.which("kpsewhich") is not None:
        found = subprocess.run(
            ["kpsewhich", f"{style}.bst"], capture_output=True, text=True, check=False
        )
        if not found.stdout.strip():
            pytest.skip(f"{style}.bst not installed")
    (directory / "refs.bib").write_text(bib, encoding="utf-8")
    (directory / "refs.aux").write_text(
        f"\\relax\n\\citation{{*}}\n\\bibstyle{{{style}}}\n\\bibdata{{refs}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["bibtex", "refs"], cwd=directory, capture_output=True, text=True, timeout=120, check=False
    )
    log = (directory / "refs.blg").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, result.stdout + result.stderr + log
    # bibtex exits 0 even with warnings: the log tells.
    assert "Warning--" not in log, log
    assert "error message" not in log, log
    return log


def _bibitems(directory: Path) -> int:
    return (directory / "refs.bbl").read_text(encoding="utf-8").count("\\bibitem")


def test_real_bibtex_accepts_the_sample(tmp_path: Path) -> None:
    _run_bibtex(tmp_path, dumps(load_sample()))
    assert _bibitems(tmp_path) == 101


@pytest.mark.parametrize("style", STYLES)
def test_real_bibtex_accepts_every_entry_kind(tmp_path: Path, style: str) -> None:
    papers = _edge_case_papers()
    _run_bibtex(tmp_path, dumps(papers), style)
    assert _bibitems(tmp_path) == len(papers)
    bbl = (tmp_path / "refs.bbl").read_text(encoding="utf-8")
    assert "arXiv preprint arXiv:2411.15124" in bbl
    if style == "plain":
        # plain.bst lower-cases titles; protected words keep their case.
        assert r"{T{\"U}LU} 3: Pushing frontiers" in bbl


@pytest.mark.parametrize("style", ["alpha", "unsrt", "abbrv"])
def test_real_bibtex_other_styles_accept_the_sample(tmp_path: Path, style: str) -> None:
    _run_bibtex(tmp_path, dumps(load_sample()), style)
    assert _bibitems(tmp_path) == 101
