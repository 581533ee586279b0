"""The fields styles hand to TeX as written: ``url``, ``doi`` and ``eprint``.

Text fields are escaped (:mod:`.latex_text`), but these three cannot be:
url.sty, hyperref and biber read them verbatim, so ``\\%`` would be a
backslash in the link.  Verbatim is only as safe as the macro that reads it,
though: without the url package natbib's styles define ``\\url`` as
``\\texttt{#1}`` and ``\\doi`` as ``doi: #1``, which read their argument as
ordinary TeX.  There a ``\\input|"cmd"`` in a URL ran ``cmd`` under
``-shell-escape``, and so did ``^^5cinput``: TeX reads ``^^5c`` as a
backslash.  So each value here is validated and then reduced to characters
from which TeX can never read a command:

* **url**: ``http``, ``https`` or ``ftp`` with a host, else it is invalid;
* **doi**: ``10.NNNN/suffix`` (a ``doi:`` or ``https://doi.org/`` prefix is
  dropped), else it is invalid;
* **eprint** (an arXiv id): ``2403.01234`` or ``hep-th/9901001``, with an
  optional version, else it is invalid;
* then ``\\``, ``^``, ``{``, ``}``, ``~``, ``"``, whitespace, control
  characters, non-ASCII and every other character a URI cannot hold are
  percent-encoded as UTF-8 (``%5C``, ``%5E``...).  The unreserved ``~`` becomes
  ``%7E``, which RFC 3986 declares equivalent.  Two characters the rule
  would encode are kept where encoding would change what the link points to:
  a ``%`` that already starts an escape (``%20``: encoding it again gives
  ``%2520``, another URL) and a URL's first ``#`` (the fragment delimiter;
  ``%23`` would send it to the server as part of the path).  Every other
  ``%`` and ``#`` is encoded.  Neither can make TeX run anything: ``%``
  starts a comment and ``#`` is a macro parameter, which at worst stop a
  document whose ``\\url`` reads them as ordinary TeX; so do ``_`` and ``&``
  in any real URL, which is why natbib asks for the url package.

An invalid value is not written at all; the exporter reports it.  The
functions return the value to write, ``""`` for an empty one and ``None``
for an invalid one.
"""

from __future__ import annotations

import re
import string

__all__ = ["URL_SCHEMES", "safe_arxiv_id", "safe_doi", "safe_url"]

URL_SCHEMES = frozenset({"http", "https", "ftp"})

# RFC 3986's unreserved and reserved characters, less "~" (an active
# character in TeX), "#" (handled apart) and "%" (kept only in an escape).
# None of them is special to TeX's reading of a command: \, ^, { and } are
# all outside.
_URI_CHARS = string.ascii_letters + string.digits + "-._:/?[]@!$&'()*+,;="
# A DOI is a name, not a URL, and DOIs of the SICI kind hold "<" and ">"
# ("10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"): keep them.
_DOI_CHARS = _URI_CHARS + "<>"


def _encoder(keep: str) -> re.Pattern[str]:
    """Return the pattern of what to percent-encode in a value made of *keep*.

    It matches an existing escape (kept), a ``#`` (a URL's first one is
    kept), a lone ``%`` and every run of other characters (encoded).
    """
    others = "[^" + re.escape(keep) + "%#]+"
    return re.compile(r"%[0-9A-Fa-f]{2}|#|%|" + others)


_URL_ENCODER = _encoder(_URI_CHARS)
_DOI_ENCODER = _encoder(_DOI_CHARS)
_URL_CLEAN = re.compile("[" + re.escape(_URI_CHARS) + "]*")
_DOI_CLEAN = re.compile("[" + re.escape(_DOI_CHARS) + "]*")


def _percent(text: str) -> str:
    """Return *text* percent-encoded as UTF-8, every byte as ``%XX``."""
    return "".join(f"%{b:02X}" for b in text.encode("utf-8"))


def _encode(value: str, encoder: re.Pattern[str], fragment: bool) -> str | None:
    """Return *value* with everything TeX could misread percent-encoded (None: unencodable)."""
    seen_hash = False

    def replace(match: re.Match[str]) -> str:
        nonlocal seen_hash
        found = match.group()
        if len(found) == 3 and found[0] == "%":
            return found  # already an escape
        if found == "#" and fragment and not seen_hash:
            seen_hash = True
            return found
        return _percent(found)

    try:
        return encoder.sub(replace, value)
    except UnicodeEncodeError:  # a lone surrogate: no byte sequence stands for it
        return None


# What a URL must start with, checked once it is encoded (so it is ASCII and
# holds no whitespace): an allowed scheme, "//", an optional user, a host
# that is not empty (a name, an IPv4 address or an [IPv6] literal), an
# optional numeric port, then a path, query or fragment, or nothing (RFC
# 3986's authority).  A regex rather than urllib.parse.urlsplit, which cost
# a quarter of exporting 100,000 papers with links; the tests check that
# urlsplit finds the scheme and a host in whatever this accepts.
_URL_SHAPE = re.compile(
    "(?:" + "|".join(sorted(URL_SCHEMES)) + ")://"
    r"(?:[^/?#@\[\]]*@)?(?:\[[0-9A-Fa-f:.]+\]|[^/?#@:\[\]]+)(?::[0-9]*)?(?:[/?#]|\Z)",
    re.IGNORECASE | re.ASCII,
)


def safe_url(value: str) -> str | None:
    """Return *value* as a URL safe to write, ``""`` if empty, None if not a web/FTP URL."""
    value = value.strip()
    if not value:
        return ""
    # The common URL holds nothing to encode: one C-level scan decides.
    if _URL_CLEAN.fullmatch(value) is None or "#" in value:
        encoded = _encode(value, _URL_ENCODER, fragment=True)
        if encoded is None:
            return None
        value = encoded
    return value if _URL_SHAPE.match(value) is not None else None


# re.ASCII throughout: in Unicode mode \d also matches "٣" and a
# case-insensitive [a-z] matches the Kelvin sign.
_DOI_PREFIX = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE | re.ASCII)
# The DOI handbook's syntax: "10." and a registrant code of digits
# (possibly subdivided: "10.1000.10"), "/", then a suffix of any characters.
_DOI_SYNTAX = re.compile(r"10\.\d{4,9}(?:\.\d+)*/\S", re.ASCII)


def safe_doi(value: str) -> str | None:
    """Return *value* as a DOI safe to write, ``""`` if empty, None if not a DOI."""
    value = value.strip()
    if not value.startswith("10."):
        value = _DOI_PREFIX.sub("", value, count=1).strip()
        if not value:
            return ""
    if _DOI_SYNTAX.match(value) is None:
        return None
    if _DOI_CLEAN.fullmatch(value) is not None:
        return value
    return _encode(value, _DOI_ENCODER, fragment=False)


# New-style ids (2403.01234) and old-style ones (hep-th/9901001,
# math.GT/0309136), with an optional version: nothing else is an arXiv id.
_ARXIV_ID = re.compile(
    r"(?:arxiv:\s*)?((?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[a-z]{2})?/\d{7})(?:v\d+)?)",
    re.IGNORECASE | re.ASCII,
)


def safe_arxiv_id(value: str) -> str | None:
    """Return the arXiv id in *value* (``arXiv:`` dropped), ``""`` if empty, None if invalid."""
    value = value.strip()
    if not value:
        return ""
    match = _ARXIV_ID.fullmatch(value)
    # fullmatch with IGNORECASE: only ASCII letters, digits, ".", "-", "/".
    return match.group(1) if match is not None else None
