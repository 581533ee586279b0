"""How counts are worded for the user: "1 problem", "2 problems".

One function, so the window and the command line say a count the same way.
"""

from __future__ import annotations

__all__ = ["counted"]


def counted(n: int, noun: str, plural: str = "") -> str:
    """Return "*n* *noun*", the noun in the plural (``noun + "s"`` unless given) unless n is 1."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
