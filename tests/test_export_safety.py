"""Hostile data, exported and compiled for real with shell escape on: nothing runs.

TeX runs a shell command from ``\\input|"cmd"`` or ``\\write18{cmd}`` when
``-shell-escape`` is on (some editors turn it on for minted and the like), and
reads ``^^5c`` as a backslash.  A citation key, URL or DOI from a hostile
``.bib`` used to reach the ``.bbl`` raw, and a document citing the export ran
the command.  Here every field that reaches a ``.bib`` carries such payloads,
each creating a file named ``PWNED-<where>``; the export is compiled with
real ``pdflatex -shell-escape`` and ``bibtex`` under ``plain`` and natbib's
``plainnat``, with and without the url and hyperref packages, and the tests
check that the document builds, the ``.bbl`` has every entry and no such
file exists.  Two controls prove the check can fail: shell escape really runs
a command in this TeX installation, and the payloads do run when written the
way the exporter used to write them.

These tests must run, never skip: the TeX tools come from the Debian package
``texlive-latex-base`` (pdflatex, natbib and plainnat.bst, hyperref, url),
which the Makefile installs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pybtex.database
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readinglist.citekeys import is_valid_citekey, legacy_citekey
from readinglist.core.exports import ExportScope
from readinglist.exporters.bibtex import dumps, encode_text
from readinglist.exporters.verbatim import URL_SCHEMES, safe_arxiv_id, safe_doi, safe_url
from readinglist.library import Library
from readinglist.people import Person, people_from_names
from readinglist.records import PaperData, Problem

# --- payloads --------------------------------------------------------------------------


def payloads(where: str) -> list[str]:
    """Return TeX that would create ``PWNED-<where>-<n>`` if TeX ever ran it."""
    name = f"PWNED-{where}"
    return [
        rf'\input|"touch {name}-1"',
        rf"\immediate\write18{{touch {name}-2}}",
        # ^^5c is "\", ^^7c "|", ^^22 '"', ^^20 " " and ^^7b/^^7d braces to TeX.
        f"^^5cinput^^7c^^22touch^^20{name}-3^^22",
        f"^^5cimmediate^^5cwrite18^^7btouch {name}-4^^7d",
        # ^^ followed by a control character: 0x1c + 64 is "\".
        f'^^\x1cinput|"touch {name}-5"',
        rf'\csname input\endcsname|"touch {name}-6"',
        rf"\immediate\openout1={name}-7.tex \immediate\closeout1",
        rf'\def\x{{\input|"touch {name}-8"}}\x',
        rf'\catcode`\^=7 \catcode`\|=12 ^^5cinput|"touch {name}-9"',
        # Closing the field's group early, then a command.
        rf'}} \input|"touch {name}-10" {{',
        rf'{{ \input|"touch {name}-11"',
        rf'50% \input|"touch {name}-12"',
        rf'$\input|"touch {name}-13"$ # & _ ~ \include{{{name}-14}}',
    ]


def text_payload(where: str) -> str:
    return " ".join(payloads(where))


HOSTILE_KEYS = [
    "x^^5cinput^^7c^^22touch^^20PWNED-key-1^^22",
    r'y\input|"touch PWNED-key-2"',
    "z^^5cimmediate^^5cwrite18^^7btouch^^20PWNED-key-3^^7d",
    "w^^\x1cinput|touch",
    "{}%#~",
]

HOSTILE_URLS = [
    r'http://example.org/\input|"touch^^20PWNED-url-1"',
    "https://example.org/^^5cinput^^7c^^22touch^^20PWNED-url-2^^22#a#b",
    "https://example.org/" + "\\" * 200 + "{}%" + "^" * 50,
    'javascript:\\input|"touch PWNED-url-4"',
    'file:///\\input|"touch PWNED-url-5"',
]

HOSTILE_DOIS = [
    r'10.1234/\input|"touch^^20PWNED-doi-1"',
    "doi:10.1234/^^5cinput^^7c^^22touch^^20PWNED-doi-2^^22",
    '\\input|"touch PWNED-doi-3"',
]


@dataclass(frozen=True)
class StoredRecord:
    """A record as a library written by something else could hold it: any year."""

    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    year: Any = None
    venue: str = ""
    arxiv_id: str = ""
    doi: str = ""
    url: str = ""
    entry_type: str = ""
    citekey: str = ""
    tags: tuple[str, ...] = ()
    note: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def people(self) -> tuple[Person, ...]:
        return tuple(people_from_names(self.authors))


def hostile_records() -> list[PaperData | StoredRecord]:
    """Records with payloads in every field the exporter writes (keys as stored, unsafe)."""
    records: list[PaperData | StoredRecord] = []
    for n, key in enumerate(HOSTILE_KEYS):
        kind = ["article", "inproceedings", "misc", "misc", "article"][n]
        records.append(
            PaperData(
                id=n + 1,
                title=f"Title {n} " + text_payload(f"title{n}"),
                abstract=text_payload(f"abstract{n}"),
                # Each payload a name, and one name too long for a label.
                authors=(f"Mallory {n}", *payloads(f"author{n}"), "Long" * 100),
                year=2020 + n,
                venue=text_payload(f"venue{n}"),
                arxiv_id=r'2403.01234\input|"touch PWNED-arxiv"' if n == 2 else "2403.01234",
                doi=HOSTILE_DOIS[n % len(HOSTILE_DOIS)],
                url=HOSTILE_URLS[n],
                entry_type=kind,
                citekey=key,
                tags=tuple(payloads(f"tag{n}")),
                note=text_payload(f"note{n}").replace(" ", "\n", 3),
            )
        )
    # No authors and no word in the title: the "key" field falls back to the key.
    records.append(PaperData(id=10, title="^^ \\ {", citekey="a_b"))
    records.append(StoredRecord(title="Year", citekey="year", year='\\input|"touch PWNED-year"'))
    return records


HOSTILE_BIB = r"""
@preamble{"\immediate\write18{touch PWNED-preamble}"}
@string{quote = {"}}
@string{evil = "\input|" # quote # "touch PWNED-string" # quote}

@article{x^^5cinput^^7c^^22touch^^20PWNED-bibkey-1^^22,
  author = {Mallory ^^5cinput^^7c^^22touch^^20PWNED-bibauthor^^22
            and \input|"touch PWNED-bibauthor2"},
  title = {\input|"touch PWNED-bibtitle" \immediate\write18{touch PWNED-bibtitle18} \{ unbalanced},
  journal = {^^5cinput^^7c^^22touch^^20PWNED-bibjournal^^22 \}},
  year = {2024\input|"touch PWNED-bibyear"},
  doi = {10.1234/^^5cinput^^7c^^22touch^^20PWNED-bibdoi^^22},
  url = {http://example.org/\input|"touch^^20PWNED-biburl"},
  abstract = {\catcode`\^=7 \csname input\endcsname|"touch PWNED-bibabstract"},
  annote = {\immediate\openout1=PWNED-bibannote.tex \include{PWNED-bibinclude}},
  keywords = {\input|"touch PWNED-bibkeyword", ^^5cwrite18^^7btouch PWNED-bibkeyword2^^7d},
}

@inproceedings{y\input|^^22touch^^20PWNED-bibkey-2^^22,
  author = {Eve \textbackslash{}input|"touch PWNED-bibauthor3"},
  title = evil,
  booktitle = {\textbackslash input|"touch PWNED-bibbooktitle"},
  year = {2023},
  howpublished = {\url{http://example.org/\input|"touch^^20PWNED-bibhowpublished"}},
}

@misc{Müller2020,
  title = "Quoted \input|{"}touch PWNED-bibquoted{"} ^^5c",
  eprint = {\input|"touch PWNED-bibeprint"},
  archivePrefix = {arXiv},
  url = {javascript:alert(1)},
  note = {^^5cinput^^7c^^22touch^^20PWNED-bibnote^^22},
}

@misc{%#~,
  title = {Only unsafe characters in the key},
}
"""

# --- building a document ---------------------------------------------------------------

LATEX = ["pdflatex", "-shell-escape", "-interaction=nonstopmode", "doc.tex"]
# The TeX files a build needs, all in Debian's texlive-latex-base.
TEX_FILES = ["plain.bst", "plainnat.bst", "natbib.sty", "url.sty", "hyperref.sty"]


def require_tex() -> None:
    """Fail (never skip) when the TeX tools are missing: CI must run these tests."""
    missing = [tool for tool in ("pdflatex", "bibtex", "kpsewhich") if shutil.which(tool) is None]
    assert not missing, f"{missing} not installed: apt-get install texlive-latex-base"
    for name in TEX_FILES:
        found = subprocess.run(
            ["kpsewhich", name], capture_output=True, text=True, timeout=60, check=False
        )
        assert found.stdout.strip(), f"{name} not found: apt-get install texlive-latex-base"


@dataclass
class Build:
    """What compiling a document citing an export gave."""

    directory: Path
    keys: list[str]
    returncodes: list[int]
    output: str

    @property
    def ok(self) -> bool:
        return not any(self.returncodes)

    def bibitems(self) -> int:
        return (self.directory / "doc.bbl").read_text(encoding="utf-8").count("\\bibitem")

    def ran(self) -> list[str]:
        """Files a payload created (any case: DOIs are stored lower-cased)."""
        return sorted(p.name for p in self.directory.iterdir() if "pwned" in p.name.lower())


def build(directory: Path, bib: str, style: str, packages: tuple[str, ...]) -> Build:
    """Compile a document citing every entry of *bib*: pdflatex, bibtex, pdflatex twice.

    The keys are cited by name, as a user's document would cite them, and
    ``\\nocite{*}`` adds any other entry.  No ``-halt-on-error``: TeX goes on
    after an error and reads the whole bibliography, payloads included.
    """
    require_tex()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "refs.bib").write_text(bib, encoding="utf-8")
    keys = list(pybtex.database.parse_string(bib, "bibtex").entries.keys())
    preamble = [r"\documentclass{article}"]
    if style == "plainnat":
        preamble.append(r"\usepackage{natbib}")
    preamble += [rf"\usepackage{{{package}}}" for package in packages]
    (directory / "doc.tex").write_text(
        "\n".join(
            [
                *preamble,
                r"\begin{document}",
                rf"Cited: \cite{{{','.join(keys)}}}.\nocite{{*}}",
                rf"\bibliographystyle{{{style}}}",
                r"\bibliography{refs}",
                r"\end{document}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    codes: list[int] = []
    output: list[str] = []
    # The last run resolves the citations (from the .aux the one before wrote).
    for command in (LATEX, ["bibtex", "doc"], LATEX, LATEX):
        run = subprocess.run(
            command,
            cwd=directory,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=300,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        codes.append(run.returncode)
        output.append(f"$ {' '.join(command)} -> {run.returncode}\n{run.stdout}{run.stderr}")
    return Build(directory, keys, codes, "\n".join(output))


def assert_safe_build(result: Build, entries: int) -> None:
    assert result.ran() == [], result.output
    assert result.ok, result.output
    assert result.bibitems() == entries, result.output


def imported_export(directory: Path) -> str:
    """Import HOSTILE_BIB into a fresh library and export it all; return the export."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "hostile.bib"
    source.write_text(HOSTILE_BIB, encoding="utf-8")
    library = Library(directory / "lib")
    try:
        (report,) = library.import_paths([source])
        assert not report.error and len(report.added) == 4, report.summary()
        # The four unsafe keys were changed, and the import said so.
        changed = [p for p in report.problems if "is not safe for LaTeX" in p.message]
        assert len(changed) == 4, report.to_json()
        target = directory / "export.bib"
        assert library.export_to_file(library.export_ids(ExportScope.ALL), target) == 4
    finally:
        library.close()
    return target.read_text(encoding="utf-8")


# --- the tests -------------------------------------------------------------------------

# natbib styles, the package sets users load with them, and plain.  plain.bst
# writes no url or doi; plainnat writes \url{} and \doi{}, read verbatim by the
# url package and hyperref.  natbib without either is tested apart below.
CONFIGS = [
    ("plain", ()),
    ("plain", ("url", "hyperref")),
    ("plainnat", ("url",)),
    ("plainnat", ("hyperref",)),
    ("plainnat", ("url", "hyperref")),
]


def test_shell_escape_really_runs_commands(tmp_path: Path) -> None:
    # Control: without this, "nothing ran" could mean "nothing could run".
    bib = "@misc{control,\n  title = {Control},\n  year = {2024}\n}\n"
    (tmp_path / "run").mkdir()
    result = build(tmp_path / "run", bib, "plain", ())
    assert result.ok and result.ran() == []
    doc = tmp_path / "run" / "doc.tex"
    doc.write_text(
        doc.read_text().replace(
            r"\begin{document}", r"\begin{document}\immediate\write18{touch PWNED-control}"
        )
    )
    subprocess.run(LATEX, cwd=doc.parent, capture_output=True, timeout=300, check=False)
    assert result.ran() == ["PWNED-control"]


def test_payloads_run_when_written_raw(tmp_path: Path) -> None:
    # Control: the key, URL and DOI as the exporter used to write them do run.
    bib = (
        "@article{x^^5cinput^^7c^^22touch^^20PWNED-rawkey^^22,\n"
        "  author = {A B},\n  title = {T},\n  journal = {J},\n  year = {2024},\n"
        "  doi = {10.1234/^^5cinput^^7c^^22touch^^20PWNED-rawdoi^^22},\n"
        '  url = {http://example.org/\\input|"touch^^20PWNED-rawurl"}\n}\n'
    )
    result = build(tmp_path, bib, "plainnat", ())
    ran = result.ran()
    for marker in ("PWNED-rawkey", "PWNED-rawdoi", "PWNED-rawurl"):
        # The DOI's command swallows the "." after it: "PWNED-rawdoi.".
        assert any(name.startswith(marker) for name in ran), ran


@pytest.mark.parametrize(("style", "packages"), CONFIGS)
def test_hostile_records_compile_and_run_nothing(
    tmp_path: Path, style: str, packages: tuple[str, ...]
) -> None:
    records = hostile_records()
    problems: list[Problem] = []
    bib = dumps(records, problems=problems)
    assert "^" not in bib
    result = build(tmp_path, bib, style, packages)
    assert_safe_build(result, len(records))
    # The payloads did reach TeX, as text.
    bbl = (tmp_path / "doc.bbl").read_text(encoding="utf-8")
    # (BibTeX prints "PWNED-author0-1" in a name as "PWNED-author0 1".)
    for marker in ("PWNED-title0-1", "PWNED-title0-3", "PWNED-author0 1", "PWNED-author0 4"):
        assert marker in bbl
    if style == "plainnat":
        assert "PWNED-url-1" in bbl and "PWNED-doi-1" in bbl
    # Unsafe stored keys are replaced by their stable stand-ins, and said so.
    assert all(is_valid_citekey(key) for key in result.keys)
    assert [legacy_citekey(k) for k in HOSTILE_KEYS] == result.keys[: len(HOSTILE_KEYS)]
    messages = "\n".join(p.describe() for p in problems)
    assert messages.count("is not safe for LaTeX") == len(HOSTILE_KEYS)
    assert "is not a valid URL" in messages and "is not a valid DOI" in messages
    assert "is not a valid arXiv id" in messages and "is not a number" in messages
    # "LongLong…" and the third payload (each "^" is 18 characters escaped).
    assert messages.count("is too long for BibTeX") == 2 * len(HOSTILE_KEYS)


@pytest.mark.parametrize(("style", "packages"), CONFIGS)
def test_imported_hostile_bib_compiles_and_runs_nothing(
    tmp_path: Path, style: str, packages: tuple[str, ...]
) -> None:
    bib = imported_export(tmp_path)
    assert "^" not in bib and "preamble" not in bib.lower()
    result = build(tmp_path / "doc", bib, style, packages)
    assert_safe_build(result, 4)
    assert all(is_valid_citekey(key) for key in result.keys)
    bbl = (result.directory / "doc.bbl").read_text(encoding="utf-8")
    assert "PWNED-bibtitle" in bbl and "PWNED-bibjournal" in bbl
    if style == "plainnat":
        assert "PWNED-biburl" in bbl and "pwned-bibdoi" in bbl


@pytest.mark.parametrize(("style", "packages"), [*CONFIGS, ("plainnat", ())])
def test_keys_with_every_safe_character_are_cited(
    tmp_path: Path, style: str, packages: tuple[str, ...]
) -> None:
    # What the key rule lets through works in \\cite, BibTeX and the styles.
    keys = ["DBLP:conf/nips/VaswaniSPUJGKP17", "2020ApJ...900..100S", "a_b-c.d+e/f:g"]
    records = [
        PaperData(id=n, title=f"Paper {n}", authors=("Ada Lovelace",), year=2020, citekey=key)
        for n, key in enumerate(keys)
    ]
    result = build(tmp_path, dumps(records, problems=[]), style, packages)
    assert_safe_build(result, len(keys))
    assert result.keys == keys
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert "undefined" not in log, log


def test_natbib_without_url_package_runs_nothing(tmp_path: Path) -> None:
    """natbib alone reads \\url{} and \\doi{} as ordinary TeX (``\\texttt{#1}``).

    That is where keys, URLs and DOIs used to run commands.  Nothing may run
    there now.  The document itself builds only if no URL or DOI holds a
    ``%``, ``_``, ``&`` or ``#``: TeX reads those as markup outside the url
    package, in hostile and ordinary URLs alike (``https://x.org/a_b``), which
    is why natbib asks for the url package.  After the first such URL TeX
    stops reading the bibliography properly ("File ended while scanning use
    of \\url"), so the build is also checked with the URLs and DOIs left out,
    which makes TeX read every other field; the URLs and DOIs themselves hold
    no ``\\``, ``^``, ``{`` or ``}`` to read a command from (checked for any
    value below, in ``test_no_tex_from_the_data_reaches_the_export``).
    """
    records = hostile_records()
    whole = build(tmp_path / "whole", dumps(records, problems=[]), "plainnat", ())
    assert whole.ran() == [], whole.output
    assert whole.bibitems() == len(records)
    bib = imported_export(tmp_path / "imported")
    imported = build(tmp_path / "imported" / "doc", bib, "plainnat", ())
    assert imported.ran() == [], imported.output
    assert imported.bibitems() == 4
    # Without URLs and DOIs it builds.
    plain_links = [replace(r, url="", doi="") if isinstance(r, PaperData) else r for r in records]
    result = build(tmp_path / "no-links", dumps(plain_links, problems=[]), "plainnat", ())
    assert_safe_build(result, len(records))


# --- without TeX: properties of every export -------------------------------------------

# The control sequences the exporter writes for ASCII text; any other comes
# from pylatexenc's table for a non-ASCII character of the data.
ASCII_ESCAPES = {
    "textbackslash",
    "textbraceleft",
    "textbraceright",
    "textasciitilde",
    "textasciicircum",
    *"&%$#_",
}
CONTROL_SEQUENCE = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)


def allowed_control_sequences(texts: list[str]) -> set[str]:
    allowed = set(ASCII_ESCAPES)
    for char in {c for text in texts for c in text if not c.isascii()}:
        allowed.update(CONTROL_SEQUENCE.findall(encode_text(char)))
    return allowed


def braces_balance(text: str) -> bool:
    depth = 0
    for c in text:
        depth += (c == "{") - (c == "}")
        if depth < 0:
            return False
    return depth == 0


tex_like = st.text(alphabet=st.sampled_from(list('\\^{}%#~$&_ \x1c\n5ciput|"')), max_size=30)
any_text = st.one_of(st.text(max_size=60), tex_like)


@settings(max_examples=200, deadline=None)
@given(
    title=any_text,
    abstract=any_text,
    note=any_text,
    venue=any_text,
    author=any_text,
    tag=any_text,
    citekey=any_text,
    url=st.one_of(any_text, any_text.map(lambda t: "https://example.org/" + t)),
    doi=st.one_of(any_text, any_text.map(lambda t: "10.1234/" + t)),
    arxiv=st.one_of(any_text, st.just("2403.01234v2")),
    kind=st.sampled_from(["article", "inproceedings", "misc"]),
)
def test_no_tex_from_the_data_reaches_the_export(
    title: str,
    abstract: str,
    note: str,
    venue: str,
    author: str,
    tag: str,
    citekey: str,
    url: str,
    doi: str,
    arxiv: str,
    kind: str,
) -> None:
    record = PaperData(
        id=1,
        title=title,
        abstract=abstract,
        authors=("Ada Lovelace", author),
        year=2024,
        venue=venue,
        arxiv_id=arxiv,
        doi=doi,
        url=url,
        entry_type=kind,
        citekey=citekey,
        tags=(tag,),
        note=note,
    )
    bib = dumps([record], problems=[])
    # TeX reads ^^5c as "\": no "^" at all, and braces balance as BibTeX counts them.
    assert "^" not in bib
    assert braces_balance(bib)
    # Every command is one the exporter chose, none from the data.
    texts = [title, abstract, note, venue, author, tag]
    assert set(CONTROL_SEQUENCE.findall(bib)) <= allowed_control_sequences(texts)
    # pybtex, a strict parser, reads exactly one entry under a safe key.
    (key, parsed) = next(iter(pybtex.database.parse_string(bib, "bibtex").entries.items()))
    assert is_valid_citekey(key)
    for name in ("url", "doi", "eprint"):
        value = parsed.fields.get(name, "")
        assert not set(value) & set('\\{}^~" \t\n')
        # A "%" only ever starts an escape.
        assert re.fullmatch(r"(?:[^%]|%[0-9A-Fa-f]{2})*", value)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text().map(lambda t: "https://" + t), st.from_regex(r"\Aftp://\S*")))
def test_a_url_is_written_only_if_it_is_a_web_or_ftp_url(value: str) -> None:
    safe = safe_url(value)
    if safe:
        parts = urlsplit(safe)
        assert parts.scheme.lower() in URL_SCHEMES and parts.hostname
        assert not set(safe) & set('\\{}^~" \t\n<>|`')
        assert safe.count("#") <= 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.org/a_b%20c?x=1&y=2#frag", "https://example.org/a_b%20c?x=1&y=2#frag"),
        ("https://example.org/~user#a#b", "https://example.org/%7Euser#a%23b"),
        ("http://example.org/50%", "http://example.org/50%25"),
        ('http://x.org/\\input|"touch PWNED"', "http://x.org/%5Cinput%7C%22touch%20PWNED%22"),
        ("http://x.org/^^5cinput", "http://x.org/%5E%5E5cinput"),
        ("https://münchen.de/ü", "https://m%C3%BCnchen.de/%C3%BC"),
        ("HTTP://[::1]:8080/x", "HTTP://[::1]:8080/x"),
        ("ftp://host/file name", "ftp://host/file%20name"),
        ("  ", ""),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("data:text/plain,x", None),
        ("http://", None),
        ("http:/x.org", None),
        ("http://x.org:port/", None),
        ("http://[::1/", None),
        ("//x.org/a", None),
    ],
)
def test_safe_url(value: str, expected: str | None) -> None:
    assert safe_url(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.1038/nature14539", "10.1038/nature14539"),
        ("https://doi.org/10.1038/nature14539", "10.1038/nature14539"),
        ("doi: 10.1000.10/abc", "10.1000.10/abc"),
        # "<" and ">" are kept: SICI DOIs hold them.
        (
            "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
            "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
        ),
        ("10.1234/^^5cinput^^7c", "10.1234/%5E%5E5cinput%5E%5E7c"),
        ("10.1234/a{b}c~d e#f%g%41", "10.1234/a%7Bb%7Dc%7Ed%20e%23f%25g%41"),
        ("", ""),
        ("11.1234/x", None),
        ("10.12/x", None),
        ("10.1234/", None),
        ("10.\u0663\u0663\u0663\u0663/x", None),
        ('\\input|"touch PWNED"', None),
    ],
)
def test_safe_doi(value: str, expected: str | None) -> None:
    assert safe_doi(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2403.01234v2", "2403.01234v2"),
        ("arXiv:0704.0001", "0704.0001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("math.GT/0309136v1", "math.GT/0309136v1"),
        ("", ""),
        ("2403.01234 \\input", None),
        ("\u212a/1234567", None),
    ],
)
def test_safe_arxiv_id(value: str, expected: str | None) -> None:
    assert safe_arxiv_id(value) == expected
