"""The environment's faults, told apart from bugs in one place.

A read-only folder, a full disk, a lock held by another process, a damaged
file: these are the user's to fix, so they get one line naming the path and
what to do, never a traceback.  Anything else is a bug: the caller logs its
traceback and shows a short message.  :func:`explain` makes that call for
every client (the CLI's exit path, the window's error dialogs), as
qutebrowser's SQL module sorts SQLite's error codes into "environmental" and
"bug" once for the whole program.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

__all__ = ["EXIT_DAMAGED", "EXIT_ENVIRONMENT", "EXIT_USAGE", "EnvironmentFault", "explain"]

# Exit statuses of the command line (1 is any other failure, 70 a bug).
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3
EXIT_DAMAGED = 4


class EnvironmentFault(Exception):
    """Something about the disk, the folder or another process stops the work."""


def _sqlite_error(exc: BaseException) -> sqlite3.Error | None:
    """The sqlite3 error inside *exc* (SQLAlchemy wraps it as ``.orig``)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            return current
        orig = getattr(current, "orig", None)
        if isinstance(orig, sqlite3.Error):
            return orig
        current = current.__cause__ or current.__context__
    return None


def _os_error(exc: BaseException) -> OSError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current
        current = current.__cause__ or current.__context__
    return None


def explain(exc: BaseException, folder: Path | None = None) -> str | None:
    """One line for the user when *exc* is the environment's fault; None for a bug."""
    if isinstance(exc, EnvironmentFault):
        return str(exc)
    where = str(folder) if folder is not None else "the library folder"
    db = _sqlite_error(exc)
    if db is not None:
        text = str(db).lower()
        if "readonly" in text or "read-only" in text:
            return (
                f"{where}: the library is read-only (the folder or its files are not "
                "writable); nothing was changed. Make it writable to change it."
            )
        if "disk is full" in text or "database or disk is full" in text:
            return f"{where}: the disk is full; nothing was changed. Free some space and retry."
        if "locked" in text or "busy" in text:
            return (
                f"{where}: another Reading List process is writing to this library; "
                "nothing was changed. Try again when it has finished."
            )
        if "unable to open" in text:
            return (
                f"{where}: cannot open the library database; check that the folder "
                "exists, is a folder and is writable."
            )
        if "malformed" in text or "not a database" in text or "corrupt" in text:
            return (
                f"{where}: the library database is damaged ({db}). "
                f"Run: readinglist --library {where} doctor"
            )
        if "disk i/o" in text:
            return f"{where}: the disk reported an input/output error ({db})."
    os_error = _os_error(exc)
    if os_error is not None:
        return _explain_os(os_error, where)
    if isinstance(exc, MemoryError):
        return "not enough memory to finish; nothing was changed."
    name = type(exc).__name__
    if name == "LockError" and type(exc).__module__.startswith("whoosh"):
        # Whoosh's own index lock, held by a process outside the library's
        # write lock (index_sync.WriteLock, whose timeout is a LibraryBusy).
        return (
            f"{where}: another Reading List process is writing to this library; "
            "try again when it has finished."
        )
    return None


_OS_MESSAGES = {
    errno.EACCES: "permission denied: make it readable and writable, or choose another folder",
    errno.EPERM: "permission denied: make it readable and writable, or choose another folder",
    errno.EROFS: "it is on a read-only file system",
    errno.ENOSPC: "the disk is full: free some space and retry",
    errno.EDQUOT: "the disk quota is used up: free some space and retry",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.EEXIST: "it already exists (as a file where a folder is needed, or the reverse)",
    errno.ENOENT: "no such file or folder",
    errno.ENAMETOOLONG: "the path is too long",
    errno.EIO: "the disk reported an input/output error",
    errno.EFBIG: "the file is too large for this file system or the limits in force",
    errno.EMFILE: "too many files are open",
}


def _explain_os(exc: OSError, where: str) -> str | None:
    reason = _OS_MESSAGES.get(exc.errno or 0)
    if reason is None:
        return None
    path = exc.filename if exc.filename is not None else where
    return f"{path}: {reason} (nothing was changed)."
