"""Screenshots of the main window's views for the README, rendered offscreen:

    QT_QPA_PLATFORM=offscreen python -m avevents.tray.screenshots OUTDIR

Uses the running daemon when there is one (real models, devices and jobs); otherwise the views show what
a user sees with the daemon stopped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

VIEWS = ("models", "devices", "jobs", "settings")


def render(out_dir: Path, settle_ms: int = 1500) -> list[Path]:
    """One PNG per tab, after the views have had ``settle_ms`` to fetch their data."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from .app import TrayApp

    app = QApplication.instance() or QApplication(["avevents-screenshots"])
    tray = TrayApp(app, poll_ms=500)
    tray.link.start_polling()
    window = tray.window
    window.show()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for index, name in enumerate(VIEWS):
        window.tabs.setCurrentIndex(index)
        window.refresh_current()
        loop = QEventLoop()
        QTimer.singleShot(settle_ms, loop.quit)
        loop.exec()
        path = out_dir / f"tray-{name}.png"
        window.grab().save(str(path))
        written.append(path)
    tray.link.timer.stop()
    tray.link.wait_idle(5000)
    window.close()
    return written


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = Path(argv[0]) if argv else Path("docs") / "screenshots"
    for path in render(out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
