"""Entry point: ``python -m readinglist`` and the ``readinglist`` command."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (or the app when no command is given)."""
    from .cli import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
