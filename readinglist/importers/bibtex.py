"""Importer for BibTeX files.

Parsing is done by ``bibtexparser`` 2.x, which is lenient: a broken entry
becomes a "failed block" while the entries around it still parse, so one bad
entry costs that entry only and is reported as a :class:`Problem` with its line
and key.  Field values are LaTeX; they are turned into Unicode text with
:func:`readinglist.latex.latex_fragments_to_text` (braces are all grouping
there), except ``url`` and ``doi``, which are verbatim in BibTeX.

Citation keys are the exception to "import as written": a key is pasted
into the user's LaTeX documents and the ``.aux``/``.bbl`` files, where TeX
runs what it reads (``^^5cinput|"cmd"`` is ``\\input|"cmd"`` to TeX).  A key
that is not safe (:func:`readinglist.citekeys.is_valid_citekey`) is replaced
here by its safe characters (:func:`~readinglist.citekeys.safe_citekey`),
made unique among the file's keys, or by a generated key when none are left,
and the change is reported as a :class:`Problem` naming the line and the old
and new keys.
"""

from __future__ import annotations

import logging
import re

from bibtexparser.entrypoint import parse_string
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
)

from readinglist.citekeys import KEY_RULE, is_valid_citekey, make_citekey, make_unique, safe_citekey
from readinglist.importers.hfpage import extract_links
from readinglist.latex import latex_fragments_to_text
from readinglist.people import Person, parse_bibtex_names
from readinglist.records import InputError, ParsedPaper, ParseResult, Problem, quoted

__all__ = ["FORMAT", "looks_like", "parse"]

# bibtexparser logs a warning for every failed block; we report those as
# Problems already.  A NullHandler (the logging HOWTO's advice for libraries)
# keeps Python's last-resort handler from printing them to stderr while an
# application that configures logging still receives them.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

FORMAT = "bibtex"

# "@article{key," / "@misc(key," at the start of a line, or a @string /
# @preamble / @comment block: prose never starts a line like that.
_SNIFF_RE = re.compile(
    r"^[ \t]*@[ \t]*(?:[A-Za-z]+[ \t]*[{(][ \t]*[^\s,{}()]*[ \t]*,"
    r"|(?:string|preamble|comment)[ \t]*[{(])",
    re.MULTILINE | re.IGNORECASE,
)
_KEY_IN_RAW_RE = re.compile(r"@\s*[A-Za-z]+\s*[{(]\s*([^\s,{}()]+)\s*,")
_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_PARAGRAPH_RE = re.compile(r"\n[ \t]*\n\s*")
_VERBATIM_ESCAPE_RE = re.compile(r"\\([%#&_$~])")
_DOI_PREFIX_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_ID = r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
_ARXIV_ID_RE = re.compile(r"(?:arxiv:\s*)?" + _ARXIV_ID, re.IGNORECASE)
# Where else an arXiv id shows up: URLs, "arXiv preprint arXiv:2403.01234",
# and arXiv's own DOIs (10.48550/arXiv.2403.01234).
_ARXIV_IN_TEXT_RE = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|arxiv[:.]\s*)" + _ARXIV_ID, re.IGNORECASE
)
_TAG_SPLIT_RE = re.compile(r"[,;]")
_URL_IN_TEXT_RE = re.compile(r"\\url\{([^{}]+)\}|(https?://\S+)")


def looks_like(text: str) -> bool:
    """Whether ``text`` (the start of a file) contains BibTeX entries."""
    return _SNIFF_RE.search(text[:200_000]) is not None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _text(value: str) -> str:
    """A LaTeX field value as plain text, whitespace folded, paragraphs kept."""
    paragraphs = (_one_line(p) for p in _PARAGRAPH_RE.split(value.strip()))
    return "\n\n".join(latex_fragments_to_text(p, all_groups=True) for p in paragraphs if p)


def _verbatim(value: str) -> str:
    """A url/doi value: verbatim in BibTeX, minus escapes some exporters add."""
    return _VERBATIM_ESCAPE_RE.sub(r"\1", "".join(value.split()))


def _decoded(text: str) -> str:
    return _one_line(latex_fragments_to_text(text, all_groups=True)) if text else ""


def _authors(value: str) -> list[Person]:
    """The people of an ``author`` value, split by BibTeX's rules, each part decoded."""
    people: list[Person] = []
    # "~" is a tie in names ("D.~E. Knuth"): a space for the splitter.
    for raw in parse_bibtex_names(value.replace("~", " ")):
        person = Person(
            given=_decoded(raw.given),
            family=_decoded(raw.family),
            prefix=_decoded(raw.prefix),
            suffix=_decoded(raw.suffix),
        )
        if person:
            people.append(person)
    return people


def _arxiv_id(fields: dict[str, str]) -> str:
    eprint = fields.get("eprint", "").strip()
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    if eprint and prefix in ("arxiv", ""):
        m = _ARXIV_ID_RE.fullmatch(eprint)
        if m is not None:
            return m.group(1)
        if prefix == "arxiv":
            return eprint
    for key in ("url", "doi", "journal", "journaltitle", "howpublished", "note"):
        m = _ARXIV_IN_TEXT_RE.search(fields.get(key, ""))
        if m is not None:
            return m.group(1)
    return ""


def _url(fields: dict[str, str]) -> str:
    if fields.get("url", "").strip():
        return _verbatim(fields["url"])
    # @misc entries often carry the link as howpublished = {\url{...}}.
    m = _URL_IN_TEXT_RE.search(fields.get("howpublished", ""))
    if m is not None:
        return _verbatim(m.group(1) or m.group(2))
    return ""


def _tags(value: str) -> list[str]:
    tags: list[str] = []
    seen: set[str] = set()
    for part in _TAG_SPLIT_RE.split(value):
        tag = _one_line(latex_fragments_to_text(part, all_groups=True))
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    return tags


def _line(block: Block) -> int | None:
    # bibtexparser counts lines from 0.
    return block.start_line + 1 if block.start_line is not None else None


def _fields(entry: Entry) -> dict[str, str]:
    """Field values by lower-case name; the first of duplicates wins, as in BibTeX."""
    fields: dict[str, str] = {}
    for fld in entry.fields:
        key = fld.key.lower()
        if key not in fields:
            fields[key] = fld.value if isinstance(fld.value, str) else str(fld.value)
    return fields


def _entry_name(key: str) -> str | None:
    """Return *key* as it may appear in a message: as is if printable, else quoted."""
    if not key:
        return None
    # A hostile key may hold terminal escape sequences or be very long.
    return key if key.isprintable() and len(key) <= 60 else quoted(key)


def _paper(entry: Entry) -> ParsedPaper | Problem:
    fields = _fields(entry)
    title = _text(fields.get("title", ""))
    if not title:
        return Problem(
            "entry has no title; skipped", line=_line(entry), entry=_entry_name(entry.key)
        )
    year_match = _YEAR_RE.search(fields.get("year", "") or fields.get("date", ""))
    venue = next(
        (
            _text(fields[key])
            for key in ("journal", "journaltitle", "booktitle")
            if fields.get(key, "").strip()
        ),
        "",
    )
    abstract = _text(fields.get("abstract", ""))
    return ParsedPaper(
        title=title,
        abstract=abstract,
        authors=_authors(fields.get("author", "")),
        year=int(year_match.group(1)) if year_match else None,
        venue=venue,
        arxiv_id=_arxiv_id(fields),
        doi=_DOI_PREFIX_RE.sub("", _verbatim(fields.get("doi", ""))),
        url=_url(fields),
        links=extract_links(abstract),
        entry_type=entry.entry_type.lower(),
        citekey=entry.key,
        tags=_tags(fields.get("keywords", "")),
        note=_text(fields.get("annote", "") or fields.get("annotation", "")),
        line=_line(entry),
    )


def _failure(block: ParsingFailedBlock) -> Problem:
    """A Problem describing a block bibtexparser could not parse."""
    raw = block.raw or ""
    key_match = _KEY_IN_RAW_RE.match(raw.lstrip())
    key = _entry_name(key_match.group(1)) if key_match else None
    reason = getattr(block.error, "abort_reason", "") or str(block.error)
    reason = _one_line(str(reason)) or type(block.error).__name__
    return Problem(f"could not parse entry ({reason}); skipped", line=_line(block), entry=key)


def _make_key_safe(paper: ParsedPaper, taken: set[str]) -> Problem | None:
    """Replace an unsafe citation key of *paper* by a safe one; return the notice.

    *taken* holds the file's keys in lower case (updated here), so the new
    key is unique in the file.  The import makes keys unique against the
    library as well, generating a new one on a clash.
    """
    old = paper.citekey
    if not old or is_valid_citekey(old):
        return None
    safe = safe_citekey(old)
    if safe:
        new = make_unique(safe, taken)
    else:
        new = make_citekey(paper.authors, paper.title, paper.year, taken)
    taken.add(new.lower())
    paper.citekey = new
    return Problem(
        f"citation key {quoted(old)} is not safe for LaTeX ({KEY_RULE}); changed to '{new}'",
        line=paper.line,
        entry=new,
    )


def _add(result: ParseResult, item: ParsedPaper | Problem, taken: set[str]) -> None:
    if isinstance(item, ParsedPaper):
        result.papers.append(item)
        notice = _make_key_safe(item, taken)
        if notice is not None:
            result.problems.append(notice)
    else:
        result.problems.append(item)


def _file_keys(blocks: list[Block]) -> set[str]:
    """Return the lower-case keys of the file's entries (a changed key must avoid them)."""
    keys: set[str] = set()
    for block in blocks:
        if isinstance(block, DuplicateFieldKeyBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            block = block.ignore_error_block
        if isinstance(block, Entry) and block.key:
            keys.add(block.key.lower())
    return keys


def parse(text: str, name: str) -> ParseResult:
    """Parse BibTeX text into papers and problems (format ``"bibtex"``).

    Raises :class:`InputError` when the text holds no entry at all.
    """
    try:
        # Default parse stack: resolve @string macros, drop the outer braces
        # or quotes of values.  Name splitting is done per entry below (not as
        # middleware) so that one odd name cannot fail its whole entry.
        library = parse_string(text)
    except Exception as exc:
        # bibtexparser is lenient but not proven against arbitrary input; the
        # caller's contract is "ParseResult or InputError".
        raise InputError(f"{name}: could not parse BibTeX ({_one_line(str(exc))})") from exc
    result = ParseResult(format=FORMAT)
    taken = _file_keys(library.blocks)
    for block in library.blocks:
        if isinstance(block, Entry):
            _add(result, _paper(block), taken)
        elif isinstance(block, DuplicateBlockKeyBlock):
            previous = _line(block.previous_block)
            where = f" (first used on line {previous})" if previous else ""
            result.problems.append(
                Problem(
                    f"duplicate citation key{where}; entry skipped",
                    line=_line(block),
                    entry=_entry_name(block.key),
                )
            )
        elif isinstance(block, DuplicateFieldKeyBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            # The entry is fine apart from a repeated field: import it with the
            # first value (what BibTeX itself uses) and say so.
            entry = block.ignore_error_block
            item = _paper(entry)
            if isinstance(item, ParsedPaper):
                keys = ", ".join(sorted(block.duplicate_keys))
                result.problems.append(
                    Problem(
                        f"duplicate field {keys}; kept the first value",
                        line=_line(entry),
                        entry=_entry_name(entry.key),
                    )
                )
            _add(result, item, taken)
        elif isinstance(block, ParsingFailedBlock):
            result.problems.append(_failure(block))
    if not result.papers and not result.problems:
        raise InputError(f"{name}: no BibTeX entries found")
    return result
