"""Where Reading List keeps its files.

Everything that needs a folder asks this module, so tests and ``--library``
can point the whole program somewhere else in one place.
"""

from __future__ import annotations

import os
from pathlib import Path

import appdirs

APP_DIR_NAME = "ReadingList"
ENV_LIBRARY = "READINGLIST_LIBRARY"


def default_library_dir() -> Path:
    """Return the library folder: ``$READINGLIST_LIBRARY`` or the user data dir."""
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
    return Path(appdirs.user_config_dir(APP_DIR_NAME, appauthor=False))


def log_dir() -> Path:
    """Return the folder for log files (created on demand)."""
    path = Path(appdirs.user_log_dir(APP_DIR_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def resource_path(name: str) -> Path:
    """Return the path of a bundled resource file (icons, sample page, ...).

    Resources live in the top-level ``resources/`` folder of a source checkout
    and are copied into the package as ``readinglist/_resources`` by builds.
    """
    from importlib import resources  # not at import time: it costs the CLI's start ~10 ms

    packaged = resources.files("readinglist") / "_resources" / name
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "resources" / name
