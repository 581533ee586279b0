"""The index's stamp (``readinglist-stamp.json``) and its note of a failed update.

The stamp says which schema and Whoosh release wrote the index, which
database change it reflects (``changes``; -1 while it must be refilled),
and holds the signatures (see :mod:`.trust`) of the newest tables of
contents (``tocs``) and of every file of the current segments (``files``).
Only a writer, holding the library's write lock, writes it.

A failed update is noted in a file of its own (``readinglist-error.txt``):
a reader that meets a damaged segment notes it too, and a note written by a
reader must never overwrite the writer's signatures.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .trust import sign, sign_file

__all__ = ["ERROR_FILE", "STAMP_FILE", "Stamp"]

STAMP_FILE = "readinglist-stamp.json"
ERROR_FILE = "readinglist-error.txt"
# Tables of contents whose signatures are kept: a reader may still be
# opening one a few commits old while writers go on.
KEEP_TOCS = 4


class Stamp:
    """The stamp file of the index in *folder* (it implements :class:`.trust.Signatures`)."""

    def __init__(self, folder: Path, key: bytes, identity: dict[str, Any]) -> None:
        self.folder = folder
        self.key = key
        # What wrote the index: an index whose stamp says otherwise is rebuilt.
        self.identity = identity

    @property
    def path(self) -> Path:
        return self.folder / STAMP_FILE

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def matches(self, data: dict[str, Any]) -> bool:
        """Whether *data* (a stamp read) was written by this schema and Whoosh release."""
        return all(data.get(k) == v for k, v in self.identity.items())

    def write(self, **values: Any) -> None:
        """Update the stamp with *values*, keeping the rest (writers only)."""
        data = self.read() if self.path.exists() else {}
        data.update(self.identity)
        data.pop("error", None)  # Older versions kept the error note here.
        data.update(values)
        self._replace(data)

    def start(self) -> None:
        """A stamp for a new, empty index: nothing seen, nothing signed yet."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._replace({**self.identity, "changes": -1, "tocs": {}, "files": {}})

    def _replace(self, data: dict[str, Any]) -> None:
        tmp = self.folder / f"{STAMP_FILE}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data))
        tmp.replace(self.path)

    @property
    def changes(self) -> int:
        value = self.read().get("changes", -1)
        return int(value) if isinstance(value, int) else -1

    # --- signatures (trust.Signatures) -------------------------------------------

    def trusted(self, generation: int, toc: bytes) -> bool:
        tocs = self.read().get("tocs")
        if not isinstance(tocs, dict):
            return False
        expected = tocs.get(str(generation))
        return isinstance(expected, str) and hmac.compare_digest(expected, sign(self.key, toc))

    def record(self, generation: int, toc: bytes, segment_ids: Sequence[str]) -> None:
        data = self.read()
        tocs = data.get("tocs") if isinstance(data.get("tocs"), dict) else {}
        assert isinstance(tocs, dict)
        tocs[str(generation)] = sign(self.key, toc)
        for old in sorted(tocs, key=_generation)[:-KEEP_TOCS]:
            del tocs[old]
        known = data.get("files") if isinstance(data.get("files"), dict) else {}
        assert isinstance(known, dict)
        files: dict[str, str] = {}
        # Segment files never change once written: a known one keeps its
        # signature, so a commit hashes only the segments it wrote.
        for path in self.segment_files(segment_ids):
            files[path.name] = known.get(path.name) or sign_file(self.key, path)
        self.write(tocs=tocs, files=files)

    def segment_files(self, segment_ids: Sequence[str]) -> list[Path]:
        """The files in the folder that belong to the segments *segment_ids*."""
        prefixes = tuple(f"{sid}." for sid in segment_ids)
        if not prefixes:
            return []
        return sorted(p for p in self.folder.iterdir() if p.name.startswith(prefixes))

    def file_signatures(self) -> dict[str, str]:
        files = self.read().get("files")
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}

    # --- the error note ----------------------------------------------------------

    @property
    def error(self) -> str:
        try:
            return (self.folder / ERROR_FILE).read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError):
            value = self.read().get("error", "")  # Written by older versions.
            return value if isinstance(value, str) else ""

    def note_error(self, message: str) -> None:
        """Note a failed update or a damaged segment (any process; never raises)."""
        # The folder itself may be what fails: the caller reports the error anyway.
        with contextlib.suppress(OSError):
            tmp = self.folder / f"{ERROR_FILE}.{os.getpid()}.tmp"
            tmp.write_text(message, "utf-8")
            tmp.replace(self.folder / ERROR_FILE)

    def clear_error(self) -> None:
        with contextlib.suppress(OSError):
            (self.folder / ERROR_FILE).unlink(missing_ok=True)


def _generation(name: str) -> int:
    return int(name) if name.isdigit() else -1
