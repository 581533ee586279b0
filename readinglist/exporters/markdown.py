"""Markdown export: a reading list to read, share or paste into notes.

The output is CommonMark (what GitHub, GitLab, Obsidian and markdown-it
render): a heading, then a list with one item per paper::

    - [Attention Is All You Need](https://arxiv.org/abs/1706.03762)\\
      Ashish Vaswani, Noam Shazeer\\
      2017 · NeurIPS\\
      `llm` `to read`

      > Read twice.

* The title links to the best page for the paper: its arXiv abstract page,
  else its DOI's, else its URL (validated and percent-encoded as for
  BibTeX, so a ``javascript:`` URL never becomes a link).  Without any, the
  title is plain text.
* Lines end in a backslash, CommonMark's hard line break (trailing spaces
  would be invisible and are stripped by editors).
* Authors by display name, at most :data:`MAX_AUTHORS` then "et al.";
  year and venue joined by " · "; tags as code spans (a tag may hold spaces
  and "#", which a ``#tag`` could not).
* The note is a blockquote in the item, its lines and paragraphs kept.

Every text is data, never markup: the characters Markdown reads as markup
(``[``, ``*``, ``_``, backticks, ``<``, ``&``...) are backslash-escaped, a
line start that would open a heading, quote, list or rule is escaped, and
line breaks inside a title become spaces, so no title, name or note can
add a link, an image, raw HTML or break out of its list item.  The user's
note is escaped too: notes arrive from imported files as well, and raw
Markdown from a file could carry links the user never wrote.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TextIO

from ..people import Person
from .record import Record
from .verbatim import safe_arxiv_id, safe_doi, safe_url

__all__ = ["MAX_AUTHORS", "TITLE", "dump", "dumps", "escape", "item"]

# The list's heading.
TITLE = "Reading list"
# Authors named before "et al.".
MAX_AUTHORS = 10

# ASCII punctuation that is markup somewhere inline (emphasis, code, links,
# autolinks and HTML, entities, GFM tables, strikethrough and math).  Any
# ASCII punctuation may be backslash-escaped in CommonMark.
_INLINE = re.compile(r"([\\`*_\[\]<>&|~$])")
# What opens a block at a line start: headings, quotes, bullets, rules,
# setext underlines, fences, tables, and ordered list markers ("1." "1)").
_BLOCK_START = re.compile(r"^(?:([#>+\-=*_`~|])|(\d{1,9})([.)]))")


def escape(text: str) -> str:
    """Return one line of *text* as Markdown that renders as exactly that text.

    Whitespace (line breaks included) is collapsed: the result is one line.
    """
    text = _INLINE.sub(r"\\\1", " ".join(text.split()))
    return _escape_line_start(text)


def _escape_line_start(line: str) -> str:
    """Escape what would make *line*, at a line start, open a block."""
    match = _BLOCK_START.match(line)
    if match is None:
        return line
    if match.group(1):
        return "\\" + line
    return f"{match.group(2)}\\{match.group(3)}{line[match.end() :]}"


def _destination(url: str) -> str:
    """Return a URL (already validated, no spaces) as a link destination."""
    # Parentheses are allowed escaped; "<" and ">" (kept in SICI DOIs) not at all.
    return url.replace("(", "\\(").replace(")", "\\)").replace("<", "%3C").replace(">", "%3E")


def link(paper: Record) -> str:
    """Return the best link for *paper*: arXiv, else DOI, else its URL ("" if none)."""
    arxiv = safe_arxiv_id(paper.arxiv_id) if paper.arxiv_id else None
    if arxiv:
        return f"https://arxiv.org/abs/{arxiv}"
    doi = safe_doi(paper.doi) if paper.doi else None
    if doi:
        return f"https://doi.org/{doi}"
    return (safe_url(paper.url) if paper.url else None) or ""


def _code_span(text: str) -> str:
    """Return *text* as a code span, fenced by more backticks than it holds in a row."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    # A space on each side is stripped again by CommonMark; it keeps a
    # backtick at either end from joining the fence.
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# Names, venues and tags recur across a library: cache their Markdown.
@lru_cache(maxsize=16384)
def _name(person: Person) -> str:
    return escape(person.display())


@lru_cache(maxsize=4096)
def _short(text: str) -> str:
    return escape(text)


@lru_cache(maxsize=4096)
def _tag(tag: str) -> str:
    tag = " ".join(tag.split())
    return _code_span(tag) if tag else ""


def _note_lines(note: str) -> list[str]:
    """Return the lines of the note's blockquote (without the indent and ``>``)."""
    out: list[str] = []
    paragraph: list[str] = []
    for raw in note.splitlines():
        line = " ".join(raw.split())
        if line:
            paragraph.append(escape(line))
            continue
        if paragraph:
            out.extend(p + "\\" for p in paragraph[:-1])
            out.extend((paragraph[-1], ""))
            paragraph = []
    if paragraph:
        out.extend(p + "\\" for p in paragraph[:-1])
        out.append(paragraph[-1])
    while out and not out[-1]:
        out.pop()
    return out


def item(paper: Record) -> str:
    """Return *paper*'s list item, ending in a newline."""
    title = escape(paper.title) or "(untitled)"
    url = link(paper)
    lines = [f"[{title}]({_destination(url)})" if url else title]
    if paper.people:
        names = [n for n in map(_name, paper.people) if n]
        if names:
            shown = ", ".join(names[:MAX_AUTHORS])
            lines.append(shown + (" et al." if len(names) > MAX_AUTHORS else ""))
    when_where = [str(paper.year)] if type(paper.year) is int else []
    venue = _short(paper.venue) if paper.venue else ""
    if venue:
        when_where.append(venue)
    if when_where:
        lines.append(_escape_line_start(" · ".join(when_where)))
    if paper.tags:
        tags = [t for t in map(_tag, paper.tags) if t]
        if tags:
            lines.append(" ".join(tags))
    text = "- " + "\\\n  ".join(lines) + "\n"
    note = _note_lines(paper.note) if paper.note else []
    if note:
        text += "\n" + "".join(f"  > {line}\n" if line else "  >\n" for line in note)
    return text


def dump(papers: Iterable[Record], fp: TextIO, *, title: str = TITLE) -> int:
    """Write *papers* to *fp* as a Markdown reading list; return how many."""
    fp.write(f"# {escape(title)}\n")
    count = 0
    for paper in papers:
        fp.write("\n" + item(paper))
        count += 1
    return count


def dumps(papers: Iterable[Record], *, title: str = TITLE) -> str:
    """Return *papers* as the text of a Markdown reading list."""
    out = io.StringIO()
    dump(papers, out, title=title)
    return out.getvalue()
