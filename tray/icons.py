"""Tray icons drawn at run time (no image files): a disc coloured by the daemon's state, the job count on
it while busy."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

COLORS = {
    "stopped": "#8a8a8a",
    "starting": "#e0a800",
    "idle": "#2e9d4f",
    "busy": "#2f6fd6",
    "error": "#d03a2f",
}


def state_icon(state: str, jobs: int = 0, size: int = 64) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(COLORS.get(state, COLORS["error"])))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QRectF(4, 4, size - 8, size - 8))
    if state == "busy" and jobs:
        painter.setPen(QColor("white"))
        font = QFont()
        font.setPixelSize(int(size * 0.5))
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, str(min(jobs, 99)))
    painter.end()
    return QIcon(pixmap)
