"""GUI figures for the benchmark: start to first paint, and GUI-thread stalls while typing.

``measure_gui(folder)`` runs two fresh processes on an existing library:
one that exits at the first paint of the paper table (timed from just before
the process is spawned, so interpreter start and imports count), and one
that types a query key by key while a 1 ms timer records the longest gap
between its ticks, which is the longest time the GUI thread was busy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..bench import peak_rss_mb

# Words from the sample page, so every keystroke finds something at every size.
TYPED = "language models reasoning"


def _env(tmp: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if not env.get("DISPLAY") else "xcb")
    # Fresh window settings, but the same index-signing key as the process that
    # built the library: with another key the window would rebuild the index.
    from ..paths import config_dir
    from ..search.trust import KEY_FILE

    key = config_dir() / KEY_FILE
    if key.exists():
        target = Path(tmp) / key.parent.name / KEY_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(key, target)
    env["XDG_CONFIG_HOME"] = tmp
    env["READINGLIST_NO_ERROR_DIALOG"] = "1"
    return env


def _child(mode: str, folder: Path, env: dict[str, str]) -> str:
    """Run one measurement in a fresh process; return its last line of output."""
    out = subprocess.run(
        [sys.executable, "-m", "readinglist.gui.bench", mode, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return out.strip().splitlines()[-1]


def measure_gui(folder: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(tmp)
        t0 = time.time()
        painted = float(_child("first-paint", folder, env))
        typing = json.loads(_child("typing", folder, env))
    return {"first_paint_ms": (painted - t0) * 1000, **typing}


def _first_paint(folder: Path) -> None:
    from PySide6.QtCore import QEvent, QObject

    from .app import start

    started = start(str(folder))
    if isinstance(started, int):
        raise SystemExit(f"the window did not open (status {started})")
    app, window = started.app, started.window

    class Spy(QObject):
        def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and window.model.rowCount() > 0:
                print(f"{time.time():.6f}", flush=True)
                app.quit()
            return False

    spy = Spy()
    window.table.viewport().installEventFilter(spy)
    app.exec()
    window.shutdown()
    started.lib.close()
    started.lock.unlock()


def _typing(folder: Path) -> None:
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtTest import QTest

    from ..library import Library
    from .app import make_app, tune_gc
    from .main_window import MainWindow

    app = make_app()
    lib = Library(folder, sync_index=False, background_index=True)
    window = MainWindow(lib)
    window.show()
    tune_gc()  # as app.main() does
    gaps: list[float] = []
    clock = QElapsedTimer()
    ticker = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        gaps.append(now - last[0])
        last[0] = now

    ticker.timeout.connect(tick)
    chars = list(TYPED)
    finished_queries = [0]
    window.queryFinished.connect(lambda: finished_queries.__setitem__(0, finished_queries[0] + 1))

    def type_next() -> None:
        if chars:
            QTest.keyClicks(window.search_edit, chars.pop(0))
            QTimer.singleShot(70, type_next)
        else:
            # Let the last debounced search run and its rows paint.
            QTimer.singleShot(1500, app.quit)

    def start() -> None:
        window.search_edit.setFocus()
        clock.start()
        last[0] = 0.0
        ticker.start()
        type_next()

    QTimer.singleShot(800, start)
    app.exec()
    ticker.stop()
    window.shutdown()
    lib.close()
    result = {
        "max_stall_ms": max(gaps) if gaps else 0.0,
        "stalls_over_50ms": sum(1 for g in gaps if g > 50),
        "queries_finished": finished_queries[0],
        "final_rows": window.model.rowCount(),
        "gui_peak_mb": peak_rss_mb(),
    }
    print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["first-paint", "typing", "both"])
    parser.add_argument("library")
    args = parser.parse_args()
    folder = Path(args.library)
    if args.mode == "first-paint":
        _first_paint(folder)
    elif args.mode == "typing":
        _typing(folder)
    else:
        print(json.dumps(measure_gui(folder)))


if __name__ == "__main__":
    main()
