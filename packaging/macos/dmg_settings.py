"""dmgbuild settings: the macOS disk image, "Reading List.app" beside a link to /Applications.

Not imported: dmgbuild executes this file with ``defines`` (the ``-D key=value`` options)
in its namespace and reads the settings below. The hosted-CI workflow runs, after
PyInstaller has built the app::

    dmgbuild -s packaging/macos/dmg_settings.py -D app="dist/Reading List.app" \
        "Reading List" dist/ReadingList-<version>.dmg
"""

import os.path
import plistlib

defines: dict[str, str] = globals().get("defines", {})

application = defines.get("app", "dist/Reading List.app")
appname = os.path.basename(application)

# Compressed with zlib: opens on every macOS the app runs on (UDBZ and ULFO are smaller but
# slower to mount or newer).
# (`format`: the name dmgbuild reads, though it shadows the builtin.)
format = defines.get("format", "UDZO")
# dmgbuild sizes the image from the files when no size is given.
size = defines.get("size")
files = [application]
symlinks = {"Applications": "/Applications"}


def _app_icon(app: str) -> str | None:
    """Return the .icns file PyInstaller put in the app (CFBundleIconFile), if there is one."""
    contents = os.path.join(app, "Contents")
    try:
        with open(os.path.join(contents, "Info.plist"), "rb") as fp:
            name = plistlib.load(fp).get("CFBundleIconFile")
    except OSError:
        return None
    return os.path.join(contents, "Resources", name) if name else None


# The app's own icon on the volume's disk icon.
badge_icon = _app_icon(application)

# The window the user sees: the app on the left, Applications on the right, drag across.
window_rect = ((200, 200), (640, 320))
default_view = "icon-view"
show_status_bar = False
show_tab_view = False
show_toolbar = False
show_pathbar = False
show_sidebar = False
show_icon_preview = False
arrange_by = None
icon_size = 128
text_size = 14
icon_locations = {appname: (160, 140), "Applications": (480, 140)}
