"""The frozen bundle's entry script: the ``readinglist`` command, GUI and CLI alike.

PyInstaller runs its entry script as ``__main__`` outside any package, so
``readinglist/__main__.py`` (which imports ``.cli`` relatively) cannot be the
script itself; this one calls the same ``main``.
"""

import sys

from readinglist.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
