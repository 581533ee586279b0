"""The PySide6 desktop app; the only package that imports Qt."""

# The core (SQLAlchemy, NumPy, Whoosh: some 450 modules) is imported before any
# Qt module on purpose.  Once PySide6 is loaded it reads the source of every
# module imported after it, looking for its ``__feature__`` switches; for the
# core that is about 0.15 s of the window's start-up, spent for nothing.
from .. import library as _library  # noqa: F401
