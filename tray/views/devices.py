"""Devices: the CPU and each CUDA GPU with free / total memory; the default device and per-model
overrides (SetDevice)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..link import DaemonLink
from .table import fill, new_table

COLUMNS = ("Device", "Kind", "Description", "Free memory", "Total memory", "Default")


def _gigabytes(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n else ""


class DevicesView(QWidget):
    def __init__(self, link: DaemonLink):
        super().__init__()
        self.link = link
        self.table = new_table(COLUMNS)
        self.default_device = QComboBox()
        set_default = QPushButton("Use as default")
        set_default.clicked.connect(self.apply_default)
        self.model = QComboBox()
        self.model_device = QComboBox()
        set_model = QPushButton("Run this model there")
        set_model.clicked.connect(self.apply_model)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        first = QHBoxLayout()
        first.addWidget(QLabel("Default device"))
        first.addWidget(self.default_device)
        first.addWidget(set_default)
        second = QHBoxLayout()
        second.addWidget(QLabel("Model"))
        second.addWidget(self.model)
        second.addWidget(self.model_device)
        second.addWidget(set_model)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addWidget(self.message)

    def refresh(self) -> None:
        def work(client, report):
            return list(client.list_devices().devices), [m.name for m in client.list_models().models if m.available]

        self.link.run(work, self.show, lambda kind, message: self.message.setText(message))

    def show(self, result) -> None:
        devices, models = result
        rows = [
            (
                d.name,
                d.kind,
                d.description,
                _gigabytes(d.free_memory_bytes),
                _gigabytes(d.total_memory_bytes),
                "yes" if d.is_default else "",
            )
            for d in devices
        ]
        fill(self.table, rows)
        names = [d.name for d in devices]
        for combo in (self.default_device, self.model_device):
            combo.clear()
            combo.addItems(names)
        default = next((d.name for d in devices if d.is_default), "")
        if default:
            self.default_device.setCurrentText(default)
        self.model.clear()
        self.model.addItems(models)

    def apply_default(self) -> None:
        device = self.default_device.currentText()
        self.link.run(
            lambda c, r: c.set_device(device),
            lambda reply: (self.message.setText(f"Models now load on {reply.default_device}."), self.refresh()),
            lambda kind, message: self.message.setText(message),
        )

    def apply_model(self) -> None:
        model, device = self.model.currentText(), self.model_device.currentText()
        self.link.run(
            lambda c, r: c.set_device(device, model),
            lambda reply: self.message.setText(f"{model} runs on {device}."),
            lambda kind, message: self.message.setText(message),
        )
