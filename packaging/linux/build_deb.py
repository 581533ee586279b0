"""Build ``dist/readinglist_<version>_<arch>.deb`` from the PyInstaller bundle.

Run by ``make installer`` after PyInstaller has built ``dist/readinglist/``::

    python packaging/linux/build_deb.py [--bundle dist/readinglist] [--out dist]

It stages a root in ``build/deb/root`` and packs it with ``dpkg-deb``:

- ``/usr/lib/readinglist/``: the bundle, minus the libraries a Debian package installs
  byte for byte (those become dependencies, so Debian's security updates reach them),
  with ELF files stripped where that is safe;
- ``/usr/bin/readinglist``: a link to the bundle's executable;
- the ``.desktop`` file, the MIME type of RIS files, the AppStream metainfo, hicolor icons
  rendered from the SVG (``rsvg-convert``) and the SVG itself;
- ``/usr/share/doc/readinglist/``: ``copyright`` (machine-readable, MIT from LICENSE plus the
  bundled components' licences) and ``changelog.gz`` (made from the metainfo's releases);
- ``/usr/share/lintian/overrides/readinglist``: the named, commented lintian suppressions;
- ``DEBIAN/control``: the version from ``readinglist/__init__.py`` (the one place it is
  written), the architecture from ``dpkg --print-architecture``, ``Depends`` from
  ``dpkg-shlibdeps`` over every ELF file in the bundle.

Each fault of the environment (a missing tool, no bundle) ends the run with one line that
says what to do, and exit status 1.
"""

from __future__ import annotations

import argparse
import email.utils
import filecmp
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "readinglist"
APP_ID = "io.github.readinglist.ReadingList"
HOMEPAGE = "https://github.com/readinglist/readinglist"
# No project mail address exists yet; override with DEB_MAINTAINER="Name <address>".
DEFAULT_MAINTAINER = "Reading List developers <readinglist@users.noreply.github.com>"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
PACKAGING = REPO / "packaging" / "linux"


class BuildError(Exception):
    """A fault of the environment or the inputs, told to the user in one line."""


@dataclass(frozen=True)
class Release:
    """One ``<release>`` of the metainfo file."""

    version: str
    date: str
    notes: list[str]


def run(cmd: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``, turning a missing program or a failure into a :class:`BuildError`."""
    try:
        return subprocess.run(cmd, check=True, text=True, capture_output=True, cwd=cwd)
    except FileNotFoundError as exc:
        raise BuildError(f"{cmd[0]} not found: `make installer` installs it") from exc
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()[-5:]
        raise BuildError(f"{' '.join(cmd[:2])} failed: " + " | ".join(detail)) from exc


def read_version(repo: Path = REPO) -> str:
    """Return ``__version__`` from ``readinglist/__init__.py`` (read as text, not imported)."""
    text = (repo / "readinglist" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    if not match:
        raise BuildError("readinglist/__init__.py has no __version__ line")
    return match.group(1)


def _paragraphs(element: ET.Element | None) -> list[str]:
    """Return the text of each ``<p>`` (and ``<li>``) under ``element``, whitespace folded."""
    if element is None:
        return []
    return [" ".join("".join(p.itertext()).split()) for p in element.iter() if p.tag in ("p", "li")]


def read_metainfo(path: Path) -> tuple[str, list[str], list[Release]]:
    """Return the summary, the description's paragraphs and the releases, newest first."""
    root = ET.parse(path).getroot()
    summary = " ".join((root.findtext("summary") or "").split())
    description = _paragraphs(root.find("description"))
    releases = [
        Release(
            version=rel.get("version", ""),
            date=rel.get("date", ""),
            notes=_paragraphs(rel.find("description")),
        )
        for rel in root.iter("release")
    ]
    if not summary or not description or not releases:
        raise BuildError(f"{path.name} needs a summary, a description and a release")
    return summary, description, releases


def control_description(summary: str, paragraphs: list[str]) -> str:
    """Return the control file's Description: the synopsis, then the paragraphs indented."""
    lines = [summary]
    for index, paragraph in enumerate(paragraphs):
        if index:
            lines.append(" .")
        lines += [" " + line for line in textwrap.wrap(paragraph, 78)]
    return "\n".join(lines)


def debian_changelog(releases: list[Release], maintainer: str) -> str:
    """Return a Debian changelog of a native package, one entry per metainfo release."""
    entries = []
    for rel in releases:
        when = datetime.strptime(rel.date, "%Y-%m-%d").replace(hour=12, tzinfo=UTC)
        items = "\n".join(
            textwrap.fill(note, 78, initial_indent="  * ", subsequent_indent="    ")
            for note in rel.notes or [f"Release {rel.version}."]
        )
        stamp = email.utils.format_datetime(when)
        entries.append(
            f"{PACKAGE} ({rel.version}) unstable; urgency=medium\n\n{items}\n\n"
            f" -- {maintainer}  {stamp}\n"
        )
    return "\n".join(entries)


def copyright_file(license_text: str, third_party: str) -> str:
    """Return the DEP-5 copyright file: ours (MIT, from LICENSE) and the bundled components'."""
    match = re.search(r"^Copyright (?:\(c\) )?(.+)$", license_text, re.M)
    if not match:
        raise BuildError("LICENSE has no Copyright line")
    # The licence body: what follows the copyright line, each blank line as " .".
    body = license_text[match.end() :].strip()
    mit = "\n".join(" " + line if line.strip() else " ." for line in body.splitlines())
    return (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: Reading List\n"
        f"Source: {HOMEPAGE}\n"
        "\n"
        "Files: *\n"
        f"Copyright: {match.group(1)}\n"
        "License: MIT\n"
        "\n" + third_party.strip() + "\n\nLicense: MIT\n" + mit + "\n"
    )


def is_elf(path: Path) -> bool:
    """Tell whether ``path`` is a regular ELF file."""
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as fp:
        return fp.read(4) == b"\x7fELF"


def elf_files(tree: Path) -> Iterator[Path]:
    """Yield every regular ELF file under ``tree``, in a stable order."""
    for path in sorted(tree.rglob("*")):
        if is_elf(path):
            yield path


def system_libraries() -> dict[str, Path]:
    """Return the dynamic linker's cache as {soname: path} (the first entry of each name)."""
    out = run(["/sbin/ldconfig", "-p"]).stdout
    libraries: dict[str, Path] = {}
    for line in out.splitlines()[1:]:
        name, _, path = line.strip().partition(" => ")
        soname = name.split(" (", 1)[0]
        if path and soname not in libraries:
            libraries[soname] = Path(path)
    return libraries


def debian_owned(paths: list[Path]) -> set[Path]:
    """Return those of ``paths`` (real paths) that an installed Debian package owns."""
    queries: dict[str, Path] = {}
    for path in paths:
        queries[str(path)] = path
        # Merged /usr: dpkg may record /lib/... for a file that lives in /usr/lib/....
        if str(path).startswith("/usr/"):
            queries[str(path)[4:]] = path
    # dpkg-query exits 1 when some path is nobody's: read what it found all the same.
    try:
        result = subprocess.run(
            ["dpkg-query", "-S", *queries], text=True, capture_output=True, check=False
        )
    except FileNotFoundError as exc:
        raise BuildError("dpkg-query not found: build the .deb on Debian or Ubuntu") from exc
    owned = set()
    for line in result.stdout.splitlines():
        _, sep, name = line.rpartition(": ")
        if sep and name in queries:
            owned.add(queries[name])
    return owned


def unbundle_system_libraries(lib: Path) -> list[str]:
    """Remove the bundle's copies of libraries a Debian package installs, byte for byte.

    PyInstaller copies every library the app loads, the build machine's libX11, OpenSSL,
    SQLite... included. Identical copies are left to Debian (they become Depends via
    dpkg-shlibdeps), so the package gets Debian's security updates and does not ship
    embedded copies of system libraries. Copies that differ (a wheel's own build) stay.
    """
    system = system_libraries()
    candidates: dict[Path, Path] = {}
    for path in elf_files(lib):
        installed = system.get(path.name)
        if installed is not None and installed.exists():
            real = installed.resolve()
            if filecmp.cmp(path, real, shallow=False):
                candidates[path] = real
    owned = debian_owned(sorted(set(candidates.values())))
    removed = []
    for path, real in candidates.items():
        if real in owned:
            path.unlink()
            removed.append(path.name)
    # Links PyInstaller made to a library that is now gone.
    for link in lib.rglob("*"):
        if link.is_symlink() and not link.exists():
            link.unlink()
    return sorted(removed)


def strip_elf(lib: Path, executable: Path) -> list[Path]:
    """Strip symbol tables from the bundle's ELF files, as Debian's dh_strip does.

    Left as they are: the executable (PyInstaller appends its archive to it, which strip
    would cut off) and libraries vendored by auditwheel into ``*.libs`` folders
    (patchelf-edited; binutils' strip makes them unloadable, "ELF load command
    address/offset not page-aligned"). Returns the files left unstripped.
    """
    skipped = []
    for path in elf_files(lib):
        if path == executable or any(part.endswith(".libs") for part in path.parts):
            skipped.append(path)
            continue
        run(
            [
                "strip",
                "--strip-unneeded",
                "--remove-section=.comment",
                "--remove-section=.note",
                str(path),
            ]
        )
    return skipped


def runpath(path: Path) -> list[str]:
    """Return the RUNPATH (or RPATH) entries of an ELF file, as ``readelf`` reads them."""
    out = run(["readelf", "--dynamic", str(path)]).stdout
    match = re.search(r"\((?:RUNPATH|RPATH)\).*\[(.*)\]", out)
    return match.group(1).split(":") if match else []


def drop_foreign_runpaths(lib: Path) -> list[Path]:
    """Remove library search paths that point outside the bundle; return the files changed.

    A Python built with a shared libpython (pyenv, python-build-standalone...) records its
    own lib folder, such as ``/root/.pyenv/versions/3.11.7/lib``, in libpython and in every
    standard extension module. Inside the bundle it is of no use (libpython is already
    loaded), and on a user's machine it would make the loader search a folder anyone could
    create. ``$ORIGIN``-relative entries (the wheels' own) stay.
    """
    changed = []
    for path in elf_files(lib):
        entries = runpath(path)
        kept = [entry for entry in entries if entry.startswith("$ORIGIN")]
        if kept == entries:
            continue
        if kept:
            run(["chrpath", "--replace", ":".join(kept), str(path)])
        else:
            run(["chrpath", "--delete", str(path)])
        changed.append(path)
    return changed


def man_page(executable: Path, version: str, summary: str, target: Path) -> None:
    """Write ``readinglist.1.gz`` from the program's own ``--help`` (help2man)."""
    page = target.with_suffix("")
    run(
        [
            "help2man",
            "--no-info",
            "--section=1",
            f"--name={summary}",
            "--source=Reading List",
            f"--version-string={version}",
            f"--output={page}",
            str(executable),
        ]
    )
    write_gzip(target, page.read_bytes())
    page.unlink()


def write_gzip(target: Path, data: bytes) -> None:
    """Write ``data`` gzipped at level 9 with no time stamp or name: the same bytes each build."""
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as fp,
    ):
        fp.write(data)


def write_md5sums(root: Path) -> None:
    """Write DEBIAN/md5sums (what ``dpkg --verify`` and ``debsums`` check), as dh_md5sums does."""
    lines = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.is_relative_to(root / "DEBIAN"):
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            lines.append(f"{digest}  {path.relative_to(root)}\n")
    (root / "DEBIAN" / "md5sums").write_text("".join(lines), encoding="utf-8")
    (root / "DEBIAN" / "md5sums").chmod(0o644)


def normalise_modes(root: Path, executables: set[Path]) -> None:
    """Folders and ``executables`` 0755, every other file 0644 (shared libraries too)."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = 0o755 if path.is_dir() or path in executables else 0o644
        path.chmod(mode)


def render_icons(svg: Path, share: Path) -> None:
    """Render the app's SVG icon at every hicolor size, and install the SVG itself."""
    for size in ICON_SIZES:
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        size_args = ["--width", str(size), "--height", str(size)]
        run(["rsvg-convert", *size_args, "-o", str(target), str(svg)])
    scalable = share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)


def shlib_depends(root: Path, lib: Path) -> str:
    """Return ``Depends`` as dpkg-shlibdeps computes it for every ELF file in the bundle.

    The bundle's own libraries are found through ``-l`` (they need no package); the
    warnings about them having no shlibs information are expected and kept in the log.
    """
    files = list(elf_files(lib))
    dirs = sorted({str(path.parent) for path in files if ".so" in path.name})
    # dpkg-shlibdeps reads debian/control from its working folder: give it a minimal one.
    work = root.parent / "shlibdeps"
    (work / "debian").mkdir(parents=True, exist_ok=True)
    (work / "debian" / "control").write_text(
        f"Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n", encoding="utf-8"
    )
    cmd = ["dpkg-shlibdeps", "-O", "--ignore-missing-info", *(f"-l{d}" for d in dirs)]
    cmd += [f"-e{path}" for path in files]
    result = run(cmd, cwd=work)
    (root.parent / "dpkg-shlibdeps.log").write_text(result.stderr, encoding="utf-8")
    match = re.search(r"^shlibs:Depends=(.*)$", result.stdout, re.M)
    if not match:
        raise BuildError("dpkg-shlibdeps found no dependencies (no ELF files in the bundle?)")
    return match.group(1)


def installed_size_kib(root: Path) -> int:
    """Return the Installed-Size field as dpkg-gencontrol reckons it (KiB, ceil per file)."""
    total = 0
    for path in root.rglob("*"):
        if path.is_relative_to(root / "DEBIAN"):
            continue
        total += 1 if path.is_symlink() or path.is_dir() else -(-path.stat().st_size // 1024)
    return total


def stage(bundle: Path, root: Path, maintainer: str) -> dict[str, str]:
    """Lay out the package's files under ``root``; return the control fields."""
    if not (bundle / PACKAGE).is_file():
        raise BuildError(f"no bundle at {bundle}: run `make installer` (PyInstaller builds it)")
    if root.exists():
        shutil.rmtree(root)
    lib = root / "usr" / "lib" / PACKAGE
    share = root / "usr" / "share"
    shutil.copytree(bundle, lib, symlinks=True)
    executable = lib / PACKAGE
    removed = unbundle_system_libraries(lib)
    print(f"left to Debian's packages: {len(removed)} system libraries")
    fixed = drop_foreign_runpaths(lib)
    print(f"removed search paths outside the bundle from {len(fixed)} ELF files")
    skipped = strip_elf(lib, executable)
    print(f"stripped the ELF files but {', '.join(p.name for p in skipped)}")

    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / PACKAGE).symlink_to(f"../lib/{PACKAGE}/{PACKAGE}")

    resources = REPO / "resources"
    (share / "applications").mkdir(parents=True)
    shutil.copyfile(resources / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    # The RIS type shared-mime-info lacks; dpkg's trigger runs update-mime-database.
    (share / "mime" / "packages").mkdir(parents=True)
    shutil.copyfile(resources / f"{APP_ID}.mime.xml", share / "mime" / "packages" / f"{APP_ID}.xml")
    metainfo = resources / f"{APP_ID}.metainfo.xml"
    (share / "metainfo").mkdir(parents=True)
    shutil.copyfile(metainfo, share / "metainfo" / f"{APP_ID}.metainfo.xml")
    render_icons(resources / "icons" / "readinglist.svg", share)

    version = read_version()
    summary, description, releases = read_metainfo(metainfo)
    if releases[0].version != version:
        raise BuildError(
            f"the metainfo's newest release is {releases[0].version}, the app is {version}: "
            f"add a <release> for {version} to {metainfo.name}"
        )
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    third_party = (PACKAGING / "third-party-copyright").read_text(encoding="utf-8")
    license_text = (REPO / "LICENSE").read_text(encoding="utf-8")
    (doc / "copyright").write_text(copyright_file(license_text, third_party), encoding="utf-8")
    write_gzip(doc / "changelog.gz", debian_changelog(releases, maintainer).encode("utf-8"))
    man = share / "man" / "man1"
    man.mkdir(parents=True)
    man_page(executable, version, summary, man / f"{PACKAGE}.1.gz")

    overrides = share / "lintian" / "overrides"
    overrides.mkdir(parents=True)
    shutil.copyfile(PACKAGING / "lintian-overrides", overrides / PACKAGE)

    (root / "DEBIAN").mkdir()
    normalise_modes(root, {executable})
    write_md5sums(root)
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    return {
        "Package": PACKAGE,
        "Version": version,
        "Architecture": arch,
        "Maintainer": maintainer,
        "Installed-Size": str(installed_size_kib(root)),
        "Depends": shlib_depends(root, lib),
        "Section": "science",
        "Priority": "optional",
        "Homepage": HOMEPAGE,
        "Description": control_description(summary, description),
    }


def build(bundle: Path, out: Path, work: Path, maintainer: str) -> Path:
    """Stage and pack the package; return the .deb's path."""
    root = work / "root"
    fields = stage(bundle, root, maintainer)
    control = "".join(f"{key}: {value}\n" for key, value in fields.items())
    (root / "DEBIAN" / "control").write_text(control, encoding="utf-8")
    (root / "DEBIAN" / "control").chmod(0o644)
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{PACKAGE}_{fields['Version']}_{fields['Architecture']}.deb"
    for old in out.glob(f"{PACKAGE}_*.deb"):
        old.unlink()
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(deb)])
    return deb


def main(argv: Sequence[str] | None = None) -> int:
    """Build the .deb; print where it is, or one line saying why it could not be built."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bundle", type=Path, default=REPO / "dist" / PACKAGE)
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "deb")
    args = parser.parse_args(argv)
    maintainer = os.environ.get("DEB_MAINTAINER") or DEFAULT_MAINTAINER
    start = time.monotonic()
    try:
        deb = build(args.bundle.resolve(), args.out.resolve(), args.work.resolve(), maintainer)
    except BuildError as exc:
        print(f"build_deb: {exc}", file=sys.stderr)
        return 1
    print(f"built {deb} in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
