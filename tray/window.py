"""The main window: Models, Devices, Jobs and Settings tabs, daemon controls, and the daemon's state."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QToolBar

from .icons import state_icon
from .link import DaemonLink
from .views.devices import DevicesView
from .views.jobs import JobsView
from .views.models import ModelsView
from .views.settings import SettingsView


class MainWindow(QMainWindow):
    def __init__(self, link: DaemonLink, controls):
        super().__init__()
        self.link = link
        self.setWindowTitle("avevents")
        self.resize(1120, 560)
        self.tabs = QTabWidget()
        self.models = ModelsView(link)
        self.devices = DevicesView(link)
        self.jobs = JobsView(link)
        self.settings = SettingsView()
        for view, name in ((self.models, "Models"), (self.devices, "Devices"), (self.jobs, "Jobs")):
            self.tabs.addTab(view, name)
        self.tabs.addTab(self.settings, "Settings")
        self.setCentralWidget(self.tabs)
        toolbar = QToolBar("Daemon")
        for action in controls.actions():
            toolbar.addAction(action)
        self.addToolBar(toolbar)
        self.state_label = QLabel("")
        self.statusBar().addPermanentWidget(self.state_label)
        link.state_changed.connect(self.show_state)
        self.show_state(link.state)
        self.tabs.currentChanged.connect(self.refresh_current)

    def show_state(self, state) -> None:
        self.state_label.setText(state.tooltip)
        self.setWindowIcon(state_icon(state.name, state.jobs))
        if state.name == "idle":
            self.refresh_current()

    def refresh_current(self, index: int | None = None) -> None:
        view = self.tabs.currentWidget()
        if hasattr(view, "refresh") and self.link.state.name in ("idle", "busy"):
            view.refresh()
