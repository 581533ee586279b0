"""Importer for a Hugging Face trending/daily papers page saved as text.

The page, as a browser saves or copies it, is a few chrome lines ("new",
"Subscribe", "byAK and the research community", ...), a date line ("Mar 11"),
then title/abstract pairs separated by blank lines: a title line, an abstract
paragraph (one long line), the next title, and so on.  Several days may be
pasted into one file, each under its own date line.

The parser works line by line on the *shape* of the text rather than on
counting lines, so extra blank lines, CRLF endings, trailing spaces and stray
metadata lines (upvote counts, "· 42 authors", "Published on ...") do not
shift the title/abstract pairing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from readinglist.latex import latex_fragments_to_text
from readinglist.records import InputError, ParsedPaper, ParseResult, Problem

__all__ = ["FORMAT", "extract_links", "looks_like", "parse"]

FORMAT = "hf-page"

# A title is a single short line; HF titles are well under 200 characters and
# abstracts (150-250 words) well over 600, so 300 leaves room on both sides.
MAX_TITLE_LEN = 300

# Page chrome, compared case-insensitively against whole (stripped) lines.
# Only exact matches count, so a paper title merely containing these words is
# never dropped.
_CHROME = frozenset(
    line.lower()
    for line in (
        "new",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox",
        "Subscribe",
        "byAK and the research community",
        "by AK and the research community",
        "Trending Papers",
        "Daily Papers",
        "Trending",
        "Papers",
        "Submit",
        "Submit a paper",
        "Sign in",
        "Sign up",
        "Log in",
        "Login",
        "Hugging Face",
        "Models",
        "Datasets",
        "Spaces",
        "Posts",
        "Docs",
        "Pricing",
        "Enterprise",
        "Collections",
        "Community",
        "Search",
        "Previous",
        "Next",
        "Load more",
        "See all",
        "View all",
    )
)
# Chrome lines that only the trending page has: enough on their own to
# recognise the format when sniffing.
_SIGNATURE = frozenset(
    line.lower()
    for line in (
        "Get trending papers in your email inbox!",
        "byAK and the research community",
        "by AK and the research community",
        "Trending Papers",
        "Daily Papers",
    )
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# "Mar 11", "Mar 11, 2025", "March 11th", "Tuesday, Mar 11", "11 March 2025",
# "March 2025" (monthly view) and ISO "2025-03-11".  Month names are checked
# against _MONTHS afterwards, which keeps the pattern readable.
_DATE_RE = re.compile(
    r"""
    ^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?
    (?:
        (?P<mon>[a-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+\d{4})?
      | (?P<day2>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon2>[a-z]{3,9})\.?(?:,?\s+\d{4})?
      | (?P<mon3>[a-z]{3,9})\.?,?\s+\d{4}
      | \d{4}-(?P<imon>\d{1,2})-(?P<iday>\d{1,2})
    )$
    """,
    re.IGNORECASE | re.VERBOSE,
)
_MAX_DATE_LEN = 40

# Metadata a saved page may carry between papers.  Kept deliberately narrow:
# a line matching one of these can never be a title.
#  - bare counts: upvotes, comments ("42", "1.2k")
#  - bullet metadata: "· 42 authors", "• Published on Mar 10"
#  - "42 authors", "Published on ...", "Submitted by ...", "Upvote 12"
_NOISE_RE = re.compile(
    r"""
    ^(?:
        [\d.,]+\s*[km]?
      | [·•].*
      | \d[\d,]*\s+authors?
      | (?:published|submitted|posted|updated)\s+(?:on|by)\b.*
      | (?:upvotes?|upvoted|comments?)\s*\d*
    )$
    """,
    re.IGNORECASE | re.VERBOSE,
)
_MAX_NOISE_LEN = 80

# Links: explicit URLs, bare www./code-host links, and DOIs.  Braces, quotes,
# angle brackets and backslashes end a link (they are markup around it).
# Each kind has its own pattern starting with a literal and runs only when a
# plain substring test says it can match.  This is the hot spot of a
# 100,000-paper page: most abstracts have no link, `"/" in text` is a memchr,
# and one regex alternation scanned over every abstract costs several times
# more than these few substring tests.
_LINK_TAIL = r"[^\s<>\"'`{}|\\^]+"
_LINK_KINDS: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    # (substring hint, pattern, must not follow a word/path character)
    ("://", re.compile(r"https?://" + _LINK_TAIL), False),
    ("ftp://", re.compile(r"ftp://" + _LINK_TAIL), False),
    ("www.", re.compile(r"www\." + _LINK_TAIL), True),
    *(
        (host + "/", re.compile(re.escape(host) + "/" + _LINK_TAIL), True)
        for host in ("github.com", "gitlab.com", "huggingface.co", "arxiv.org", "bitbucket.org")
    ),
    ("10.", re.compile(r"10\.\d{4,9}/" + _LINK_TAIL), True),
)
_SLASHLESS_KINDS = tuple(kind for kind in _LINK_KINDS if kind[0] == "www.")
_WORDISH_BEFORE = frozenset("./@-_")
_TRAILING = ".,;:)]}>'\"!?"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
_ARXIV_RE = re.compile(
    r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[a-z]{2})?/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)


def _clean_link(link: str) -> str:
    """Drop trailing punctuation, but keep a closing bracket the link opened."""
    while link and link[-1] in _TRAILING:
        last = link[-1]
        opener = _CLOSERS.get(last)
        if opener is not None and link.count(opener) >= link.count(last):
            break  # e.g. https://en.wikipedia.org/wiki/Foo_(bar)
        link = link[:-1]
    return link


def extract_links(text: str) -> list[str]:
    """Return the distinct URLs, bare code-host links and DOIs found in ``text``.

    Links are returned as written, minus trailing punctuation; a DOI inside a
    ``doi.org`` URL or a host inside a URL is part of that URL, not a second link.
    """
    # Every kind of link but a bare "www.host" has a slash: one scan for "/"
    # rules out most abstracts before the per-kind tests.
    kinds = _LINK_KINDS if "/" in text else _SLASHLESS_KINDS
    spans: list[tuple[int, int]] = []
    for hint, pattern, standalone in kinds:
        if hint not in text:
            continue
        for match in pattern.finditer(text):
            start = match.start()
            if standalone and start > 0:
                before = text[start - 1]
                if before.isalnum() or before in _WORDISH_BEFORE:
                    continue  # "xwww.", "/github.com/" inside a URL, "210.1234/"
            spans.append((start, match.end()))
    links: list[str] = []
    covered = -1
    for start, end in sorted(spans):
        if start < covered:
            continue  # inside a longer link found by another kind
        covered = end
        link = _clean_link(text[start:end])
        # A stripped link can end up as just a prefix ("www.").
        if len(link) > 4 and link not in links:
            links.append(link)
    return links


def _arxiv_id(links: list[str]) -> str:
    """The arXiv id named by the links, if there is exactly one."""
    if not links:
        return ""
    ids = {m.group(1) for link in links if (m := _ARXIV_RE.search(link))}
    # Several ids means the abstract cites other work: none is clearly "this" paper.
    return ids.pop() if len(ids) == 1 else ""


def _is_date(line: str) -> bool:
    if len(line) > _MAX_DATE_LEN or not any(c.isdigit() for c in line):
        return False
    m = _DATE_RE.match(line)
    if m is None:
        return False
    if m.group("imon") is not None:
        return 1 <= int(m.group("imon")) <= 12 and 1 <= int(m.group("iday")) <= 31
    month = m.group("mon") or m.group("mon2") or m.group("mon3")
    day = m.group("day") or m.group("day2")
    return month.lower() in _MONTHS and (day is None or 1 <= int(day) <= 31)


def _is_noise(line: str) -> bool:
    return len(line) <= _MAX_NOISE_LEN and _NOISE_RE.match(line) is not None


def _is_title_like(line: str) -> bool:
    """Short and not ending a sentence: a title rather than a (short) abstract."""
    return len(line) <= MAX_TITLE_LEN and not (line.endswith(".") and not line.endswith("..."))


_LINE = re.compile(r"[^\n]*\n|[^\n]+$")


def _split_lines(text: str) -> Iterator[str]:
    """The lines of *text*, one at a time (a list of a large page's lines doubled its memory).

    Not str.splitlines(): it also breaks on \x0b, \x1c, \u2028 ..., which
    would make our line numbers disagree with the user's editor.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return (m.group().rstrip("\n") for m in _LINE.finditer(text))


def looks_like(text: str) -> bool:
    """Whether ``text`` (the start of a file) looks like a saved trending page.

    True if a page-specific chrome line appears near the top, or if the text
    has the page's shape: a date or title line followed by a long paragraph.
    """
    lines = [line.strip() for line in _split_lines(text[:200_000])]
    content = [line for line in lines if line][:60]
    if any(line.lower() in _SIGNATURE for line in content):
        return True
    for first, second in itertools.pairwise(content):
        if _is_title_like(first) and len(second) > MAX_TITLE_LEN:
            return True
    return False


@dataclass
class _Builder:
    """Accumulates papers while walking the lines of one page."""

    # Papers completed since the caller last took them.
    papers: list[ParsedPaper] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    section: str = ""
    # (line number, title) waiting for its abstract.
    pending: tuple[int, str] | None = None
    seen_abstract: bool = False

    def add(self, line_no: int, title: str, raw_abstract: str) -> None:
        abstract = latex_fragments_to_text(raw_abstract) if raw_abstract else ""
        links = extract_links(abstract)
        self.papers.append(
            ParsedPaper(
                title=title,
                abstract=abstract,
                links=links,
                arxiv_id=_arxiv_id(links),
                section=self.section,
                line=line_no,
            )
        )

    def flush(self) -> None:
        """The pending title gets no abstract (a date, chrome or end follows)."""
        if self.pending is None:
            return
        line_no, title = self.pending
        self.pending = None
        if self.in_body():
            self.add(line_no, title, "")

    def in_body(self) -> bool:
        """Whether the header is behind us (a date line or a real pair was seen).

        Lines before that which do not form a title+abstract pair are page
        chrome we do not know by name ("Join the community", a site menu, a
        blurb): a page starts with a header, never with an abstract-less paper.
        """
        return bool(self.section) or self.seen_abstract

    def content(self, line_no: int, line: str) -> None:
        if self.pending is None:
            if len(line) > MAX_TITLE_LEN:
                # A long paragraph with no title before it (a title lost in the
                # copy, or an abstract split in two): report, don't guess.
                if self.in_body():
                    preview = line[:60].rstrip() + "…"
                    self.problems.append(
                        Problem(f"paragraph without a title skipped: “{preview}”", line=line_no)
                    )
            else:
                self.pending = (line_no, line)
        elif _is_title_like(line):
            # Two title-like lines in a row: the first has no abstract.
            self.flush()
            self.pending = (line_no, line)
        else:
            title_line, title = self.pending
            self.pending = None
            self.seen_abstract = True
            self.add(title_line, title, line)

    def take(self) -> list[ParsedPaper]:
        done, self.papers = self.papers, []
        return done


def iter_parse(lines: Iterable[str], name: str, result: ParseResult) -> Iterator[ParsedPaper]:
    """Parse a page line by line, yielding each paper as soon as it is complete.

    *result* receives the problems as they are met and, once the lines are
    exhausted, the label; its ``papers`` stay untouched.  A large page then
    never holds all its papers at once.  Raises :class:`InputError` at the
    end when the lines held no paper at all.
    """
    builder = _Builder(problems=result.problems)
    # The label: the sections (date lines) papers came from, in page order.
    sections: dict[str, None] = {}

    def done() -> list[ParsedPaper]:
        papers = builder.take()
        sections.update((paper.section, None) for paper in papers if paper.section)
        return papers

    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line or _is_noise(line):
            continue
        if len(line) <= 60 and line.lower() in _CHROME:
            builder.flush()
        elif _is_date(line):
            builder.flush()
            builder.section = line
        else:
            builder.content(index + 1, line)
        if builder.papers:
            yield from done()
    builder.flush()
    yield from done()
    if not builder.seen_abstract:
        # Without a single title+abstract pair this is not a papers page (or
        # only its header): importing each short line as a paper would be junk.
        raise InputError(
            f"{name}: no papers found (expected title lines each followed by an abstract paragraph)"
        )
    result.label = ", ".join(sections)


def parse(text: str, name: str) -> ParseResult:
    """Parse a saved trending-papers page into papers (format ``"hf-page"``).

    Raises :class:`InputError` when the text holds no paper at all.
    """
    result = ParseResult(format=FORMAT)
    result.papers = list(iter_parse(_split_lines(text), name, result))
    return result
