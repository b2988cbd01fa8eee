"""Jobs: running, queued and recent detections (from the status poll), with Cancel."""

from __future__ import annotations

import time

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..link import DaemonLink

COLUMNS = ("Job", "File", "State", "Stage", "Progress", "Events", "Started", "Note")


class JobsView(QWidget):
    def __init__(self, link: DaemonLink):
        super().__init__()
        self.link = link
        self.jobs: list = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
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
        selected = self.selected()
        self.jobs = jobs
        self.table.setRowCount(len(jobs))
        for r, j in enumerate(jobs):
            started = time.strftime("%H:%M:%S", time.localtime(j.started_unix)) if j.started_unix else ""
            stage = f"#{j.queue_position + 1} in queue" if j.state == "queued" else j.stage
            cells = (
                j.id,
                j.media_path.replace("\\", "/").rsplit("/", 1)[-1],
                j.state,
                stage,
                f"{j.fraction * 100:.0f} %",
                str(j.events) if j.state == "done" else "",
                started,
                j.message,
            )
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
            if j.id == selected:
                self.table.selectRow(r)

    def selected(self) -> str:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.table.item(rows[0].row(), 0).text() if rows else ""

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
