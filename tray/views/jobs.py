"""Jobs: running, queued and recent detections (from the status poll), with Cancel."""

from __future__ import annotations

import time

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..link import DaemonLink
from .table import fill, new_table, selected_key

COLUMNS = ("Job", "File", "State", "Stage", "Progress", "Events", "Started", "Note")


class JobsView(QWidget):
    def __init__(self, link: DaemonLink):
        super().__init__()
        self.link = link
        self.jobs: list = []
        self.table = new_table(COLUMNS)
        self.cancel_button = QPushButton("Cancel job")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.message = QLabel("")
        row = QHBoxLayout()
        row.addWidget(self.cancel_button)
        row.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        link.jobs_received.connect(self.show_jobs)

    def show_jobs(self, jobs: list) -> None:
        self.jobs = jobs
        rows = []
        for j in jobs:
            started = time.strftime("%H:%M:%S", time.localtime(j.started_unix)) if j.started_unix else ""
            stage = f"#{j.queue_position + 1} in queue" if j.state == "queued" else j.stage
            events = str(j.events) if j.state == "done" else ""
            name = j.media_path.replace("\\", "/").rsplit("/", 1)[-1]
            rows.append((j.id, name, j.state, stage, f"{j.fraction * 100:.0f} %", events, started, j.message))
        fill(self.table, rows)

    def selected(self) -> str:
        return selected_key(self.table)

    def cancel_selected(self) -> None:
        job_id = self.selected()
        if not job_id:
            self.message.setText("Choose a running or queued job.")
            return
        self.link.run(
            lambda c, r: c.cancel_job(job_id),
            lambda job: self.message.setText(f"{job.id}: cancel asked ({job.state})."),
            lambda kind, message: self.message.setText(message),
        )
