"""The one progress object of every long operation (import, export, index rebuild).

A :class:`Progress` carries the stage being worked on, how far it has got,
and a cancel flag.  The core's long operations take one (``progress=``) and
report into it; a client creates it, hands it over, and reads it or receives
its reports: the CLI prints to a terminal, the GUI posts them to its thread.
Cancelling is cooperative: the operation polls :meth:`Progress.check` at
points where stopping leaves the library unchanged and raises
:class:`Cancelled` there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["STAGE_LABELS", "Cancelled", "Progress", "ReportFn"]

ReportFn = Callable[[str, int, int], None]

# What each stage name the core reports means to a user.
STAGE_LABELS: dict[str, str] = {
    "read": "reading",
    "parse": "reading",
    "database": "saving",
    "index": "indexing",
    "export": "exporting",
    "fill": "looking up",
    "done": "done",
}


class Cancelled(Exception):
    """The user cancelled a long operation; nothing was changed."""


class Progress:
    """Stage, done, total and a cancel flag of one long operation; thread-safe.

    *on_report* (optional) is called with ``(stage, done, total)`` from the
    thread doing the work.  ``min_interval`` throttles those calls: a new
    stage and a stage's last step always get through, so a label never lags
    behind a finished step, while a loop reporting every item cannot flood
    its listener.  :meth:`scoped` gives a view that prefixes stage names (for
    "file 2 of 5") and shares the cancel flag.
    """

    def __init__(
        self,
        on_report: ReportFn | None = None,
        *,
        min_interval: float = 0.0,
        cancel_event: threading.Event | None = None,
    ) -> None:
        self._on_report = on_report
        self._min_interval = min_interval
        self._cancel = cancel_event or threading.Event()
        self._last_emit = float("-inf")
        self.stage = ""
        self.done = 0
        self.total = 0

    def report(self, stage: str, done: int = 0, total: int = 0) -> None:
        """Record that *stage* has done *done* of *total* steps (0: unknown)."""
        new_stage = stage != self.stage
        self.stage, self.done, self.total = stage, done, total
        if self._on_report is None:
            return
        now = time.monotonic()
        finished_stage = total > 0 and done >= total
        if new_stage or finished_stage or now - self._last_emit >= self._min_interval:
            self._last_emit = now
            self._on_report(stage, done, total)

    def cancel(self) -> None:
        """Ask the operation to stop at its next safe point."""
        self._cancel.set()

    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if a cancel was requested."""
        if self._cancel.is_set():
            raise Cancelled()

    def scoped(self, prefix: str) -> Progress:
        """A progress whose reports reach this one as ``"<prefix>: <stage>"``."""
        return Progress(
            lambda stage, done, total: self.report(f"{prefix}: {stage}", done, total),
            cancel_event=self._cancel,
        )

    def describe(self) -> str:
        """One line for a status bar or terminal: ``"indexing 500/1,000"``."""
        head, _, stage = self.stage.rpartition(": ")
        label = STAGE_LABELS.get(stage, stage)
        text = f"{head}: {label}" if head else label
        if self.total > 0:
            text += f" {self.done:,}/{self.total:,}"
        elif self.done > 0:  # A file parsed as it is read: the total comes at the end.
            text += f" {self.done:,}"
        return text
