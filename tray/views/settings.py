"""Settings: daemon socket or port, model store, default pack / labels / sensitivity, start at login."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..settings import TraySettings, load_settings, save_settings, set_autostart


class SettingsView(QWidget):
    def __init__(self):
        super().__init__()
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("Unix socket (private)")
        self.store = QLineEdit()
        self.store.setPlaceholderText("default folder")
        self.pack = QComboBox()
        self.pack.setEditable(True)
        self.pack.addItems(["", "builtin", "audioset"])
        self.labels = QLineEdit()
        self.labels.setPlaceholderText("the pack's defaults")
        self.sensitivity = QSlider(Qt.Orientation.Horizontal)
        self.sensitivity.setRange(0, 100)
        self.start_at_login = QCheckBox("Start avevents at login")
        self.start_daemon = QCheckBox("Start the daemon with the tray")
        self.stop_on_quit = QCheckBox("Stop the daemon when the tray quits")
        save = QPushButton("Save")
        save.clicked.connect(self.save)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Daemon TCP port", self.port)
        form.addRow("Model store", self.store)
        form.addRow("Default pack", self.pack)
        form.addRow("Default labels", self.labels)
        form.addRow("Sensitivity", self.sensitivity)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for widget in (self.start_at_login, self.start_daemon, self.stop_on_quit, save, self.message):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.show_settings(load_settings())

    def show_settings(self, s: TraySettings) -> None:
        self.port.setValue(s.tcp_port)
        self.store.setText(s.model_store)
        self.pack.setCurrentText(s.default_pack)
        self.labels.setText(s.labels)
        self.sensitivity.setValue(round(s.sensitivity * 100))
        self.start_at_login.setChecked(s.start_at_login)
        self.start_daemon.setChecked(s.start_daemon_with_tray)
        self.stop_on_quit.setChecked(s.stop_daemon_on_quit)

    def current(self) -> TraySettings:
        return TraySettings(
            tcp_port=self.port.value(),
            model_store=self.store.text().strip(),
            default_pack=self.pack.currentText().strip(),
            labels=self.labels.text().strip(),
            sensitivity=self.sensitivity.value() / 100,
            start_at_login=self.start_at_login.isChecked(),
            start_daemon_with_tray=self.start_daemon.isChecked(),
            stop_daemon_on_quit=self.stop_on_quit.isChecked(),
        )

    def save(self) -> None:
        settings = self.current()
        path = save_settings(settings)
        where = set_autostart(settings.start_at_login)
        login = f"; starts at login ({where})" if settings.start_at_login else ""
        self.message.setText(f"Saved to {path}{login}. Restart the daemon for the port and store to apply.")
