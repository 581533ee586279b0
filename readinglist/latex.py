"""Turn LaTeX fragments inside otherwise plain text into Unicode.

Abstracts copied from paper feeds are plain text that happens to contain a few
LaTeX fragments (``T\\"ULU``, ``50\\%``, ``\\url{...}``, ``\\textit{...}``,
``{it ...}``).  They are *not* LaTeX documents: a raw ``%`` ("83.6% on Top-1")
is a percent sign, not a comment, ``&`` is an ampersand and ``~`` is a tilde.
Running a LaTeX-to-text converter over the whole string with default settings
would cut the text at the first ``%``, turn ``&`` into spaces and ``~`` into a
no-break space.

So this module finds the fragments itself (backslash commands with their
arguments, brace groups that are LaTeX grouping, ``$...$`` math) and only hands
those to pylatexenc; everything between fragments is copied verbatim.  Inside a
fragment a raw ``%`` is escaped before parsing, and the converter's context has
no "specials" at all, so ``&``, ``~``, ``--`` and quotes stay literal there too.
Commands pylatexenc does not know are kept verbatim rather than dropped, so no
text is ever lost to an unknown macro.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Any

from pylatexenc import latex2text, latexwalker, macrospec

__all__ = ["latex_fragments_to_text"]

# Legacy font switches written as ``{it word}`` (backslash lost on the way
# through some feed) or ``{\it word}``.  Kept short on purpose: a brace group
# starting with one of these words and a space is, in practice, always that.
_LEGACY_SWITCH_WORDS = ("it", "bf", "em", "sc", "tt", "sl")
_LEGACY_SWITCH_RE = re.compile(r"(?<!\\)\{(" + "|".join(_LEGACY_SWITCH_WORDS) + r")(?=\s)")

# Font / size switches: they change how text looks, never what it says.
_SWITCH_MACROS = (
    *_LEGACY_SWITCH_WORDS,
    "rm",
    "sf",
    "itshape",
    "bfseries",
    "scshape",
    "ttfamily",
    "slshape",
    "rmfamily",
    "sffamily",
    "upshape",
    "mdseries",
    "normalfont",
    "normalsize",
    "small",
    "footnotesize",
    "scriptsize",
    "tiny",
    "large",
    "Large",
    "LARGE",
    "huge",
    "Huge",
    "protect",
    "relax",
    "noindent",
    "xspace",
)
# One-argument commands whose argument is the text (pylatexenc's walker knows
# some of them, e.g. \mbox, but its text context has no rule and drops them).
_KEEP_ARG_MACROS = (
    "mbox",
    "hbox",
    "textsf",
    "texttt",
    "textup",
    "textmd",
    "textnormal",
    "textsuperscript",
    "textsubscript",
)
_LOGOS = {"TeX": "TeX", "LaTeX": "LaTeX", "BibTeX": "BibTeX", "LaTeXe": "LaTeX2e"}

# Escapes that may appear inside \url{...}; the URL itself is otherwise verbatim.
_URL_ESCAPE_RE = re.compile(r"\\([%#&_$~{}])")
# A raw ``%`` (not ``\%``) inside a fragment must not start a LaTeX comment.
_ESCAPE_OR_PERCENT_RE = re.compile(r"\\.|%", re.DOTALL)
_BRACE_TOKEN_RE = re.compile(r"\\.|[{}]", re.DOTALL)
_TRIGGER_RE = re.compile(r"[\\{$]")
_NAME_RE = re.compile(r"[A-Za-z]+")
# Brace contents that are a single "word" ({p}, {theta}, {LLMs}, {{GPT}}): in
# plain text such braces can only be LaTeX grouping, while a group with spaces
# and punctuation ("{1, 2, 3}", "{x | x > 0}") may be literal text and is kept.
_WORDISH_RE = re.compile(r"[\w'.\-{}]+")
_MATH_HINT_RE = re.compile(r"[\\^_{]")
_MAX_MATH_LEN = 300
_MAX_OPTARG_LEN = 300
# Bounds on what is handed to pylatexenc.  Its tolerant parser backtracks on
# unbalanced braces, exponentially in their nesting ("$\href{\href{...$" of
# 100 characters took 5 s), so a fragment with unbalanced braces, braces
# nested deeper than this, more commands than this or more characters than
# this is kept as typed (and reported), never parsed.
MAX_FRAGMENT_LEN = 2000
MAX_FRAGMENT_DEPTH = 6
MAX_FRAGMENT_COMMANDS = 40


def _url_text(node: Any, l2tobj: Any) -> str:
    """Render ``\\url{x}`` as just ``x``, verbatim (pylatexenc's default is ``<x>``)."""
    del l2tobj  # part of pylatexenc's callback signature
    args = node.nodeargd.argnlist if node.nodeargd is not None else []
    if not args or args[0] is None:
        return ""
    raw = str(args[0].latex_verbatim())
    if raw.startswith("{") and raw.endswith("}"):
        raw = raw[1:-1]
    # URLs are verbatim for url.sty; only undo escapes a careful author (or our
    # own %-protection) may have added.
    return _URL_ESCAPE_RE.sub(r"\1", raw).strip()


def _href_text(node: Any, l2tobj: Any) -> str:
    """Render ``\\href{url}{text}`` as ``text (url)`` so the link is not lost."""
    args = node.nodeargd.argnlist if node.nodeargd is not None else []
    if len(args) < 2 or args[0] is None:
        return _url_text(node, l2tobj)
    url = _url_text(node, l2tobj)
    text = str(l2tobj.nodelist_to_text([args[1]])) if args[1] is not None else ""
    return f"{text} ({url})" if text and text != url else url


@dataclass(frozen=True)
class _Converter:
    """pylatexenc objects configured for fragments, built once (see _converter)."""

    walker_db: Any
    text: Any
    known: frozenset[str]

    def argspec(self, name: str) -> str:
        spec = self.walker_db.get_macro_spec(name)
        parser = getattr(spec, "args_parser", None)
        return str(getattr(parser, "argspec", "") or "")


@functools.cache
def _converter() -> _Converter:
    # pylatexenc logs a warning for every macro it cannot substitute; the
    # fragment is kept as typed then, which is all the user needs.
    logging.getLogger("pylatexenc").setLevel(logging.ERROR)
    # Drop every "specials" definition (&, ~, --, ``, '' ...): in fragments of
    # plain text these characters are literal.  Keep macros and environments.
    walker_db = latexwalker.get_default_latex_context_db().filter_context(
        keep_which=["macros", "environments"]
    )
    walker_db.add_context_category(
        "readinglist",
        prepend=True,
        macros=[
            macrospec.std_macro("url", False, 1),
            macrospec.std_macro("href", False, 2),
            *(macrospec.std_macro(name, False, 1) for name in _KEEP_ARG_MACROS),
        ],
    )
    text_db = latex2text.get_default_latex_context_db().filter_context(
        keep_which=["macros", "environments"]
    )
    spec = latex2text.MacroTextSpec
    text_db.add_context_category(
        "readinglist",
        prepend=True,
        macros=[
            spec("url", simplify_repl=_url_text),
            spec("href", simplify_repl=_href_text),
            # A forced line break inside a one-line field is just a space.
            spec("\\", simplify_repl=" "),
            *(spec(name, simplify_repl="") for name in _SWITCH_MACROS),
            *(spec(name, discard=False) for name in _KEEP_ARG_MACROS),
            *(spec(name, simplify_repl=text) for name, text in _LOGOS.items()),
        ],
    )
    known = frozenset(m.macroname for m in text_db.iter_macro_specs())
    text = latex2text.LatexNodes2Text(latex_context=text_db, math_mode="text")
    return _Converter(walker_db=walker_db, text=text, known=known)


def _too_complex(fragment: str) -> str:
    """Why *fragment* is beyond the bounds above ('' when it is within them)."""
    if len(fragment) > MAX_FRAGMENT_LEN:
        return f"longer than {MAX_FRAGMENT_LEN} characters"
    depth = deepest = commands = 0
    for m in _BRACE_TOKEN_RE.finditer(fragment):
        token = m.group()
        if token == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif token == "}":
            depth -= 1
            if depth < 0:
                return "unbalanced braces"
        else:  # a control sequence or an escaped character
            commands += 1
    if depth:
        return "unbalanced braces"
    if deepest > MAX_FRAGMENT_DEPTH:
        return f"braces nested deeper than {MAX_FRAGMENT_DEPTH}"
    if commands > MAX_FRAGMENT_COMMANDS:
        return f"more than {MAX_FRAGMENT_COMMANDS} commands"
    return ""


@functools.lru_cache(maxsize=8192)
def _convert(fragment: str) -> str:
    """Convert one fragment; cached because fragments repeat (``T\\"ULU`` ...)."""
    conv = _converter()
    source = _LEGACY_SWITCH_RE.sub(r"{\\\1", fragment)
    source = _ESCAPE_OR_PERCENT_RE.sub(lambda m: r"\%" if m.group() == "%" else m.group(), source)
    try:
        walker = latexwalker.LatexWalker(
            source, latex_context=conv.walker_db, tolerant_parsing=True
        )
        nodes, _, _ = walker.get_latex_nodes()
        return str(conv.text.nodelist_to_text(nodes))
    except Exception:
        # pylatexenc can raise assorted errors (IndexError, RecursionError...)
        # on odd input; a fragment we cannot decode is better kept as typed
        # than losing the whole text.
        return fragment


def _match_braces(s: str) -> dict[int, int]:
    """Map each balanced ``{`` to its ``}`` in one linear pass (escapes skipped)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACE_TOKEN_RE.finditer(s):
        token = m.group()
        if token == "{":
            stack.append(m.start())
        elif token == "}" and stack:
            pairs[stack.pop()] = m.start()
    return pairs


def _skip_space(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def _after_name(s: str, i: int) -> int:
    """Index after the control sequence starting at ``s[i] == '\\'``."""
    m = _NAME_RE.match(s, i + 1)
    return m.end() if m else min(i + 2, len(s))


def _macro_end(
    s: str, start: int, pairs: dict[int, int], conv: _Converter
) -> tuple[int, bool, bool]:
    """Return (end, known, eat_space) for the command at ``start``.

    For a known command the end includes its arguments as pylatexenc would
    parse them; for an unknown one it includes the name and any brace groups
    right after it, so those stay verbatim together with the command.  An end
    of -1 means "not a fragment" (e.g. an argument is missing).  ``eat_space``
    is set for a control word without arguments, which in LaTeX swallows the
    spaces after it.
    """
    n = len(s)
    name_match = _NAME_RE.match(s, start + 1)
    if name_match:
        name, j = name_match.group(), name_match.end()
    elif start + 1 < n:
        name, j = s[start + 1], start + 2
    else:
        return -1, False, False
    if name not in conv.known:
        while j < n and s[j] == "{" and j in pairs:
            j = pairs[j] + 1
        return j, False, False
    argspec = conv.argspec(name)
    if name == "\\":
        # A forced line break becomes one space; spaces after it are layout.
        return j, True, True
    if not argspec and name_match:
        # "\ss{}", "\LaTeX{}": the empty group only ends the command name.
        if s.startswith("{}", j):
            return j + 2, True, False
        return j, True, True
    for kind in argspec:
        if kind == "*":
            if j < n and s[j] == "*":
                j += 1
        elif kind == "[":
            k = _skip_space(s, j)
            if k < n and s[k] == "[":
                # Bounded search: many unclosed "[" must not make this quadratic.
                close = s.find("]", k, k + _MAX_OPTARG_LEN)
                if close < 0:
                    return -1, False, False
                j = close + 1
        else:  # "{": a mandatory argument: a group, a command or one character
            k = _skip_space(s, j)
            if k >= n or s[k] in "}%":
                return -1, False, False
            if s[k] == "{":
                if k not in pairs:
                    return -1, False, False
                j = pairs[k] + 1
            elif s[k] == "\\":
                j = _after_name(s, k)
            else:
                j = k + 1
    return j, True, False


def _group_end(s: str, start: int, pairs: dict[int, int], all_groups: bool) -> int:
    """End of the brace group at ``start`` if it is LaTeX grouping, else -1."""
    close = pairs.get(start)
    if close is None:
        return -1
    content = s[start + 1 : close]
    if all_groups:
        return close + 1
    if not content:
        return -1
    if (
        "\\" in content
        or _LEGACY_SWITCH_RE.match(s, start)
        or _WORDISH_RE.fullmatch(content) is not None
    ):
        return close + 1
    return -1


def _math_end(s: str, start: int, all_groups: bool) -> int:
    """End of an inline ``$...$`` at ``start`` if it looks like math, else -1.

    In plain text ``$`` is usually money ("$5 and $10"), so it only counts as
    math when the content hugs the dollars and has a LaTeX hint in it.
    """
    if s.startswith("$$", start):
        return -1
    close = s.find("$", start + 1, start + 2 + _MAX_MATH_LEN)
    if close < 0:
        return -1
    content = s[start + 1 : close]
    if not content or content[0].isspace() or content[-1].isspace() or "\n" in content:
        return -1
    if all_groups or _MATH_HINT_RE.search(content):
        return close + 1
    return -1


def latex_fragments_to_text(
    s: str, *, all_groups: bool = False, kept: list[str] | None = None
) -> str:
    """Return ``s`` with its LaTeX fragments turned into Unicode text.

    Text outside fragments is returned unchanged, so a raw ``%``, ``&`` or
    ``~`` survives.  With ``all_groups=True`` every balanced brace group counts
    as LaTeX grouping (BibTeX field values, where braces protect case); by
    default only groups that are clearly markup are (a command inside, a
    single word, or a legacy ``{it ...}`` switch).  Time is linear in the
    length of ``s``: a fragment beyond the bounds above is kept as typed, and
    a line saying so is appended to *kept* when given.
    """
    # Fast path: most abstracts contain no LaTeX at all.
    if "\\" not in s and "{" not in s and "$" not in s:
        return s
    conv = _converter()
    pairs = _match_braces(s) if "{" in s else {}
    out: list[str] = []
    copied = 0  # s[:copied] has been handled
    i = 0
    while (m := _TRIGGER_RE.search(s, i)) is not None:
        start = m.start()
        char = s[start]
        eat_space = False
        if char == "\\":
            end, known, eat_space = _macro_end(s, start, pairs, conv)
            if not known:
                # Unknown command (or a lone backslash): keep it verbatim.
                i = max(end, start + 1)
                continue
        elif char == "{":
            end = _group_end(s, start, pairs, all_groups)
        else:
            end = _math_end(s, start, all_groups)
        if end < 0:
            i = start + 1
            continue
        fragment = s[start:end]
        why = _too_complex(fragment)
        if why:
            if kept is not None:
                kept.append(f"LaTeX kept as typed ({why}): {fragment[:60]}")
            i = end
            continue
        text = _convert(fragment)
        out.append(s[copied:start])
        out.append(text)
        if eat_space and len(text) <= 1:
            # Only for commands that yield at most one character (ß, ø, a font
            # switch): "\LaTeX is" keeps its space, unlike real LaTeX, because
            # the writer of a plain-text abstract meant one.
            while end < len(s) and s[end] in " \t":
                end += 1
        copied = i = end
    out.append(s[copied:])
    return "".join(out)
