"""Authors as people: given name, family name, prefix ("van") and suffix ("Jr.").

A paper's authors are stored in this structured form (the ``people`` column)
and everything that needs a part of a name (citation keys, sorting, the
``author`` field of BibTeX, RIS's ``AU``, CSL-JSON's ``family``/``given``)
reads the part it needs instead of re-parsing a display string, which got
``King, Jr., Martin Luther`` wrong three ways.

Names are split by libraries, never by a regex of ours:

* BibTeX's own rules (``First von Last``, ``von Last, First``,
  ``von Last, Jr, First``) through :mod:`bibtexparser`'s name splitter, for
  BibTeX fields and for any name written with commas (RIS ``AU`` lines are
  ``Last, First, Suffix``);
* :mod:`nameparser` for free-form display names ("Martin Luther King Jr.",
  "Vincent van Gogh") from feeds, PDFs and the user's typing: BibTeX's rules
  would make "Jr." a family name there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from nameparser import HumanName

__all__ = [
    "Person",
    "dump_people",
    "load_people",
    "parse_bibtex_names",
    "parse_name",
    "people_from_names",
]

# Asked whether a word is a suffix ("Jr.", "III", "PhD"); holds no name.
_SUFFIXES = HumanName("")

# "Li Chen et al." as an author: the tail is not part of anyone's name.
_ET_AL = re.compile(r"\s*,?\s+et\.?\s+al\.?\s*$", re.IGNORECASE)


def _fold(text: str) -> str:
    return " ".join(text.replace("~", " ").split())


@dataclass(frozen=True, slots=True)
class Person:
    """One author.  ``family`` alone is an organisation ("OpenAI") or a mononym."""

    given: str = ""
    family: str = ""
    prefix: str = ""
    suffix: str = ""

    @property
    def full_family(self) -> str:
        """The family name with its prefix ("van Gogh")."""
        return f"{self.prefix} {self.family}".strip()

    def display(self) -> str:
        """The name as shown: "Martin Luther King Jr.", "Vincent van Gogh"."""
        name = " ".join(p for p in (self.given, self.full_family) if p)
        return f"{name} {self.suffix}".strip() if self.suffix else name

    def inverted(self) -> str:
        """Family first, as RIS and reference lists write it: "King, Martin Luther, Jr."."""
        if not self.given and not self.suffix:
            return self.full_family
        parts = [self.full_family, self.given]
        if self.suffix:
            parts.append(self.suffix)
        return ", ".join(parts)

    def bibtex_parts(self) -> tuple[str, str, str, str]:
        """(von, Last, Jr, First): the parts BibTeX's ``von Last, Jr, First`` form needs."""
        return self.prefix, self.family, self.suffix, self.given

    def sort_key(self) -> str:
        """Family name, then given name, folded for sorting ("van Gogh" sorts under G)."""
        return f"{self.family} {self.given} {self.prefix}".casefold().strip()

    def to_json(self) -> list[str]:
        """The stored form: ``[given, family, prefix, suffix]``, trailing blanks dropped."""
        parts = [self.given, self.family, self.prefix, self.suffix]
        while parts and not parts[-1]:
            parts.pop()
        return parts

    @classmethod
    def from_json(cls, value: object) -> Person:
        """The inverse of :meth:`to_json`; a plain string is parsed as a display name."""
        if isinstance(value, str):
            return parse_name(value)
        if isinstance(value, list | tuple):
            parts = [str(v) for v in value[:4]]
            parts += [""] * (4 - len(parts))
            return cls(given=parts[0], family=parts[1], prefix=parts[2], suffix=parts[3])
        return cls()

    def __bool__(self) -> bool:
        return bool(self.given or self.family)


@lru_cache(maxsize=16384)
def _bibtex_name(raw: str) -> Person:
    try:
        parts = parse_single_name_into_parts(raw, strict=False)
    except (InvalidNameError, ValueError, IndexError):
        return Person(family=raw)
    family = " ".join(parts.last)
    given = " ".join(parts.first)
    if not family and given:  # "{OpenAI}" alone lands in First for some inputs
        family, given = given, ""
    return Person(
        given=given,
        family=family,
        prefix=" ".join(parts.von),
        suffix=" ".join(parts.jr),
    )


@lru_cache(maxsize=16384)
def _free_name(raw: str) -> Person:
    if len(raw.split()) == 1:
        return Person(family=raw)
    human = HumanName(raw)
    last = human.last
    given = " ".join(p for p in (human.title, human.first, human.middle) if p)
    # nameparser keeps particles in ``last`` ("van Gogh", "de la Fontaine"):
    # the leading lower-case words are the prefix, as BibTeX has it.
    words = last.split()
    cut = 0
    while cut < len(words) - 1 and words[cut][:1].islower():
        cut += 1
    prefix, family = " ".join(words[:cut]), " ".join(words[cut:])
    if not family:
        return Person(family=raw)
    nick = f' "{human.nickname}"' if human.nickname else ""
    return Person(given=given + nick, family=family, prefix=prefix, suffix=human.suffix)


def parse_name(raw: str) -> Person:
    """One person from a name as written anywhere other than a BibTeX field.

    With a comma it follows BibTeX's ``von Last, First`` and ``von Last, Jr,
    First`` (how Scholar and most "Family, Given" lists write it), and also
    RIS's and reference lists' ``Last, First, Jr.`` (the suffix last, told
    apart by :mod:`nameparser`'s list of suffixes); without a comma,
    :mod:`nameparser` reads it as a display name, suffixes and particles
    included.
    """
    name = _ET_AL.sub("", _fold(raw)).strip(" ,;")
    if not name:
        return Person()
    if "," in name:
        parts = [p.strip() for p in name.split(",")]
        if len(parts) == 3 and _SUFFIXES.is_suffix(parts[2]) and not _SUFFIXES.is_suffix(parts[1]):
            name = f"{parts[0]}, {parts[2]}, {parts[1]}"
        return _bibtex_name(name)
    return _free_name(name)


def parse_bibtex_names(value: str) -> list[Person]:
    """The people of a BibTeX ``author``/``editor`` value (``A and B and others``).

    The value is still LaTeX; the caller decodes each part of the result.
    ``and others`` ("et al.") is dropped: it is not a person.
    """
    try:
        raw_names = split_multiple_persons_names(value)
    except (ValueError, IndexError):
        raw_names = [value]
    people: list[Person] = []
    for raw in raw_names:
        raw = _fold(raw)
        if not raw or raw.lower() == "others":
            continue
        person = _bibtex_name(raw)
        if person:
            people.append(person)
    return people


def people_from_names(names: Iterable[str | Person]) -> list[Person]:
    """People from display names (or people, kept as they are); blanks dropped."""
    out: list[Person] = []
    for name in names:
        person = name if isinstance(name, Person) else parse_name(name)
        if person:
            out.append(person)
    return out


def dump_people(people: Sequence[Person]) -> str:
    """The JSON of the ``people`` column."""
    return json.dumps([p.to_json() for p in people], ensure_ascii=False)


def load_people(value: str | None, fallback: Sequence[str] = ()) -> tuple[Person, ...]:
    """The people of a ``people`` column value; *fallback* display names when unset.

    Libraries from before structured authors have ``''`` there: their display
    names are parsed once read (cached), so no migration rewrites every row.
    """
    if value:
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if isinstance(data, list):
            return tuple(p for p in map(Person.from_json, data) if p)
    return tuple(people_from_names(fallback))
