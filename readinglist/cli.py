"""The command line: every library operation, headless.

``readinglist [--library DIR] COMMAND ...``; with no command the desktop app
opens.  Scripts and end-to-end tests drive the product through here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__

# Only what building the parser needs is imported here: ``--version`` and
# ``--help`` must not pay for SQLAlchemy, Whoosh or Qt (tests/test_cli.py
# checks).  core.query imports only the standard library.
from .core.query import SORT_KEYS, Query, compose, first_direction

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
    parser = argparse.ArgumentParser(
        prog="readinglist",
        description="Reading List: keep, tag, annotate, search and cite research papers.",
        epilog="With no command, the desktop app opens.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--library",
        metavar="DIR",
        help="library folder (default: $READINGLIST_LIBRARY or the user data folder)",
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

    p = sub.add_parser("export", help="export BibTeX")
    _add_filters(p)
    p.add_argument("--ids", metavar="ID,...", help="only these papers")
    p.add_argument("--query", metavar="Q", help="only papers matching this search")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")

    p = sub.add_parser("doctor", help="check the database and the search index")
    p.add_argument("--repair", action="store_true", help="fix what can be fixed")

    sub.add_parser("gui", help="open the desktop app (the default)")
    return parser


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
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "gui"):
        return _open_gui(args, parser)
    # The heavy imports (SQLAlchemy, Whoosh) happen here, once a command runs.
    from .db import DatabaseError
    from .library import IndexUpdateError, Library
    from .paths import resolve_library_dir
    from .search import QuerySyntaxError

    folder = resolve_library_dir(args.library)
    try:
        # doctor opens without the automatic repair so it can report what it finds.
        with Library(folder, sync_index=args.command != "doctor") as lib:
            return _dispatch(lib, args, out)
    except CliError as exc:
        print(f"readinglist: {exc}", file=sys.stderr)
        return exc.status
    except DatabaseError as exc:
        print(f"readinglist: {exc}", file=sys.stderr)
        return 2
    except QuerySyntaxError as exc:
        print(f"readinglist: bad query: {exc}", file=sys.stderr)
        return 2
    except IndexUpdateError as exc:
        print(f"readinglist: {exc}", file=sys.stderr)
        return 1
    except KeyError as exc:
        print(f"readinglist: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1


def _open_gui(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        from .gui.app import main as gui_main
    except ImportError as exc:
        print(f"readinglist: the desktop app is not available ({exc})", file=sys.stderr)
        parser.print_help()
        return 1
    return gui_main(library=args.library)


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

    ids = lib.export_ids(ExportScope.VIEW, view=q)
    if not args.output:
        lib.export_bibtex(ids, out)
        return 0
    target = Path(args.output)
    try:
        count = lib.export_to_file(ids, target)
    except OSError as exc:
        raise CliError(f"{target}: cannot write ({exc.strerror or exc})") from exc
    print(f"exported {count} entries to {target}", file=sys.stderr)
    return 0


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
        out.write(
            f"index: {len(idx.missing)} missing, {len(idx.stale)} stale, "
            f"{len(idx.extra)} extra documents\n"
        )
    for line in health.fixed:
        out.write(f"fixed: {line}\n")
    if not health.ok and not args.repair:
        out.write("run 'readinglist doctor --repair' to fix the index\n")
    return 0 if health.ok or (args.repair and not health.database_problems) else 1


_Command = Callable[["Library", argparse.Namespace, TextIO], int]
_COMMANDS: dict[str, _Command] = {
    "import": _import,
    "list": _list,
    "search": _search,
    "show": _show_cmd,
    "note": _note,
    "export": _export,
    "doctor": _doctor,
    **dict.fromkeys(
        ("tag", "star", "unstar", "mark-read", "mark-unread", "trash", "restore"), _bulk_edit
    ),
}


def _dispatch(lib: Library, args: argparse.Namespace, out: TextIO) -> int:
    command = _COMMANDS.get(args.command)
    if command is None:
        raise CliError(f"unknown command {args.command}", 2)
    return command(lib, args, out)
