"""Run-time hook that does nothing, in place of PyInstaller's for inspect, multiprocessing, pkgutil.

What those hooks fix is not used by this app, and each costs its import on every start:
- ``inspect``: ``inspect.getsourcefile()`` for frozen code; nothing here asks for source
  files (the bundle ships none), tracebacks are formatted by ``traceback``;
- ``multiprocessing``: child processes started from a frozen executable; the app starts
  none (indexing and imports run in threads);
- ``pkgutil``: ``pkgutil.iter_modules()`` over the frozen archive; no bundled package
  lists its modules that way.
If a later dependency needs one of them, remove its line from ``rthooks.dat``.
"""
