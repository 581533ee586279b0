"""The one place where the window decides how a failure is told to the user.

A failure is either the environment's (a read-only folder, a full disk, a
lock held by another process, a damaged file, a backup that could not be
taken) or a bug.  The environment's get one plain line naming the path and
what to do, logged as a warning, with no traceback; a bug gets the "Something
went wrong" treatment with its traceback in the details and the log.

:func:`classify` makes that call with the core's
:func:`readinglist.core.faults.explain` (the command line's rule too), and
both the app's exception hook (:mod:`.app`) and the job controller
(:mod:`.jobs`) ask it, so a slot and a background job that hit the same full
disk say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.backups import BackupError
from ..core.faults import explain
from ..db import DatabaseError

__all__ = ["Failure", "classify", "current_folder", "set_current_folder"]

# The library the window has open: faults name it when they have no path of their own.
_folder: Path | None = None


def set_current_folder(folder: Path | None) -> None:
    """Remember the open library's folder for messages about faults."""
    global _folder
    _folder = folder


def current_folder() -> Path | None:
    """The folder given to :func:`set_current_folder`, if any."""
    return _folder


@dataclass(frozen=True)
class Failure:
    """How to tell the user about an exception."""

    #: One line for the user.
    message: str
    #: True for a bug: show the traceback and log it as an error.
    bug: bool


def classify(exc: BaseException, folder: Path | None = None) -> Failure:
    """Decide whether *exc* is the environment's fault (a plain line) or a bug."""
    where = folder if folder is not None else _folder
    if isinstance(exc, BackupError | DatabaseError):
        # The core words these for the user already (path and reason).
        return Failure(str(exc), bug=False)
    message = explain(exc, where)
    if message is not None:
        return Failure(message, bug=False)
    if isinstance(exc, OSError):
        # An errno the core has no wording for is still the system's answer, not a bug.
        path = f"{exc.filename}: " if exc.filename else ""
        return Failure(f"{path}{exc.strerror or exc}", bug=False)
    return Failure(str(exc) or type(exc).__name__, bug=True)
