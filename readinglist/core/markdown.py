"""Markdown notes rendered to HTML that is safe to show.

A note is the user's own text, but it is often pasted from web pages and
other people's notes, so the rendering trusts nothing in it:

* raw HTML is never passed through: ``<script>``, ``<iframe>``, ``<img>``
  and friends appear as the literal text the user typed;
* a link becomes an anchor only for ``http``/``https`` URLs with a host;
  any other link (``mailto:``, ``javascript:``, ``data:``, ``file:``, a
  relative path) is shown as its text alone, with nothing to click.
  ``mailto:`` is left out on purpose: the window opens only web links and
  files (:mod:`readinglist.gui.links`), and a link that looks clickable but
  does nothing is worse than plain text;
* images are never loaded: each one becomes its alt text, linked to the
  image's address when that is a web URL, so showing a note contacts no
  server (a remote image is a read receipt).

The result is an HTML fragment built by markdown-it-py's CommonMark parser
(plus tables and strikethrough), whose renderer escapes every text and
attribute.  This module is Qt-free: the GUI only displays what it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["NOTE_LINK_SCHEMES", "is_note_link", "render_note"]

#: The only URL schemes a link in a rendered note may point to.
NOTE_LINK_SCHEMES = frozenset({"http", "https"})


def is_note_link(url: str) -> bool:
    """Return True if *url* may be a clickable link in a rendered note.

    An ``http``/``https`` URL needs a host; every other scheme, and a URL
    without one, is refused.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    scheme = parts.scheme.lower()
    return scheme in NOTE_LINK_SCHEMES and bool(parts.hostname)


@cache
def _parser() -> MarkdownIt:
    # "html": False escapes raw HTML instead of passing it through.
    # "breaks": a note is typed line by line in a plain editor, and a single
    # newline there means a new line (as in GitHub comments), not a space.
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(
        ["table", "strikethrough"]
    )


def render_note(text: str) -> str:
    """Return the Markdown *text* as an HTML fragment that is safe to display."""
    md = _parser()
    tokens = md.parse(text)
    for token in tokens:
        if token.type in {"html_block", "html_inline"}:
            # Unreachable with "html": False; kept so raw HTML stays text
            # even if the parser's options ever change.
            _as_text(token)
        if token.children:
            token.children = _neutralise_inline(token.children)
    html: str = md.renderer.render(tokens, md.options, {})
    return html


def _as_text(token: Token) -> None:
    """Turn *token* into a text token: its content is escaped when rendered."""
    token.type = "text"
    token.tag = ""
    token.nesting = 0
    token.attrs = {}
    token.children = None


def _plain(tokens: Sequence[Token]) -> str:
    """Return the text of inline *tokens*, without markup (an image's alt text)."""
    parts: list[str] = []
    for token in tokens:
        if token.type in {"text", "code_inline"}:
            parts.append(token.content)
        elif token.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif token.children:
            parts.append(_plain(token.children))
    return "".join(parts)


def _neutralise_inline(children: list[Token]) -> list[Token]:
    """Drop anchors to refused URLs and replace images by linked alt text."""
    out: list[Token] = []
    # One entry per open link: whether its anchor was kept (links can nest
    # only through images, but the closing tag must match its opening).
    kept: list[bool] = []
    for token in children:
        if token.type in {"html_inline", "html_block"}:
            _as_text(token)
            out.append(token)
        elif token.type == "link_open":
            ok = is_note_link(str(token.attrGet("href") or ""))
            kept.append(ok)
            if ok:
                out.append(token)
        elif token.type == "link_close":
            if kept.pop() if kept else False:
                out.append(token)
        elif token.type == "image":
            out.extend(_image_as_link(token, inside_link=any(kept)))
        else:
            out.append(token)
    return out


def _image_as_link(image: Token, *, inside_link: bool) -> list[Token]:
    """Return tokens showing *image* as "[image: alt]", linked to it when safe."""
    alt = " ".join(_plain(image.children or []).split())
    label = Token("text", "", 0, content=f"[image: {alt}]" if alt else "[image]")
    src = str(image.attrGet("src") or "")
    # A link inside a link is not valid HTML: inside one, the text alone.
    if inside_link or not is_note_link(src):
        return [label]
    title = str(image.attrGet("title") or "")
    opening = Token("link_open", "a", 1, attrs={"href": src})
    if title:
        opening.attrSet("title", title)
    return [opening, label, Token("link_close", "a", -1)]
