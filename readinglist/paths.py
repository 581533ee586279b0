"""Where Reading List keeps its files, and where its own resources are.

Everything that needs a folder asks this module, so tests, ``--library`` and
the smoke test (:func:`private_home`) can point the whole program somewhere
else in one place; every resource (icons, the sample page, the .desktop and
AppStream files) is found through :func:`resource_path`, in a source
checkout, an installed wheel and a frozen bundle alike.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import appdirs

APP_DIR_NAME = "ReadingList"
ENV_LIBRARY = "READINGLIST_LIBRARY"

# Set while private_home() is active: the root of every user folder.
_home: Path | None = None


@contextmanager
def private_home(root: Path) -> Iterator[Path]:
    """Keep the default library, the configuration and the logs under *root* while active.

    For ``readinglist --smoke-test``, which must leave the user's own folders
    as they were (not even the index-signing key may be created there), on
    every platform: appdirs ignores ``$XDG_CONFIG_HOME`` outside Linux.
    """
    global _home
    previous, _home = _home, root
    try:
        yield root
    finally:
        _home = previous


def default_library_dir() -> Path:
    """Return the library folder: ``$READINGLIST_LIBRARY`` or the user data dir."""
    if _home is not None:
        return _home / "library"
    override = os.environ.get(ENV_LIBRARY)
    if override:
        return Path(override).expanduser()
    return Path(appdirs.user_data_dir(APP_DIR_NAME, appauthor=False))


def resolve_library_dir(cli_value: str | os.PathLike[str] | None) -> Path:
    """Return the library folder, honouring ``--library DIR`` over the environment."""
    if cli_value:
        return Path(cli_value).expanduser()
    return default_library_dir()


def config_dir() -> Path:
    """Return the user's configuration folder for Reading List (not created here).

    It holds what belongs to the user rather than to a library, such as the
    key that signs search indexes (:mod:`readinglist.search.trust`): a
    library folder copied from someone else must not carry it.
    """
    if _home is not None:
        return _home / "config"
    return Path(appdirs.user_config_dir(APP_DIR_NAME, appauthor=False))


def log_dir() -> Path:
    """Return the folder for log files (created on demand)."""
    if _home is not None:
        path = _home / "log"
    else:
        path = Path(appdirs.user_log_dir(APP_DIR_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def resource_dir() -> Path:
    """Return the folder of the bundled resources (icons, sample page, .desktop, metainfo).

    The repository's top-level ``resources/`` folder is their source; each
    kind of install carries it in its own place:

    * a PyInstaller bundle: ``readinglist/_resources`` under the bundle's
      folder (``sys._MEIPASS``; packaging/readinglist.spec puts it there);
    * an installed wheel: ``readinglist/_resources`` beside this module
      (pyproject.toml maps ``resources/`` there);
    * a source checkout or an editable install: ``resources/`` beside the
      package.

    The first of these that exists is the one; when none does (a broken
    install) the first is returned, where this kind of install keeps them,
    so a missing file is reported where it should have been.
    """
    package = Path(__file__).resolve().parent
    installed = package / "_resources"
    candidates = [installed, package.parent / "resources"]
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        candidates.insert(0, Path(bundle) / "readinglist" / "_resources")
    for folder in candidates:
        if folder.is_dir():
            return folder
    return candidates[0]


def resource_path(name: str) -> Path:
    """Return the path of the bundled resource *name* (``"icons/star.svg"``, a folder too).

    Resources are plain files on disk in every install (Qt reads icons by
    path, the installers copy the .desktop file), so no zip import is served.
    """
    return resource_dir() / name
