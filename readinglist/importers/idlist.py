"""Importer for plain lists of arXiv ids, DOIs and links to papers.

People keep reading lists as a text file or a markdown note of links: one
per line, several on a line separated by spaces or commas, in bullets
("- ", "* ", "1. "), as markdown links ``[text](url)`` or in angle brackets.
Each distinct paper becomes one record whose title is its identifier
("arXiv:2403.01234", "doi:10.1145/...") until its metadata is filled in.

Recognised (identifiers have fixed shapes, so regexes are the right tool):

* arXiv ids, new style ``2403.01234`` / ``2403.01234v2`` and old style
  ``hep-th/9901001`` / ``math.GT/0309136v1``, bare or as ``arXiv:...``;
* arXiv, export.arxiv, ar5iv and alphaXiv links (``abs``, ``pdf``,
  ``html``), Hugging Face paper pages (``huggingface.co/papers/<arXiv id>``)
  and arXiv's own DOIs (``10.48550/arXiv.<id>``);
* DOIs, bare ``10.1145/3292500.3330701``, as ``doi:...`` or as doi.org /
  dx.doi.org links.

A non-blank line without any of these is reported with its line number, and
so is a link on an id line that names no paper: nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from readinglist.core.identifiers import normalise_arxiv, normalise_doi
from readinglist.importers.hfpage import extract_links
from readinglist.records import InputError, ParsedPaper, ParseResult, Problem, quoted

__all__ = ["FORMAT", "FoundId", "arxiv_year", "find_ids", "looks_like", "parse", "parse_urls"]

FORMAT = "ids"

# The identifier shapes.  New-style arXiv ids are YYMM.NNNN(N); old-style
# ones are archive(.Class)/YYMMNNN.  Both are checked further in _arxiv()
# (month, number length by year, known archive) so a stray number such as a
# price or a version is not taken for an id.
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z]+(?:-[a-z]+)?(?:\.[a-z]{2}(?:-[a-z]{2})?)?/\d{7}"
_ID = rf"(?:{_NEW_ID}|{_OLD_ID})"
_VERSION = r"(?:v\d{1,3})?"
# Characters that may follow an id: not more of the id (digits, letters).
_ID_END = r"(?![\w/])"
# A DOI's suffix is almost anything printable; white space, quotes, braces,
# square brackets (markdown), angle brackets and a link's query (?) or
# fragment (#) end it, and a comma or semicolon (both occur in old DOIs,
# "...3.0.CO;2-O") ends it when another id or white space follows
# ("10.1000/a,10.1000/b").
_DOI_SUFFIX = r"(?:[^\s\"'<>{}\[\]|\\^`,;?#]|[,;](?![\s,;]|$|10\.|https?:|doi:|arxiv))+"

_FIND_RE = re.compile(
    rf"""
    # Links to an abstract page, a PDF or a paper page that carries an arXiv id.
    (?:https?://)?
    (?:
        (?:www\.|export\.|ar5iv\.labs\.)?(?:arxiv|ar5iv)\.org/(?:abs|pdf|html|format)/
      | (?:www\.)?alphaxiv\.org/(?:abs|pdf|overview)/
      | (?:www\.)?(?:huggingface|hf)\.co/papers/
    )
    (?P<url>{_ID})(?P<url_version>{_VERSION})(?!\w)
    (?:\.pdf)?
  | # arXiv's DOI names the arXiv paper: keep it as an arXiv id.
    (?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*)?
    10\.48550/arxiv\.(?P<arxivdoi>{_ID})(?P<arxivdoi_version>{_VERSION}){_ID_END}
  | # A DOI, bare, as doi:... or as a resolver link.
    (?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*)?
    (?P<doi>10\.\d{{4,9}}/{_DOI_SUFFIX})
  | # arXiv:2403.01234, arxiv: hep-th/9901001
    arxiv:\s*(?P<tagged>{_ID})(?P<tagged_version>{_VERSION}){_ID_END}
  | # A bare id, not inside a path, a number or a word.
    (?<![\w./:-])(?P<bare>{_ID})(?P<bare_version>{_VERSION}){_ID_END}(?!\.\d)
    """,
    re.IGNORECASE | re.VERBOSE,
)

_ARXIV_GROUPS = ("url", "arxivdoi", "tagged", "bare")
# What a publisher's link adds after the DOI: its page, not part of the DOI.
_PAGE_SUFFIX_RE = re.compile(r"/(?:full|abstract|pdf|epdf|fulltext|html|meta)/?$", re.I)

# Archives of old-style (before April 2007) arXiv ids.
_OLD_ARCHIVES = frozenset(
    (
        "acc-phys",
        "adap-org",
        "alg-geom",
        "ao-sci",
        "astro-ph",
        "atom-ph",
        "bayes-an",
        "chao-dyn",
        "chem-ph",
        "cmp-lg",
        "comp-gas",
        "cond-mat",
        "cs",
        "dg-ga",
        "econ",
        "eess",
        "funct-an",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math",
        "math-ph",
        "mtrl-th",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "patt-sol",
        "physics",
        "plasm-ph",
        "q-alg",
        "q-bio",
        "q-fin",
        "quant-ph",
        "solv-int",
        "stat",
        "supr-con",
    )
)

# Punctuation that ends a sentence or a list rather than a DOI, and the
# closing brackets that end one unless the DOI opened them ("10.1002/(SICI)...").
_TRAILING = ".,;:!?'\"*_"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}

# Bullets and numbering before the ids of a line (markdown and plain lists).
_BULLET_RE = re.compile(r"^\s*(?:[-*+•·]|\d{1,4}[.)])\s+")
# A markdown link's text once its target (an id) is taken out: "[text]( )".
_LINK_TEXT_RE = re.compile(r"\[[^\[\]]*\]\(\s*\)")

# A list entry is short, or long only for the ids it holds (many on a line):
# a line longer than this whose text, ids taken out, is more than a quarter
# of it is prose (a saved page's abstracts, which may cite arXiv papers).
_LONG_LINE = 300
_MAX_PROSE_SHARE = 0.25
# Share of non-blank lines that must hold an id for a text to be an id list.
_MIN_ID_SHARE = 0.6
# Lines looked at when sniffing.
_SNIFF_LINES = 500
_SNIFF_CHARS = 200_000


@dataclass(frozen=True)
class FoundId:
    """One identifier found in a text: an arXiv id or a DOI (never both)."""

    # Bare arXiv id without version ("2403.01234", "math.GT/0309136"), or "".
    arxiv_id: str = ""
    # The version as written ("v2"), or "".
    version: str = ""
    # The DOI as written (resolver prefix dropped), or "".
    doi: str = ""
    # Where it was found in the text: [start, end).
    start: int = 0
    end: int = 0

    @property
    def key(self) -> str:
        """What makes two ids the same paper: the arXiv id or the DOI, case-folded."""
        if self.arxiv_id:
            return f"arxiv:{self.arxiv_id.lower()}"
        # Folded as the library folds DOIs, so "same DOI" means the same here.
        return f"doi:{normalise_doi(self.doi)}"


def _arxiv(raw: str) -> str:
    """The canonical form of an arXiv id matched by the pattern, or "" if it is not one."""
    if "/" not in raw:
        yymm, number = raw.split(".")
        year, month = int(yymm[:2]), int(yymm[2:])
        if not 1 <= month <= 12 or (year, month) < (7, 4):
            return ""
        # Four-digit numbers until 1412, five-digit ones from 1501.
        if (len(number) == 5) != (year >= 15):
            return ""
        return raw
    archive, number = raw.split("/")
    name, _, subject = archive.partition(".")
    if name.lower() not in _OLD_ARCHIVES or not 1 <= int(number[2:4]) <= 12:
        return ""
    # Archives are lower case, subject classes upper case ("math.GT"), as arXiv writes them.
    return f"{name.lower()}.{subject.upper()}/{number}" if subject else f"{name.lower()}/{number}"


def _trim(doi: str) -> str:
    """Drop trailing punctuation, but keep a closing bracket the DOI opened."""
    while doi and (doi[-1] in _TRAILING or doi[-1] in _CLOSERS):
        opener = _CLOSERS.get(doi[-1])
        if opener is not None and doi.count(opener) >= doi.count(doi[-1]):
            break  # e.g. 10.1002/(SICI)1097-4636(199706)35:4<...>
        doi = doi[:-1]
    return doi


def _doi(m: re.Match[str], text: str) -> str:
    """The DOI of a match, trimmed; "" when nothing of it is left."""
    doi = _trim(m.group("doi"))
    start = m.start("doi")
    if start == m.start() and text[start - 1 : start] == "/":
        # Inside a publisher's link (dl.acm.org/doi/10.1145/...): the page
        # names after the DOI are the site's, not the DOI's.
        doi = _PAGE_SUFFIX_RE.sub("", doi)
    _, _, suffix = doi.partition("/")
    return doi if suffix.strip("/") else ""


def find_ids(text: str) -> list[FoundId]:
    """The arXiv ids and DOIs in *text*, in order (repeats included).

    Shapes that are not real ids (month 13, an unknown old-style archive)
    are left out.
    """
    found: list[FoundId] = []
    for m in _FIND_RE.finditer(text):
        for group in _ARXIV_GROUPS:
            raw = m.group(group)
            if raw is not None:
                arxiv = _arxiv(raw)
                if arxiv:
                    version = m.group(f"{group}_version").lower()
                    found.append(FoundId(arxiv, version, start=m.start(), end=m.end()))
                break
        else:
            doi = _doi(m, text)
            if doi:
                found.append(FoundId(doi=doi, start=m.start(), end=m.start("doi") + len(doi)))
    return found


def _residue(line: str, ids: list[FoundId]) -> str:
    """The line with its ids, bullet and markdown link texts taken out."""
    parts: list[str] = []
    at = 0
    for found in ids:
        parts.append(line[at : found.start])
        at = found.end
    parts.append(line[at:])
    text = _BULLET_RE.sub("", " ".join(parts))
    # "[A Paper's Title](<id>)": the text of a link to an id is part of the entry.
    return _LINK_TEXT_RE.sub(" ", text).strip()


def _is_prose(line: str, ids: list[FoundId]) -> bool:
    return len(line) > _LONG_LINE and len(_residue(line, ids)) > _MAX_PROSE_SHARE * len(line)


def _lines(text: str) -> Iterable[tuple[int, str]]:
    # Universal newlines, but not str.splitlines(): its extra breaks (\x0b,
    # \u2028 ...) would make our line numbers disagree with an editor's.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return enumerate(text.split("\n"), start=1)


def looks_like(text: str) -> bool:
    """Whether *text* (the start of a file) is a list of arXiv ids, DOIs or links.

    At least one non-blank line, most of them (60%) holding an identifier,
    and no line of prose: a long line is a list entry only when it is mostly
    ids, while a saved page's abstracts, which may cite arXiv papers, are
    long lines of words.
    """
    head = text[:_SNIFF_CHARS]
    total = with_ids = 0
    for _, raw in _lines(head):
        line = raw.strip()
        if not line:
            continue
        total += 1
        ids = find_ids(line)
        if _is_prose(line, ids):
            return False
        if ids:
            with_ids += 1
        if total >= _SNIFF_LINES:
            break
    return with_ids > 0 and with_ids >= _MIN_ID_SHARE * total


def _paper(found: FoundId, line: int) -> ParsedPaper:
    if found.arxiv_id:
        year = arxiv_year(found.arxiv_id)
        return ParsedPaper(
            title=f"arXiv:{found.arxiv_id}",
            arxiv_id=found.arxiv_id,
            url=f"https://arxiv.org/abs/{found.arxiv_id}{found.version}",
            year=year,
            entry_type="misc",
            line=line,
        )
    return ParsedPaper(
        title=f"doi:{found.doi}",
        doi=found.doi,
        url=f"https://doi.org/{found.doi}",
        entry_type="misc",
        line=line,
    )


def arxiv_year(arxiv_id: str) -> int | None:
    """The year an arXiv id was given (its YYMM), or None."""
    bare = normalise_arxiv(arxiv_id)
    digits = bare.rsplit("/", 1)[-1]
    if len(digits) < 4 or not digits[:2].isdigit():
        return None
    yy = int(digits[:2])
    # Old-style ids run from 1991 to 2007, new-style ones from 2007.
    return 1900 + yy if yy >= 91 else 2000 + yy


def _collect(items: Iterable[tuple[int, str]], name: str, *, lines: bool) -> ParseResult:
    """Papers from numbered lines (or dropped links), each distinct id once."""
    result = ParseResult(format=FORMAT)
    seen: set[str] = set()
    for number, raw in items:
        line = raw.strip()
        if not line:
            continue
        ids = find_ids(line)
        if not ids:
            where = "on this line" if lines else f"in link {quoted(line)}"
            result.problems.append(Problem(f"no arXiv id or DOI {where}; skipped", line=number))
            continue
        for found in ids:
            if found.key not in seen:
                seen.add(found.key)
                result.papers.append(_paper(found, number))
        # Other links on the line name no paper we can read: say so.
        for link in extract_links(line):
            if find_ids(link):
                continue
            result.problems.append(
                Problem(f"link {quoted(link)} is not an arXiv or DOI link; skipped", line=number)
            )
    if not result.papers:
        raise InputError(f"{name}: no arXiv ids or DOIs found")
    return result


def parse(text: str, name: str) -> ParseResult:
    """Parse a list of ids and links into one paper per distinct id (format ``"ids"``).

    Raises :class:`InputError` when the text holds no identifier at all.
    """
    return _collect(_lines(text), name, lines=True)


def parse_urls(urls: Sequence[str], name: str) -> ParseResult:
    """Papers from dropped links (or ids), by the rules of :func:`parse`.

    A link's ``line`` is its 1-based place in *urls*; a link without an id
    is reported as a problem.  Raises :class:`InputError` when none has one.
    """
    return _collect(enumerate(urls, start=1), name, lines=False)
