"""Trusting the index on disk: signed tables of contents, data-only unpickling.

Whoosh keeps an index's table of contents (``_MAIN_<generation>.toc``: the
schema and the list of segments) as pickles, and unpickling runs whatever
code the data names.  A library folder received from someone else must not
run code when it is opened, so:

* every table of contents this program writes is signed (HMAC-SHA256) with
  a key kept in the user's configuration folder, never in the library
  (:func:`signing_key`); :class:`SignedIndex` checks the signature on the
  file's bytes *before* unpickling anything in them, and parses exactly the
  bytes it checked.  An unsigned or wrongly signed index is never opened:
  its owner moves it aside and rebuilds it from the database.  Even a signed
  segment list is unpickled with an allow-list of the classes it holds, and
  the pickled schema is skipped: the program's own schema is used.
* every other pickle Whoosh reads from segment files (posting blocks and
  their headers, postings inlined in the term table, the term table's
  extras, column block headers, stored fields) holds plain data: tuples,
  numbers, bytes, dicts.  :func:`install_data_only_unpickling` sends those
  reads through unpicklers that refuse every class and function (but the
  few harmless segment classes where Whoosh reads a segment list), so a
  tampered segment file (not covered by the signature: hashing every
  segment at every open would cost far more than the table of contents)
  can at worst fail to decode, which the index treats as damage.

The signatures themselves live in the index's stamp
(:mod:`.stamp`), written before the table of contents they vouch for
appears, so a reader never sees an unsigned one from a healthy writer.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import os
import pickle
import secrets
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import RamStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import TOC, EmptyIndexError, FileIndex, IndexVersionError

from .. import paths

__all__ = [
    "KEY_FILE",
    "Signatures",
    "SignedIndex",
    "UntrustedIndex",
    "data_loads",
    "install_data_only_unpickling",
    "sign",
    "sign_file",
    "signing_key",
]

log = logging.getLogger(__name__)

KEY_FILE = "index-signing.key"
KEY_BYTES = 32
INDEX_NAME = "MAIN"

_keys: dict[Path, bytes] = {}
_keys_lock = threading.Lock()


class UntrustedIndex(Exception):
    """The index's table of contents is not signed with this user's key."""


# --- the key ------------------------------------------------------------------------


def signing_key() -> bytes:
    """This user's key for signing indexes, created once (32 random bytes, mode 0600).

    Kept per path, so a test (or a changed ``$XDG_CONFIG_HOME``) gets its own.
    When the configuration folder cannot be written the key lives in memory
    only: indexes are then trusted by this process alone (and rebuilt by the
    next), which is slow but never unsafe.
    """
    path = paths.config_dir() / KEY_FILE
    with _keys_lock:
        key = _keys.get(path)
        if key is None:
            key = _keys[path] = _load_or_create_key(path)
        return key


def _load_or_create_key(path: Path) -> bytes:
    for _attempt in range(5):
        try:
            data: bytes | None = path.read_bytes()
        except FileNotFoundError:
            data = None
        except OSError as exc:
            return _ephemeral_key(path, exc)
        if data is not None and len(data) == KEY_BYTES:
            return data
        try:
            _write_key(path, replace=data is not None)
        except FileExistsError:
            time.sleep(0.01)  # Another process made it first: read theirs.
        except OSError as exc:
            return _ephemeral_key(path, exc)
    return _ephemeral_key(path, OSError(f"{path}: could not be read back"))


def _write_key(path: Path, *, replace: bool) -> None:
    """Write a new key at *path*; it appears whole (written aside, then linked in)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            # A key of the wrong length is unusable: every index is rebuilt once.
            os.replace(tmp, path)
            return
        try:
            # link() fails if the key exists, so two first runs agree on one key.
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # A file system without hard links.
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _ephemeral_key(path: Path, exc: OSError) -> bytes:
    log.warning("cannot keep the index signing key at %s (%s); using one for this run", path, exc)
    return secrets.token_bytes(KEY_BYTES)


def sign(key: bytes, data: bytes) -> str:
    """The HMAC-SHA256 of *data* under *key*, in hex."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def sign_file(key: bytes, path: Path) -> str:
    """:func:`sign` of a file's contents, read a megabyte at a time."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            mac.update(chunk)
    return mac.hexdigest()


# --- unpickling -----------------------------------------------------------------------


def _latin1_bytes(text: str, encoding: str = "latin1", errors: str = "strict") -> bytes:
    """What protocol-2 pickles call to rebuild bytes (``_codecs.encode(text, 'latin1')``)."""
    if encoding != "latin1" or errors != "strict":
        raise pickle.UnpicklingError(f"refused _codecs.encode(..., {encoding!r})")
    return text.encode("latin1")


class _DataUnpickler(pickle.Unpickler):
    """Unpickles plain data only: any class or function in the data is refused.

    Whoosh's own writer pickles with protocol 2, which has no opcode for
    bytes and rebuilds them with ``_codecs.encode(text, "latin1")``: that
    one call is answered by :func:`_latin1_bytes`, which does nothing else.
    """

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        raise pickle.UnpicklingError(f"refused {module}.{name}: the index holds data only")


def data_loads(data: bytes) -> Any:
    """``pickle.loads`` for plain data (tuples, numbers, bytes, strings, dicts, None)."""
    return _DataUnpickler(io.BytesIO(data)).load()


def _segments_load(fh: IO[bytes]) -> Any:
    """``pickle.load`` for plain data or a segment list, from an open file."""
    return _SegmentsUnpickler(fh).load()


class _SegmentsUnpickler(_DataUnpickler):
    """Unpickles a table of contents' segment list: the classes it holds, nothing else.

    None of them runs code when unpickled (no ``__setstate__``, no
    ``__reduce__``): unpickling only fills in their attributes.
    """

    ALLOWED = frozenset(
        {
            ("whoosh.codec.whoosh3", "W3Segment"),
            ("whoosh.codec.whoosh3", "W3Codec"),
            ("readinglist.search", "_Codec"),
            ("collections", "defaultdict"),
            ("builtins", "int"),
            ("builtins", "set"),
            ("builtins", "frozenset"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            return super().find_class(module, name)
        return pickle.Unpickler.find_class(self, module, name)


_installed = False


def install_data_only_unpickling() -> None:
    """Route Whoosh's reads of segment-file pickles through :func:`data_loads`.

    Whoosh reads them through three module-level names: ``loads`` in its
    version-3 codec (posting blocks and inlined postings) and in its columns
    (stored fields), which now load plain data only, and ``load_pickle`` in
    its struct file (``read_pickle``: block headers, term-table extras,
    column headers, and Whoosh's own reading of a table of contents' segment
    list), which now loads plain data and the few segment classes only.
    Our tables of contents are parsed by :class:`SignedIndex`, not through
    these; plain Whoosh indexes (the tests' references) still open.
    """
    global _installed
    if _installed:
        return
    from whoosh import columns
    from whoosh.codec import whoosh3
    from whoosh.filedb import structfile

    structfile.load_pickle = _segments_load
    whoosh3.loads = data_loads
    columns.loads = data_loads
    _installed = True


# --- the signed index -----------------------------------------------------------------


class Signatures(Protocol):
    """Where an index's table-of-contents signatures are kept (the stamp)."""

    def trusted(self, generation: int, toc: bytes) -> bool:
        """Whether *toc* is the signed table of contents of *generation*."""

    def record(self, generation: int, toc: bytes, segment_ids: Sequence[str]) -> None:
        """Sign *toc* (and the files of its segments) before it is written."""


def toc_bytes(schema: Any, segments: list[Any], generation: int) -> bytes:
    """The bytes Whoosh writes as the table of contents of *generation*."""
    ram = RamStorage()
    TOC(schema, segments, generation).write(ram, INDEX_NAME)
    data = ram.files[TOC._filename(INDEX_NAME, generation)]
    return bytes(data)


def _parse_toc(data: bytes, generation: int, schema: Any) -> TOC:
    """Whoosh's ``TOC.read`` of checked bytes, with *schema* instead of the pickled one."""
    stream = StructFile(io.BytesIO(data))
    sizes = (stream.read_varint(), stream.read_varint(), stream.read_varint())
    if sizes != (whoosh_index._INT_SIZE, whoosh_index._LONG_SIZE, whoosh_index._FLOAT_SIZE):
        raise whoosh_index.IndexError("the index was written on another architecture")
    if stream.read_int() != -12345:
        raise whoosh_index.IndexError("number misread: byte order problem")
    version = stream.read_int()
    if version != whoosh_index._CURRENT_TOC_VERSION:
        raise IndexVersionError(f"cannot read table of contents format {version}", version)
    release = (stream.read_varint(), stream.read_varint(), stream.read_varint())
    # The pickled schema is never unpickled: the stamp says which schema
    # version wrote the index, and an index of another version is rebuilt.
    stream.skip_string()
    if stream.read_int() != generation:
        raise whoosh_index.IndexError("the table of contents names another generation")
    stream.read_int()  # Unused.
    segments = _SegmentsUnpickler(stream.file).load()
    if not isinstance(segments, list):
        raise whoosh_index.IndexError("the table of contents holds no segment list")
    return TOC(schema, segments, generation, version=version, release=release)


class SignedIndex(FileIndex):  # type: ignore[misc]  # Whoosh is untyped.
    """A Whoosh file index whose tables of contents are signed when written and checked when read.

    Every read of the table of contents (opening, each reader and searcher,
    each writer) goes through :meth:`_read_toc`; every write through
    :meth:`commit_toc` (the bulk writer's commit calls it).
    """

    def __init__(self, storage: Any, schema: Any, signatures: Signatures) -> None:
        # Not FileIndex.__init__: it unpickles the table of contents unchecked.
        self.storage = storage
        self._schema = schema
        self.indexname = INDEX_NAME
        self.signatures = signatures
        self._read_toc()

    @classmethod
    def create_signed(
        cls, storage: Any, schema: Any, signatures: Signatures, generation: int = 0
    ) -> SignedIndex:
        """A new empty index in *storage*, its first table of contents at *generation*.

        A generation above any the folder had before keeps a searcher opened
        on the old index from mistaking the new one for its own.
        """
        _write_toc(storage, signatures, schema, [], generation)
        return cls(storage, schema, signatures)

    def _read_toc(self) -> TOC:
        for _attempt in range(20):
            generation = TOC._latest_generation(self.storage, self.indexname)
            if generation < 0:
                raise EmptyIndexError(f"no index in {self.storage}")
            name = TOC._filename(self.indexname, generation)
            try:
                data = (Path(self.storage.folder) / name).read_bytes()
            except FileNotFoundError:
                # A writer committed a newer generation and removed this one.
                time.sleep(0.02)
                continue
            if not self.signatures.trusted(generation, data):
                raise UntrustedIndex(f"{name} is not signed by this user's Reading List")
            return _parse_toc(data, generation, self._schema)
        raise EmptyIndexError(f"the index in {self.storage} kept changing while it was read")

    def commit_toc(self, schema: Any, segments: list[Any], generation: int) -> None:
        """Sign and write the table of contents of a commit (the old files are the caller's)."""
        _write_toc(self.storage, self.signatures, schema, segments, generation)


def _write_toc(
    storage: Any, signatures: Signatures, schema: Any, segments: list[Any], generation: int
) -> None:
    data = toc_bytes(schema, segments, generation)
    # Signed first: the moment the file appears, readers can check it.
    signatures.record(generation, data, [s.segment_id() for s in segments])
    name = TOC._filename(INDEX_NAME, generation)
    tmp = f"{name}.{time.time()}"
    stream = storage.create_file(tmp)
    try:
        stream.write(data)
    finally:
        stream.close()
    storage.rename_file(tmp, name, safe=True)
