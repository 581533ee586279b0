"""Rendering notes from Markdown: the structure comes out, nothing active gets in."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readinglist.core.markdown import is_note_link, render_note


class _Tags(HTMLParser):
    """Collects every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def hrefs(html: str) -> list[str]:
    return [str(attrs.get("href")) for tag, attrs in tags_of(html) if tag == "a"]


# Tags that may appear in a rendered note: structure and text styles, links.
ALLOWED_TAGS = {
    *(f"h{i}" for i in range(1, 7)),
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def test_the_core_module_does_not_use_qt() -> None:
    # The rule lives in the core, which never imports Qt.
    import readinglist.core.markdown as module

    assert "PySide6" not in Path(module.__file__).read_text("utf-8")


def test_headings_lists_code_and_emphasis() -> None:
    html = render_note(
        "# Idea\n\n## Method\n\n- one\n- two\n\n1. first\n\n"
        "*soft* **bold** ~~gone~~ `x<y`\n\n```python\nif a < b:\n    pass\n```\n\n> quoted"
    )
    assert "<h1>Idea</h1>" in html
    assert "<h2>Method</h2>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n</ol>" in html
    assert "<em>soft</em>" in html
    assert "<strong>bold</strong>" in html
    assert "<s>gone</s>" in html
    assert "<code>x&lt;y</code>" in html
    assert '<pre><code class="language-python">if a &lt; b:\n    pass\n</code></pre>' in html
    assert "<blockquote>" in html


def test_tables_and_single_newlines() -> None:
    html = render_note("| a | b |\n|---|---|\n| 1 | 2 |\n\nline one\nline two")
    assert "<th>a</th>" in html and "<td>2</td>" in html
    # Typed line by line in a plain editor: a newline is a new line.
    assert "line one<br />\nline two" in html


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/abs/2411.15941",
        "http://example.org/a?b=c",
    ],
)
def test_web_links_are_anchors(url: str) -> None:
    assert hrefs(render_note(f"see [the paper]({url})")) == [url]
    assert hrefs(render_note(f"<{url}>")) == [url]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "relative/path.md",
        "//example.org/no-scheme",
        "https:///no-host",
        "mailto:",
        # The window opens only web links: a mail link stays text.
        "mailto:someone@example.org",
    ],
)
def test_other_links_are_only_text(url: str) -> None:
    html = render_note(f"see [the paper]({url})")
    assert hrefs(html) == []
    assert "the paper" in html


def test_raw_html_is_shown_as_text() -> None:
    note = (
        "<script>alert('x')</script>\n\n"
        '<div onclick="steal()">block</div>\n\n'
        'inline <b onmouseover="x()">bold</b> and <iframe src="https://evil.example"></iframe>\n\n'
        '<a href="javascript:alert(1)">raw link</a> <style>body{}</style>'
    )
    html = render_note(note)
    assert {tag for tag, _ in tags_of(html)} <= {"p"}
    assert "&lt;script&gt;alert(" in html
    assert "&lt;div onclick=" in html
    assert "&lt;iframe" in html


def test_images_are_never_loaded_but_linked() -> None:
    html = render_note(
        '![a *plot*](http://tracker.example/pixel.png "Plot") ![](https://x.org/i.png)'
    )
    found = tags_of(html)
    assert all(tag != "img" for tag, _ in found)
    assert hrefs(html) == ["http://tracker.example/pixel.png", "https://x.org/i.png"]
    assert "[image: a plot]" in html and "[image]" in html
    assert "<img" not in html


@pytest.mark.parametrize(
    "src", ["javascript:alert(1)", "data:image/png;base64,AAAA", "file:///tmp/x.png", "x.png"]
)
def test_images_with_other_sources_are_alt_text_alone(src: str) -> None:
    html = render_note(f"![diagram]({src})")
    assert hrefs(html) == []
    assert "<img" not in html
    assert "diagram" in html


def test_an_image_inside_a_link_does_not_nest_anchors() -> None:
    html = render_note("[![badge](https://img.example/b.svg)](https://project.example)")
    assert hrefs(html) == ["https://project.example"]
    assert "[image: badge]" in html


def test_attribute_values_are_escaped() -> None:
    html = render_note('[x](https://example.org/"onmouseover="alert(1))')
    for _tag, attrs in tags_of(html):
        assert set(attrs) <= {"href", "title", "class"}


def test_is_note_link() -> None:
    assert is_note_link("HTTPS://Example.org")
    assert not is_note_link("mailto:a@b.c")
    assert not is_note_link("http://")
    assert not is_note_link("http://[::1")  # not even parseable
    assert not is_note_link("javascript:alert(1)")


@given(st.text(max_size=300))
def test_any_note_renders_only_safe_markup(text: str) -> None:
    html = render_note(text)
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, tag
        assert not any(name.startswith("on") for name in attrs)
        if tag == "a":
            assert is_note_link(str(attrs["href"]))
        if tag == "code" and "class" in attrs:
            assert re.fullmatch(r"language-\S+", str(attrs["class"]))
