"""``avevents tray``: the tray icon (state, menu) and the main window; where the desktop has no system
tray the main window is shown instead, with the same daemon controls."""

from __future__ import annotations

import logging
import subprocess
import sys

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from . import daemon_process
from .icons import state_icon
from .link import DaemonLink
from .settings import load_settings
from .window import MainWindow

log = logging.getLogger(__name__)


class DaemonControls:
    """Start / stop / restart the daemon, open its log: the same actions in the tray menu and toolbar."""

    def __init__(self, link: DaemonLink, parent):
        self.link = link
        self.settings = load_settings()
        self.start_action = QAction("Start daemon", parent)
        self.stop_action = QAction("Stop daemon", parent)
        self.restart_action = QAction("Restart daemon", parent)
        self.log_action = QAction("Open log", parent)
        self.start_action.triggered.connect(self.start)
        self.stop_action.triggered.connect(self.stop)
        self.restart_action.triggered.connect(self.restart)
        self.log_action.triggered.connect(self.open_log)
        link.state_changed.connect(self.update)
        self.update(link.state)

    def actions(self) -> list[QAction]:
        return [self.start_action, self.stop_action, self.restart_action, self.log_action]

    def update(self, state) -> None:
        up = state.name in ("idle", "busy")
        self.start_action.setEnabled(state.name in ("stopped", "error"))
        self.stop_action.setEnabled(up)
        self.restart_action.setEnabled(up)

    def start(self) -> None:
        self.settings = load_settings()
        daemon_process.start(self.settings.daemon_args(), self.settings.daemon_env())
        self.link.starting = True
        self.link.poll()

    def stop(self) -> None:
        self.link.run(lambda c, r: daemon_process.stop(), lambda _: self.link.poll())

    def restart(self) -> None:
        self.link.run(lambda c, r: daemon_process.stop(), lambda _: self.start())

    def open_log(self) -> None:
        path = daemon_process.log_path()
        path.touch(exist_ok=True)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))) and sys.platform.startswith("linux"):
            subprocess.Popen(["xdg-open", str(path)])  # some desktops answer no to Qt's request


class TrayApp:
    def __init__(self, app: QApplication, poll_ms: int = 1000):
        self.app = app
        self.link = DaemonLink(poll_ms=poll_ms)
        self.controls = DaemonControls(self.link, app)
        self.window = MainWindow(self.link, self.controls)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(state_icon("stopped"))
            menu = QMenu()
            menu.addAction("Open avevents", self.window.show)
            menu.addSeparator()
            for action in self.controls.actions():
                menu.addAction(action)
            menu.addSeparator()
            menu.addAction("Quit", self.quit)
            self.tray.setContextMenu(menu)
            self.tray.activated.connect(lambda reason: self.window.show())
            self.link.state_changed.connect(self.show_state)
            self.tray.show()
        else:
            log.info("no system tray here: showing the main window")
            self.window.show()
        self.app.setQuitOnLastWindowClosed(self.tray is None)

    def show_state(self, state) -> None:
        if self.tray is not None:
            self.tray.setIcon(state_icon(state.name, state.jobs))
            self.tray.setToolTip(state.tooltip)

    def start(self) -> None:
        self.link.start_polling()
        if load_settings().start_daemon_with_tray and self.link.state.name == "stopped":
            self.controls.start()

    def quit(self) -> None:
        self.link.timer.stop()
        if load_settings().stop_daemon_on_quit:
            daemon_process.stop()
        self.link.wait_idle(5000)
        self.app.quit()


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("avevents")
    tray = TrayApp(app)
    tray.start()
    return app.exec()
