#!/usr/bin/env bash
# Checks the built .deb as a user's machine would meet it (`make installer-check`):
#   1. the shipped .desktop and AppStream files validate (desktop-file-validate,
#      appstreamcli validate --no-net);
#   2. lintian finds no error or warning but the ones packaging/linux/lintian-overrides
#      names (with its reasons), and no override is stale;
#   3. `apt-get install ./….deb` installs it with its dependencies;
#   4. the installed /usr/bin/readinglist reports the version and passes --smoke-test under
#      Xvfb (window on a temporary library, the bundled sample imported), exit status 0 and
#      nothing on stderr that reads like an error or a warning;
#   5. the menu entry is installed and valid, .ris files get their type, and Reading List is
#      offered to open RIS, BibTeX and text files;
#   6. `apt-get purge` removes it all.
# Usage: packaging/linux/check_deb.sh dist/readinglist_<version>_<arch>.deb
# Installing needs root: run as root (as CI does) or with sudo allowed.
set -euo pipefail

APP_ID=io.github.readinglist.ReadingList
say() { printf '== %s\n' "$*"; }
fail() { printf 'check_deb: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || fail "usage: $0 PATH/TO/readinglist_<version>_<arch>.deb"
[ -f "$1" ] || fail "no package at $1: run \`make installer\` first"
DEB=$(realpath "$1")  # apt-get takes a local file only as a path with a slash

if [ "$(id -u)" = 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    fail "installing the package needs root: run \`make installer-check\` as root or with sudo allowed without a password"
fi
for tool in dpkg-deb desktop-file-validate appstreamcli lintian xvfb-run apt-get gio; do
    command -v "$tool" >/dev/null || fail "$tool not found: \`make installer-check\` installs it (as root)"
done

WORK=$(mktemp -d)
INSTALLED=0
cleanup() {
    # A failed check must not leave the package on the machine.
    if [ "$INSTALLED" = 1 ]; then
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq readinglist >/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

VERSION=$(dpkg-deb -f "$DEB" Version)
say "package $(basename "$DEB"): $(du -h "$DEB" | cut -f1), installed size $(( $(dpkg-deb -f "$DEB" Installed-Size) / 1024 )) MiB"

say "desktop-file-validate and appstreamcli validate --no-net (the files as shipped)"
dpkg-deb -x "$DEB" "$WORK/root"
desktop-file-validate "$WORK/root/usr/share/applications/$APP_ID.desktop"
appstreamcli validate --no-net "$WORK/root/usr/share/metainfo/$APP_ID.metainfo.xml"

say "lintian (suppressions: packaging/linux/lintian-overrides)"
# --show-overrides lists the suppressed tags (O:) with their reasons (N:) in the log; any
# error or warning no override names (E:, W:) fails the check. (Lintian's own --fail-on
# counts overridden tags as well once they are shown, so the log is read instead.) A stale
# override (the tag is no longer raised, or its path no longer matches) fails too, so the
# list never hides more than it says.
lintian --fail-on none --show-overrides --tag-display-limit 0 "$DEB" 2>&1 \
    | grep -v '^running with root privileges' | tee "$WORK/lintian.log"
if grep -E '^[EW]: ' "$WORK/lintian.log"; then
    fail "lintian raised the errors or warnings above"
fi
if grep -E 'unused-override|mismatched-override' "$WORK/lintian.log"; then
    fail "packaging/linux/lintian-overrides holds an override lintian no longer needs (above)"
fi

say "apt-get install $DEB"
INSTALLED=1
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >"$WORK/apt.log" 2>&1 \
    || { cat "$WORK/apt.log"; fail "apt-get install failed"; }

say "/usr/bin/readinglist --version"
reported=$(/usr/bin/readinglist --version)
echo "$reported"
[ "$reported" = "readinglist $VERSION" ] || fail "expected 'readinglist $VERSION'"

say "xvfb-run -a /usr/bin/readinglist --smoke-test (temporary HOME)"
# A fresh HOME and a private runtime folder (0700, as logind makes it): the smoke test must
# not need the user's files, and Qt warns about a runtime folder it cannot use.
mkdir -m 0700 "$WORK/home" "$WORK/runtime"
status=0
env -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_CACHE_HOME -u QT_QPA_PLATFORM \
    HOME="$WORK/home" XDG_RUNTIME_DIR="$WORK/runtime" \
    timeout 60 xvfb-run -a /usr/bin/readinglist --smoke-test \
    >"$WORK/smoke.out" 2>"$WORK/smoke.err" || status=$?
cat "$WORK/smoke.out"
if [ -s "$WORK/smoke.err" ]; then
    echo "stderr:"
    sed 's/^/  /' "$WORK/smoke.err"
fi
[ "$status" = 0 ] || fail "the smoke test exited with status $status"
grep -q '^smoke test passed' "$WORK/smoke.out" || fail "the smoke test did not report success"
if grep -Eiq 'error|traceback|critical|warning' "$WORK/smoke.err"; then
    fail "the smoke test wrote an error or a warning to stderr (above)"
fi

say "menu entry and icon"
desktop=/usr/share/applications/$APP_ID.desktop
[ -f "$desktop" ] || fail "$desktop is not installed"
desktop-file-validate "$desktop"
grep -q '^Exec=readinglist %F$' "$desktop" || fail "$desktop does not run readinglist %F"
for size in 48x48 256x256 scalable; do
    ls /usr/share/icons/hicolor/$size/apps/$APP_ID.* >/dev/null \
        || fail "no $size icon in /usr/share/icons/hicolor"
done
echo "ok: $desktop, hicolor icons"

say "file types: RIS is known, and Reading List is offered to open RIS, BibTeX and text"
# dpkg's triggers have run update-mime-database and update-desktop-database; gio reads
# both, as a file manager's "Open with" does.
printf 'TY  - JOUR\nTI  - A paper\nER  - \n' >"$WORK/export.ris"
type=$(gio info --attributes=standard::content-type "$WORK/export.ris" | sed -n 's/.*content-type: //p')
[ "$type" = application/x-research-info-systems ] || fail "a .ris file is $type, not application/x-research-info-systems"
for mime in application/x-research-info-systems text/x-bibtex text/plain; do
    # (Read whole, not piped into grep -q: under pipefail gio's broken pipe would fail it.)
    offered=$(gio mime "$mime")
    grep -q "$APP_ID.desktop" <<<"$offered" || fail "Reading List is not offered for $mime"
done
echo "ok: .ris is $type; offered for RIS, BibTeX and plain text"

say "apt-get purge readinglist"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq readinglist >"$WORK/apt.log" 2>&1 \
    || { cat "$WORK/apt.log"; fail "apt-get purge failed"; }
INSTALLED=0
for path in /usr/lib/readinglist /usr/bin/readinglist "$desktop" /usr/share/mime/packages/$APP_ID.xml; do
    if [ -e "$path" ] || [ -L "$path" ]; then
        fail "$path is still there after purge"
    fi
done
dpkg-query -W readinglist >/dev/null 2>&1 && fail "dpkg still knows readinglist after purge"
echo "ok: removed cleanly"
say "installer-check passed"
