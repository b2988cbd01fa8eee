"""Small PNG charts drawn with Pillow (no plotting library needed): the loss curve of a training run and
a clip's audio / video attention over time."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT, MARGIN = 720, 360, 48


def _axes(draw: ImageDraw.ImageDraw, title: str, x_label: str) -> None:
    draw.rectangle((MARGIN, MARGIN // 2, WIDTH - MARGIN // 2, HEIGHT - MARGIN), outline="black")
    draw.text((MARGIN, 4), title, fill="black")
    draw.text((WIDTH // 2 - 20, HEIGHT - MARGIN + 20), x_label, fill="black")


def _line(draw, values: list[float], lo: float, hi: float, color: str) -> None:
    if len(values) < 1:
        return
    span = (hi - lo) or 1.0
    width, height = WIDTH - MARGIN * 1.5, HEIGHT - MARGIN * 1.5
    points = [
        (MARGIN + width * i / max(1, len(values) - 1), HEIGHT - MARGIN - height * (v - lo) / span)
        for i, v in enumerate(values)
    ]
    if len(points) == 1:
        points.append(points[0])
    draw.line(points, fill=color, width=2)


def loss_curve(history: list[dict], path: Path) -> Path:
    """Training loss (red, left scale) and validation segment accuracy (blue, 0-1) per epoch."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    _axes(draw, "training loss (red) and validation accuracy (blue)", "epoch")
    losses = [h["loss"] for h in history]
    if losses:
        _line(draw, losses, 0.0, max(losses), "#c0392b")
        draw.text((4, MARGIN // 2), f"{max(losses):.2f}", fill="#c0392b")
    _line(draw, [h["val_accuracy"] for h in history], 0.0, 1.0, "#2f6fd6")
    draw.text((WIDTH - MARGIN // 2 - 24, MARGIN // 2 + 2), "1.0", fill="#2f6fd6")
    image.save(path)
    return Path(path)


def attention_plot(times: list[float], w_audio: list[float], w_video: list[float], labels: list[str], path: Path):
    """Attention weights per segment (audio orange, video green) with the predicted label under each."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    _axes(draw, "modality attention: audio (orange), video (green)", "seconds")
    _line(draw, list(w_audio), 0.0, 1.0, "#e67e22")
    _line(draw, list(w_video), 0.0, 1.0, "#27ae60")
    width = WIDTH - MARGIN * 1.5
    for i, (t, label) in enumerate(zip(times, labels)):
        x = MARGIN + width * i / max(1, len(times) - 1)
        draw.text((x - 8, HEIGHT - MARGIN + 4), f"{t:.0f}", fill="black")
        if label:
            draw.text((x - 8, MARGIN // 2 + 4 + 12 * (i % 3)), label[:10], fill="black")
    image.save(path)
    return Path(path)


def cross_modal_map(matrix, path: Path, title: str = "audio segments (rows) attending to video segments (columns)"):
    """A [T, T] attention map as a heat map (white 0 -> dark blue 1 of the row's attention)."""
    rows, cols = len(matrix), len(matrix[0]) if len(matrix) else 0
    cell = max(8, min(40, (min(WIDTH, HEIGHT) - 2 * MARGIN) // max(1, rows, cols)))
    image = Image.new("RGB", (MARGIN + cols * cell + MARGIN // 2, MARGIN + rows * cell + MARGIN // 2), "white")
    draw = ImageDraw.Draw(image)
    draw.text((4, 4), title, fill="black")
    peak = max((max(row) for row in matrix), default=1.0) or 1.0
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            shade = int(255 * (1 - value / peak))
            x, y = MARGIN + j * cell, MARGIN + i * cell
            draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=(shade, shade, 255))
    image.save(path)
    return Path(path)
