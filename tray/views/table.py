"""The read-only tables the views share: whole-row selection, rows refilled without losing the
selected one (keyed by the first column)."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


def new_table(columns: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def selected_key(table: QTableWidget) -> str:
    rows = table.selectionModel().selectedRows() if table.selectionModel() else []
    return table.item(rows[0].row(), 0).text() if rows else ""


def fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    """Replace the rows, keeping the selection on the row with the same first cell."""
    selected = selected_key(table)
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            table.setItem(r, c, QTableWidgetItem(text))
        if cells and cells[0] == selected:
            table.selectRow(r)
