"""Library change notices, carried to the GUI thread and coalesced.

Owns :class:`ChangeFeed`.  The core tells its listeners about every change
from whichever thread made it (an import runs in a worker); the feed
re-posts each notice to the GUI thread and, after a short quiet period,
emits one :attr:`ChangeFeed.refresh` for the whole burst, so starring 500
papers one by one repaints and re-queries once.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ..library import Change, Library

__all__ = ["REFRESH_DELAY_MS", "SIDEBAR_KINDS", "ChangeFeed"]

# Quiet time after the last change before the window refreshes.
REFRESH_DELAY_MS = 120
# Changes that alter what the sidebar lists (tags, their counts, imports, saved searches).
SIDEBAR_KINDS = frozenset(
    {"import", "tags", "saved-search", "tag-colour", "trash", "restore", "purge", "merge"}
)


class ChangeFeed(QObject):
    """Listens to a library and emits coalesced refreshes on the GUI thread."""

    #: (ids that changed, whether the sidebar needs reloading).
    refresh = Signal(list, bool)
    #: An index update failed in the background: the message for the user.
    indexFailed = Signal(str)
    # Crosses from the writing thread to the GUI thread (queued).
    _arrived = Signal(object)

    def __init__(self, lib: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lib = lib
        self._ids: set[int] = set()
        self._sidebar_dirty = False
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._timer.timeout.connect(self._flush)
        self._arrived.connect(self._collect, Qt.ConnectionType.QueuedConnection)
        self._listener = self._arrived.emit
        lib.listeners.append(self._listener)

    def detach(self) -> None:
        """Stop listening and drop what is pending (the window is closing)."""
        if self._listener in self._lib.listeners:
            self._lib.listeners.remove(self._listener)
        self._timer.stop()
        self._ids.clear()

    def _collect(self, change: Change) -> None:
        if self._listener not in self._lib.listeners:
            return  # Detached while this notice was queued.
        if change.kind == "index-error":
            errors = self._lib.index_errors
            self.indexFailed.emit(errors[-1] if errors else "the search index could not be updated")
            return
        self._ids.update(change.ids)
        self._sidebar_dirty |= change.kind in SIDEBAR_KINDS
        self._timer.start()

    def _flush(self) -> None:
        ids, dirty = sorted(self._ids), self._sidebar_dirty
        self._ids.clear()
        self._sidebar_dirty = False
        self.refresh.emit(ids, dirty)
