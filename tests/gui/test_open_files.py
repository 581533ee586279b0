"""Opening files from the desktop: ``readinglist FILE...`` and the hand-over to an open window."""

from __future__ import annotations

import socket as pysocket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalSocket
from pytestqt.qtbot import QtBot

from readinglist import cli
from readinglist.gui import app as gui_app
from readinglist.gui.instance import InstanceServer, hand_over, server_name
from readinglist.gui.main_window import MainWindow
from readinglist.library import Library

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

BIB = """@article{handed,
  title = {A Paper Handed Over by the Desktop},
  author = {Doe, Jane},
  year = {2024},
}
"""


# --- the command line ----------------------------------------------------------------------


@pytest.fixture
def gui_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str | None, list[Path]]]:
    """What the window would have been opened with, instead of opening it."""
    calls: list[tuple[str | None, list[Path]]] = []

    def fake_main(library: str | None = None, *, files: Sequence[Path] = ()) -> int:
        calls.append((library, list(files)))
        return 0

    monkeypatch.setattr(gui_app, "main", fake_main)
    return calls


def test_files_given_alone_open_the_window_with_them(
    tmp_path: Path, gui_calls: list[tuple[str | None, list[Path]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB)
    page = tmp_path / "page.txt"
    page.write_text("x")
    monkeypatch.chdir(tmp_path)
    # What the menu's Exec=readinglist %F runs: relative names become absolute.
    assert cli.run(["refs.bib", str(page)]) == 0
    assert gui_calls == [(None, [bib, page])]
    assert cli.run(["--library", str(tmp_path / "lib"), "refs.bib"]) == 0
    assert gui_calls[-1] == (str(tmp_path / "lib"), [bib])
    assert cli.run(["gui", "refs.bib"]) == 0
    assert gui_calls[-1] == (None, [bib])


def test_commands_still_win_over_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = frozenset({"list", "import", "gui"})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list").write_text("a file named like a command")
    assert cli._files_to_open(["list"], commands) == ([], [])
    assert cli._files_to_open(["./list"], commands) == ([], ["./list"])
    assert cli._files_to_open(["--library", "L", "a.bib"], commands) == (
        ["--library", "L"],
        ["a.bib"],
    )
    assert cli._files_to_open(["import", "a.bib"], commands) == ([], [])
    # A word that is not a file nor a command is left to argparse to name.
    assert cli._files_to_open(["lsit"], commands) == ([], [])


def test_a_missing_file_is_named_not_a_traceback(
    tmp_path: Path,
    gui_calls: list[tuple[str | None, list[Path]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    gone = tmp_path / "gone.bib"
    assert cli.run([str(gone)]) == 2
    err = capsys.readouterr().err
    assert f"{gone}: no such file or folder" in err and "Traceback" not in err
    assert gui_calls == []


def test_the_desktop_file_opens_the_formats_the_importers_read() -> None:
    from readinglist.paths import resource_path

    text = resource_path("io.github.readinglist.ReadingList.desktop").read_text("utf-8")
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    assert fields["Exec"] == "readinglist %F"
    mime = set(fields["MimeType"].rstrip(";").split(";"))
    assert {"text/x-bibtex", "application/x-research-info-systems", "application/pdf"} <= mime
    assert "text/plain" in mime  # saved pages and lists of links


# --- the hand-over to a window already open --------------------------------------------------


@pytest.fixture
def server(window: MainWindow, gui_lib: Library) -> Iterator[InstanceServer]:
    srv = InstanceServer(gui_lib.folder, lambda: window)
    assert srv.listen()
    yield srv
    srv.close()


def _hand_over_from_another_process(folder: Path, files: list[Path]) -> subprocess.Popen[str]:
    # As the desktop's second start does: hand_over blocks its process while
    # the window answers from this one's event loop.
    code = (
        "import sys; from pathlib import Path\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from readinglist.gui.instance import hand_over\n"
        "app = QCoreApplication([])\n"
        "ok = hand_over(Path(sys.argv[1]), [Path(a) for a in sys.argv[2:]])\n"
        "print('handed' if ok else 'refused')\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(folder), *map(str, files)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _answer(proc: subprocess.Popen[str], qtbot: QtBot) -> str:
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=15_000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return out.strip()


def test_a_later_start_hands_its_files_to_the_open_window(
    window: MainWindow,
    gui_lib: Library,
    server: InstanceServer,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    bib = tmp_path / "handed.bib"
    bib.write_text(BIB)
    before = window.model.rowCount()
    with qtbot.waitSignal(window.importFinished, timeout=20_000) as blocker:
        assert _answer(_hand_over_from_another_process(gui_lib.folder, [bib]), qtbot) == "handed"
    reports = blocker.args[0]
    assert [r.file_name for r in reports] == ["handed.bib"] and len(reports[0].added) == 1
    qtbot.waitUntil(lambda: window.model.rowCount() == before + 1, timeout=10_000)
    assert any(
        p.title == "A Paper Handed Over by the Desktop" for p in gui_lib.get(reports[0].added)
    )


def test_no_window_means_no_hand_over(tmp_path: Path) -> None:
    assert hand_over(tmp_path / "no-window-here", [tmp_path / "x.bib"]) is False


def test_a_request_that_is_not_ours_is_dropped(
    window: MainWindow, gui_lib: Library, server: InstanceServer, qtbot: QtBot
) -> None:
    received: list[object] = []
    server.received.connect(received.append)
    client = QLocalSocket()
    client.connectToServer(server.name)
    assert client.waitForConnected(2000)
    client.write(b"GET / HTTP/1.0\n")
    client.flush()
    qtbot.waitUntil(lambda: client.state() == QLocalSocket.LocalSocketState.UnconnectedState)
    assert received == [] and not window.jobs.busy()


@pytest.mark.skipif(not hasattr(pysocket, "AF_UNIX"), reason="socket files are Unix's")
def test_a_crashed_windows_socket_file_is_replaced(
    window: MainWindow, gui_lib: Library, qtbot: QtBot, tmp_path: Path
) -> None:
    # A process killed while listening leaves its socket file, which nobody answers.
    path = Path(tempfile.gettempdir()) / server_name(gui_lib.folder)
    stale = pysocket.socket(pysocket.AF_UNIX, pysocket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()
    try:
        assert hand_over(gui_lib.folder, []) is False
        srv = InstanceServer(gui_lib.folder, lambda: window)
        assert srv.listen()
        assert _answer(_hand_over_from_another_process(gui_lib.folder, []), qtbot) == "handed"
        srv.close()
    finally:
        path.unlink(missing_ok=True)
