"""The command line: every library operation, headless.

``readinglist [--library DIR] COMMAND ...``; with no command the desktop app
opens, and ``readinglist [--library DIR] FILE...`` (what the desktop runs for
"Open with") opens it and imports the files, or hands them to the window
already open on that library.  ``readinglist --smoke-test`` checks an
installation.  Scripts and end-to-end tests drive the product through here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__

# Only what building the parser needs is imported here: ``--version`` and
# ``--help`` must not pay for SQLAlchemy, Whoosh or Qt (tests/test_cli.py
# checks).  core.query imports only the standard library.
from .core.query import SORT_KEYS, Query, compose, first_direction

# The export formats (core.exports.Exports.FORMATS, checked by a test), named
# here so building the parser imports nothing heavy.
EXPORT_FORMATS = ("bibtex", "biblatex", "ris", "csl-json", "markdown", "csv")
_FORMAT_BY_SUFFIX = {".ris": "ris", ".json": "csl-json", ".md": "markdown", ".csv": "csv"}

if TYPE_CHECKING:
    from .library import Library
    from .records import PaperData


class CliError(Exception):
    """A user-facing error: printed on one line, exit status 1 or 2."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _ids(values: Sequence[str]) -> list[int]:
    out: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise CliError(f"'{part}' is not a paper id (ids are whole numbers)", 2)
            out.append(int(part))
    return out


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="T",
        help="only papers with this tag (repeat for several)",
    )
    p.add_argument("--starred", action="store_true", help="only starred papers")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--unread", action="store_true", help="only unread papers")
    state.add_argument("--read", action="store_true", help="only read papers")
    p.add_argument("--trash", action="store_true", help="papers in the trash instead")
    p.add_argument("--sort", choices=SORT_KEYS, default=None, help="sort order")


def _query(args: argparse.Namespace, text: str = "") -> Query:
    """The query of the filter options; the same rules as the window's (core.query.compose)."""
    return compose(
        Query(trashed=args.trash),
        text,
        tags=args.tag,
        starred=True if args.starred else None,
        read=True if args.read else False if args.unread else None,
        sort=args.sort,
        descending=first_direction(args.sort or ""),
    )


class _TerminalProgress:
    """Shows a long operation's progress on one stderr line when it is a terminal."""

    def __init__(self) -> None:
        from .core.progress import Progress

        self.live = sys.stderr.isatty()
        self.progress = Progress(self._show, min_interval=0.2)

    def _show(self, _stage: str, _done: int, _total: int) -> None:
        if self.live:
            sys.stderr.write("\r\033[K" + self.progress.describe())
            sys.stderr.flush()

    def end(self) -> None:
        if self.live:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def build_parser() -> argparse.ArgumentParser:
    return _build_parser()[0]


# The main parser's options that take a value: the scan for files skips it.
_VALUE_OPTIONS = ("--library",)


def _build_parser() -> tuple[argparse.ArgumentParser, frozenset[str]]:
    """The parser and its commands' names."""
    parser = argparse.ArgumentParser(
        prog="readinglist",
        usage="%(prog)s [-h] [--version] [--library DIR] [--smoke-test] [COMMAND ... | FILE ...]",
        description="Reading List: keep, tag, annotate, search and cite research papers.",
        epilog="With no command, the desktop app opens; with files (or folders), it opens and "
        "imports them as a drop on its window would, or hands them to the window already "
        "open on the library.  A file named like a command is given as ./NAME.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--library",
        metavar="DIR",
        help="library folder (default: $READINGLIST_LIBRARY or the user data folder)",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="check the installation: open the window on a temporary library, import the "
        "bundled sample, search it and quit (needs a display; exit status 0 when all worked)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("import", help="import papers from files and folders")
    p.add_argument("files", nargs="+", metavar="FILE", help="a file, or a folder to import all of")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")

    p = sub.add_parser("list", help="list papers")
    _add_filters(p)
    p.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("search", help="full-text search, best matches first")
    p.add_argument("query")
    _add_filters(p)
    p.add_argument("--limit", type=int, default=None, metavar="N", help="only the best N")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("show", help="show one paper")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("tag", help="add or remove tags")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("--add", nargs="+", default=[], metavar="T", help="tags (or 'a, b') to add")
    p.add_argument("--remove", nargs="+", default=[], metavar="T", help="tags to remove")

    for name, helptext in [
        ("star", "star papers"),
        ("unstar", "unstar papers"),
        ("mark-read", "mark papers read"),
        ("mark-unread", "mark papers unread"),
        ("trash", "move papers to the trash"),
        ("restore", "restore papers from the trash"),
    ]:
        p = sub.add_parser(name, help=helptext)
        p.add_argument("ids", nargs="+", metavar="ID")

    p = sub.add_parser("note", help="set, append to or edit a paper's note")
    p.add_argument("id")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--set", metavar="TEXT")
    group.add_argument("--append", metavar="TEXT")
    group.add_argument("--edit", action="store_true", help="edit in $EDITOR")

    p = sub.add_parser(
        "export", help="export papers (BibTeX, BibLaTeX, RIS, CSL-JSON, Markdown, CSV)"
    )
    p.add_argument(
        "-f",
        "--format",
        choices=EXPORT_FORMATS,
        help="default: from the --output suffix (.ris, .json, .md, .csv), else bibtex",
    )
    _add_filters(p)
    p.add_argument("--ids", metavar="ID,...", help="only these papers")
    p.add_argument("--query", metavar="Q", help="only papers matching this search")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")

    p = sub.add_parser(
        "duplicates",
        help="list likely duplicate papers (same arXiv id, DOI or a near-identical title)",
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "merge",
        help="merge paper OTHER into KEEP: tags, notes, stars, links and files are kept; "
        "OTHER is deleted (a backup is taken first)",
    )
    p.add_argument("keep", metavar="KEEP")
    p.add_argument("other", metavar="OTHER")

    p = sub.add_parser(
        "fill",
        help="fill missing authors, year, venue, abstract, ids from arXiv and Crossref (online)",
        description="Looks papers up on the arXiv API (by id, or by exact title) and Crossref "
        "(by DOI) and fills fields that are empty; fields you edited are never changed.",
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="papers to fill (or use the filters)")
    _add_filters(p)
    p.add_argument(
        "--all-missing",
        action="store_true",
        help="every paper (of the filters' view) with a field missing",
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("doctor", help="check the database and the search index")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--repair", action="store_true", help="fix what can be fixed")
    group.add_argument(
        "--salvage",
        action="store_true",
        help="copy what a damaged database still holds into a new one (the old file is kept)",
    )

    p = sub.add_parser(
        "backup",
        help="back up the library now, list its backups or restore one",
        description="Backups are taken automatically every day and before upgrades and bulk "
        "deletions; they live in the library folder's backups/ folder.",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--list", action="store_true", help="list the backups, newest first")
    group.add_argument(
        "--restore",
        nargs="?",
        const="",
        metavar="BACKUP",
        help="put a backup (the newest by default) in place of the library's database",
    )

    p = sub.add_parser("gui", help="open the desktop app (the default), importing FILEs")
    p.add_argument(
        "files", nargs="*", metavar="FILE", help="files or folders to import, as a drop would"
    )
    return parser, frozenset(sub.choices)


def _files_to_open(argv: Sequence[str], commands: Collection[str]) -> tuple[list[str], list[str]]:
    """Split ``readinglist [OPTIONS] FILE...`` into (options, files); ([], []) for any other.

    The desktop runs ``readinglist FILE...`` ("Open with", a file manager's
    double-click, the menu's ``%F``).  The first word that is neither an
    option nor a command's name begins the files when it names a file: it
    exists, or has a folder part or a suffix (``paper.bib`` that is gone).
    Anything else is left to argparse, which names a mistyped command.
    """
    options: list[str] = []
    words: list[str] = []
    rest_are_words = False
    tokens = iter(argv)
    for token in tokens:
        if rest_are_words or token == "-" or not token.startswith("-"):
            words.append(token)
        elif token == "--":
            rest_are_words = True
        else:
            options.append(token)
            # argparse also takes an unambiguous prefix: --lib DIR.
            if "=" not in token and any(
                len(token) > 2 and name.startswith(token) for name in _VALUE_OPTIONS
            ):
                value = next(tokens, None)
                if value is not None:
                    options.append(value)
    if not words or words[0] in commands or not _names_a_file(words[0]):
        return [], []
    return options, words


def _names_a_file(word: str) -> bool:
    path = Path(word)
    return os.path.exists(word) or len(path.parts) > 1 or bool(path.suffix)


def _print_papers(
    papers: Sequence[PaperData], as_json: bool, out: TextIO, total: int | None = None
) -> None:
    if as_json:
        json.dump([p.to_json() for p in papers], out, ensure_ascii=False, indent=1)
        out.write("\n")
        return
    for p in papers:
        flags = ("★" if p.starred else " ") + (" " if p.read else "•")
        tags = f"  [{', '.join(p.tags)}]" if p.tags else ""
        out.write(f"{p.id:>6} {flags} {p.title}{tags}\n")
    if total is not None and total != len(papers):
        out.write(f"{len(papers)} of {total} papers\n")
    else:
        out.write(f"{len(papers)} papers\n")


def _show(p: PaperData, out: TextIO) -> None:
    lines = [
        f"#{p.id}  {p.title}",
        f"Authors:  {', '.join(p.authors) or '—'}",
        f"Year:     {p.year or '—'}",
        f"Key:      {p.citekey}",
        f"Tags:     {', '.join(p.tags) or '—'}",
        f"Starred:  {'yes' if p.starred else 'no'}    Read: {'yes' if p.read else 'no'}",
    ]
    for label, value in (("arXiv", p.arxiv_id), ("DOI", p.doi), ("URL", p.url)):
        if value:
            lines.append(f"{label + ':':<9} {value}")
    for link in p.links:
        lines.append(f"Link:     {link}")
    lines += ["", p.abstract]
    if p.note:
        lines += ["", "Note:", p.note]
    out.write("\n".join(lines) + "\n")


def _edit_text(initial: str) -> str:
    import shlex
    import subprocess
    import tempfile

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as fh:
        fh.write(initial)
        name = fh.name
    try:
        status = subprocess.call([*shlex.split(editor), name])
        if status != 0:
            raise CliError(f"editor '{editor}' exited with status {status}; note unchanged")
        return Path(name).read_text("utf-8")
    finally:
        os.unlink(name)


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; return the exit status."""
    started = time.perf_counter()  # The smoke test says how long its window took.
    out = out or sys.stdout
    parser, commands = _build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    options, files = _files_to_open(words, commands)
    args = parser.parse_args(options if files else words)
    if args.command == "gui":
        files = args.files
    if args.smoke_test:
        if args.command or files or args.library:
            print(
                "readinglist: --smoke-test takes no command, file or --library "
                "(it makes a temporary library)",
                file=sys.stderr,
            )
            return 2
        return _smoke_test(parser, started)
    if args.command in (None, "gui"):
        missing = [name for name in files if not os.path.exists(name)]
        if missing:
            for name in missing:
                print(f"readinglist: {name}: no such file or folder", file=sys.stderr)
            return 2
        # Absolute: they may be handed to a window started elsewhere.
        return _open_gui(args, parser, [Path(os.path.abspath(name)) for name in files])
    # The heavy imports (SQLAlchemy, Whoosh) happen here, once a command runs.
    from .core.backups import BackupError
    from .core.faults import EXIT_DAMAGED, EXIT_ENVIRONMENT, EXIT_USAGE, explain
    from .db import DatabaseError
    from .library import IndexUpdateError, LibraryDamaged
    from .paths import resolve_library_dir
    from .search import QuerySyntaxError

    folder = resolve_library_dir(args.library)
    try:
        # Restoring and salvaging work on a library that cannot be opened.
        if args.command == "backup" and args.restore is not None:
            return _restore(folder, args.restore or None, out)
        if args.command == "doctor" and args.salvage:
            return _salvage(folder, out)
        with _open(folder, args.command) as lib:
            if args.command in _CHANGING:
                _daily_backup(lib)
            return _dispatch(lib, args, out)
    except CliError as exc:
        print(f"readinglist: {exc}", file=sys.stderr)
        return exc.status
    except LibraryDamaged as exc:
        print(f"readinglist: {exc}", file=sys.stderr)
        return EXIT_DAMAGED
    except (DatabaseError, BackupError) as exc:
        print(f"readinglist: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except QuerySyntaxError as exc:
        print(f"readinglist: bad query: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IndexUpdateError as exc:
        print(f"readinglist: {exc}", file=sys.stderr)
        return 1
    except KeyError as exc:
        print(f"readinglist: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`readinglist list | head`): not a fault of
        # ours.  Output that can no longer go anywhere is dropped, so Python's
        # own flush at exit does not fail a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # what a shell reports for a command ended by SIGPIPE
    except Exception as exc:  # the last line between a fault and a traceback
        message = explain(exc, folder)
        if message is not None:
            print(f"readinglist: {message}", file=sys.stderr)
            return EXIT_ENVIRONMENT
        return _bug(exc)


# Commands that change the library: the daily backup is taken before them.
_CHANGING = frozenset(
    {"import", "tag", "star", "unstar", "mark-read", "mark-unread", "trash", "restore", "note"}
)
# Commands that only read: they never wait for a writer and never repair the
# index; a search answered by an index that is behind says so on stderr.
# (doctor opens this way too, so it can report what it finds; it takes the
# write lock itself.)
_READING = frozenset({"list", "search", "show", "export", "backup", "doctor", "duplicates"})


def _open(folder: Path, command: str) -> Library:
    """Open the library as *command* needs: readers never lock, writers repair first."""
    from .library import Library

    if command in _READING:
        return Library(folder, sync_index=False)
    told = False

    def waiting() -> None:
        nonlocal told
        if not told:
            told = True
            print(
                "readinglist: waiting for another Reading List process to finish writing "
                "to this library...",
                file=sys.stderr,
            )

    return Library(folder, on_wait=waiting)


def _index_note(lib: Library) -> None:
    """One stderr line when a search was answered by an index that is behind or damaged."""
    lag = lib.index_lag()
    if lag.behind:
        print(f"note: {lag.describe()}", file=sys.stderr)


def _daily_backup(lib: Library) -> None:
    from .core.backups import BackupError

    try:
        lib.backup_if_due()
    except BackupError as exc:
        # The change itself can still be made; say that no backup was.
        print(f"readinglist: warning: no daily backup: {exc}", file=sys.stderr)


def _bug(exc: BaseException) -> int:
    """A bug, not the environment: the traceback goes to the log file, one line here."""
    import logging
    import traceback

    from .paths import log_dir

    text = "".join(traceback.format_exception(exc))
    where = "the log"
    try:
        path = log_dir() / "readinglist.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"command line: internal error\n{text}\n")
        where = str(path)
    except OSError:
        logging.getLogger("readinglist").error("internal error\n%s", text)
        sys.stderr.write(text)
    print(
        f"readinglist: internal error ({type(exc).__name__}: {exc}); details in {where}",
        file=sys.stderr,
    )
    return 70


def _restore(folder: Path, name: str | None, out: TextIO) -> int:
    from .library import restore_backup

    shown = _TerminalProgress()
    try:
        restored = restore_backup(folder, name, shown.progress)
    finally:
        shown.end()
    out.write(f"restored {restored.snapshot.name}: {restored.snapshot.describe()}\n")
    if restored.set_aside is not None:
        out.write(f"the replaced database was kept as {restored.set_aside}\n")
    out.write("the search index is rebuilt at the next start\n")
    return 0


def _salvage(folder: Path, out: TextIO) -> int:
    from .library import salvage_library

    result = salvage_library(folder)
    out.write(result.describe() + "\n")
    return 0


def _open_gui(args: argparse.Namespace, parser: argparse.ArgumentParser, files: list[Path]) -> int:
    try:
        from .gui.app import main as gui_main
    except ImportError as exc:
        print(f"readinglist: the desktop app is not available ({exc})", file=sys.stderr)
        parser.print_help()
        return 1
    return gui_main(library=args.library, files=files)


def _smoke_test(parser: argparse.ArgumentParser, started: float) -> int:
    try:
        from .gui.app import smoke_test
    except ImportError as exc:
        print(f"readinglist: smoke test failed: no desktop app ({exc})", file=sys.stderr)
        return 1
    return smoke_test(started)


def _import(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    shown = _TerminalProgress()
    try:
        reports = lib.import_paths([Path(n) for n in args.files], shown.progress)
    finally:
        shown.end()
    if args.json:
        json.dump([r.to_json() for r in reports], out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        for report in reports:
            out.write(report.summary() + "\n")
            for problem in report.problems:
                out.write("  " + problem.describe(report.file_name) + "\n")
            if report.error:
                print(f"readinglist: {report.error}", file=sys.stderr)
    return 0 if reports and all(r.ok for r in reports) else 1


def _first(lib: Library, q: Query, limit: int | None) -> tuple[list[int], int]:
    """The ids of *q* in order (only the first *limit* when given) and how many match."""
    if limit is None:
        ids = lib.query_ids(q)
        return ids, len(ids)
    return lib.page(q, 0, max(0, limit))


def _list(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    ids, total = _first(lib, _query(args), args.limit)
    _print_papers(lib.get(ids), args.json, out, total)
    return 0


def _search(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    ids, total = _first(lib, _query(args, args.query), args.limit)
    _print_papers(lib.get(ids), args.json, out, total)
    _index_note(lib)
    return 0


def _show_cmd(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    paper = lib.paper(_ids([args.id])[0])
    if args.json:
        json.dump(paper.to_json(), out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        _show(paper, out)
    return 0


def _bulk_edit(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    """tag, star, unstar, mark-read, mark-unread, trash, restore."""
    from .core.tags import parse_tag_list

    cmd = args.command
    ids = _ids(args.ids)
    missing = sorted(set(ids) - set(lib.existing_ids(ids)))
    if missing:
        raise CliError(f"no paper with id {', '.join(map(str, missing))}")
    if cmd == "tag":
        if not args.add and not args.remove:
            raise CliError("say --add T... and/or --remove T...", 2)
        if args.add:
            lib.add_tags(ids, parse_tag_list(args.add))
        if args.remove:
            lib.remove_tags(ids, parse_tag_list(args.remove))
    elif cmd in {"star", "unstar"}:
        lib.set_starred(ids, cmd == "star")
    elif cmd in {"mark-read", "mark-unread"}:
        lib.set_read(ids, cmd == "mark-read")
    elif cmd == "trash":
        lib.trash(ids)
    else:
        lib.restore(ids)
    out.write(f"{cmd}: {len(ids)} papers\n")
    return 0


def _note(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    pid = _ids([args.id])[0]
    if args.set is not None:
        lib.set_note(pid, args.set)
    elif args.append is not None:
        lib.append_note(pid, args.append)
    else:
        lib.set_note(pid, _edit_text(lib.paper(pid).note))
    return 0


def _export(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    q = _query(args, args.query or "")
    if args.ids:
        q = q.with_(ids=tuple(_ids([args.ids])))
    from .core.exports import ExportScope

    fmt = args.format or (
        _FORMAT_BY_SUFFIX.get(Path(args.output).suffix.lower(), "bibtex")
        if args.output
        else "bibtex"
    )
    ids = lib.export_ids(ExportScope.VIEW, view=q)
    if q.text.strip():
        _index_note(lib)
    if fmt in ("bibtex", "biblatex"):
        # Said before the export, not left for bibtex's warnings to tell.
        missing = lib.incomplete_for_export(ids)
        if missing:
            shown = ", ".join(str(pid) for pid, _, _ in missing[:10])
            more = ", …" if len(missing) > 10 else ""
            print(
                f"note: {len(missing)} paper{'s have' if len(missing) > 1 else ' has'} "
                f"no author or year (ids {shown}{more}); "
                "'readinglist fill ID…' looks them up",
                file=sys.stderr,
            )
    if not args.output:
        lib.export(ids, out, fmt)
        return 0
    target = Path(args.output)
    try:
        count = lib.export_to_file(ids, target, fmt)
    except OSError as exc:
        raise CliError(f"{target}: cannot write ({exc.strerror or exc})") from exc
    print(f"exported {count} entries to {target} ({fmt})", file=sys.stderr)
    return 0


def _duplicates(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    shown = _TerminalProgress()
    try:
        pairs = lib.find_duplicates(shown.progress)
    finally:
        shown.end()
    if args.json:
        json.dump(
            [{"a": p.a, "b": p.b, "reason": p.reason, "score": p.score} for p in pairs],
            out,
            indent=1,
        )
        out.write("\n")
        return 0
    papers = {p.id: p for p in lib.get(sorted({i for pair in pairs for i in (pair.a, pair.b)}))}
    for pair in pairs:
        out.write(f"{pair.a:>6} {pair.b:>6}  {pair.reason}\n")
        for pid in (pair.a, pair.b):
            paper = papers.get(pid)
            if paper is not None:
                year = f" ({paper.year})" if paper.year else ""
                out.write(f"         {pid:>6}: {paper.title}{year}\n")
    out.write(f"{len(pairs)} likely duplicate pairs; 'readinglist merge KEEP OTHER' merges one\n")
    return 0


def _merge(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    keep, other = _ids([args.keep, args.other])
    try:
        lib.merge_papers(keep, other)
    except (ValueError, KeyError) as exc:
        raise CliError(str(exc).strip("'\""), 1) from exc
    out.write(f"merged {other} into {keep}\n")
    return 0


def _fill(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    if args.ids:
        ids = _ids(args.ids)
        missing = sorted(set(ids) - set(lib.existing_ids(ids)))
        if missing:
            raise CliError(f"no paper with id {', '.join(map(str, missing))}", 2)
    elif args.all_missing or args.tag or args.starred or args.unread or args.read or args.trash:
        # Papers with nothing missing are skipped without a request.
        ids = lib.query_ids(_query(args))
    else:
        raise CliError(
            "say which papers: ids, filters (--tag, --starred, --unread) or --all-missing", 2
        )
    from .core.fill import FillCancelled

    shown = _TerminalProgress()
    try:
        report = lib.fill_metadata(ids, shown.progress)
    except (KeyboardInterrupt, FillCancelled):
        print("readinglist: interrupted; papers filled so far stay filled", file=sys.stderr)
        return 130
    finally:
        shown.end()
    if args.json:
        json.dump(report.to_json(), out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        out.writelines(line + "\n" for line in report.lines())
    return 1 if report.errors or report.failed else 0


def _doctor(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    for line in lib.index.repairs:
        out.write(f"found: {line}\n")
    health = lib.doctor(repair=args.repair)
    out.write(f"papers: {health.papers}, indexed documents: {health.indexed}\n")
    for db_problem in health.database_problems:
        out.write(f"database: {db_problem}\n")
    if not health.database_problems:
        out.write("database: ok\n")
    idx = health.index
    if health.index_error:
        out.write(f"index: last update failed: {health.index_error}\n")
    if idx.ok:
        out.write("index: ok\n")
    else:
        twice = f", {len(idx.duplicates)} papers indexed twice" if idx.duplicates else ""
        out.write(
            f"index: {len(idx.missing)} missing, {len(idx.stale)} stale, "
            f"{len(idx.extra)} extra documents{twice}\n"
        )
        for problem in idx.damaged:
            out.write(f"index: damaged: {problem}\n")
    for line in health.fixed:
        out.write(f"fixed: {line}\n")
    if not health.ok and not args.repair:
        out.write("run 'readinglist doctor --repair' to fix the index\n")
    return 0 if health.ok or (args.repair and not health.database_problems) else 1


def _backup(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    if args.list:
        snapshots = lib.backups.snapshots()
        for snap in snapshots:
            out.write(f"{snap.name}  {snap.describe()}\n")
        out.write(f"{len(snapshots)} backups in {lib.backups.dir}\n")
        return 0
    shown = _TerminalProgress()
    try:
        snap = lib.backup(shown.progress)
    finally:
        shown.end()
    out.write(f"backed up to {snap.path}: {snap.describe()}\n")
    return 0


_Command = Callable[["Library", argparse.Namespace, TextIO], int]
_COMMANDS: dict[str, _Command] = {
    "import": _import,
    "list": _list,
    "search": _search,
    "show": _show_cmd,
    "note": _note,
    "export": _export,
    "fill": _fill,
    "duplicates": _duplicates,
    "merge": _merge,
    "doctor": _doctor,
    "backup": _backup,
    **dict.fromkeys(
        ("tag", "star", "unstar", "mark-read", "mark-unread", "trash", "restore"), _bulk_edit
    ),
}


def _dispatch(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    command = _COMMANDS.get(args.command)
    if command is None:
        raise CliError(f"unknown command {args.command}", 2)
    return command(lib, args, out)
