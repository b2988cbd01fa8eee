"""Models: the packs and resident models, with pull (progress, cancel), import, remove, load, unload and
TensorRT engine builds, each a daemon call off the GUI thread."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..link import DaemonLink
from .table import fill, new_table, selected_key

COLUMNS = ("Model", "Version", "Pack", "Installed", "Size", "Licence", "Loaded", "Device", "Memory")


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n else ""


class ModelsView(QWidget):
    def __init__(self, link: DaemonLink):
        super().__init__()
        self.link = link
        self.models: list = []
        self.active = None  # the pull or build in progress
        self.table = new_table(COLUMNS)
        self.buttons = {}
        row = QHBoxLayout()
        for key, text, slot in (
            ("pull", "Pull", self.pull),
            ("import", "Import...", self.import_files),
            ("remove", "Remove", self.remove),
            ("load", "Load", self.load),
            ("unload", "Unload", self.unload),
            ("build", "Build engine", self.build),
            ("cancel", "Cancel", self.cancel),
            ("refresh", "Refresh", self.refresh),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            self.buttons[key] = button
            row.addWidget(button)
        self.buttons["cancel"].setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)

    # --- data -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.link.run(lambda client, report: list(client.list_models().models), self.show_models, self.show_error)

    def show_models(self, models: list) -> None:
        self.models = models
        rows = [
            (
                m.name,
                m.version,
                m.pack,
                "yes" if m.available else "no",
                _megabytes(m.size_bytes),
                m.licence,
                "yes" if m.loaded else "",
                m.device,
                _megabytes(m.memory_bytes),
            )
            for m in models
        ]
        fill(self.table, rows)

    def selected(self) -> str:
        return selected_key(self.table)

    def select(self, name: str) -> None:
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).text() == name:
                self.table.selectRow(r)
                return

    def show_error(self, kind: str, message: str) -> None:
        self.message.setText("Cancelled." if kind == "Cancelled" else f"{message}")
        self._idle()

    def _busy(self, text: str) -> None:
        self.message.setText(text)
        self.buttons["cancel"].setEnabled(True)
        for key in ("pull", "build", "remove", "import"):
            self.buttons[key].setEnabled(False)

    def _idle(self) -> None:
        self.active = None
        self.buttons["cancel"].setEnabled(False)
        for key in ("pull", "build", "remove", "import"):
            self.buttons[key].setEnabled(True)

    def _finished(self, text: str):
        def done(result=None) -> None:
            self.message.setText(text.format(result=result))
            self._idle()
            self.refresh()

        return done

    # --- actions ----------------------------------------------------------------------------------
    def pull(self) -> None:
        name = self.selected()
        if not name:
            self.message.setText("Choose a model to pull.")
            return
        self.progress.setValue(0)
        self._busy(f"Pulling {name}...")

        def work(client, report):
            return client.pull_model(name, lambda file, done, total: report((file, done, total)))

        def progress(update) -> None:
            file, done, total = update
            if total:
                self.progress.setValue(int(100 * done / total))
            self.message.setText(
                f"Pulling {name}: {file} {done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f}" if total else "")
            )

        self.active = self.link.run(work, self._finished(f"{name} installed."), self.show_error, progress)

    def cancel(self) -> None:
        if self.active is not None:
            self.active.cancel()
            self.message.setText("Cancelling...")

    def import_files(self, paths: list[str] | None = None) -> None:
        name = self.selected()
        if not name:
            self.message.setText("Choose the model the files belong to.")
            return
        if not paths:
            paths, _ = QFileDialog.getOpenFileNames(self, f"Files of {name}")
        if not paths:
            return
        self._busy(f"Importing {name}...")
        self.link.run(
            lambda c, r: c.import_model(name, list(paths)), self._finished(f"{name} imported."), self.show_error
        )

    def remove(self) -> None:
        self._simple("remove_model", "Removed {name}.")

    def load(self) -> None:
        self._simple("load_model", "Loaded {name}.")

    def unload(self) -> None:
        self._simple("unload_model", "Unloaded {name}.")

    def _simple(self, method: str, text: str) -> None:
        name = self.selected()
        if not name:
            self.message.setText("Choose a model first.")
            return
        self.message.setText(f"{method.split('_')[0].capitalize()}ing {name}...")
        self.link.run(
            lambda c, r: getattr(c, method)(name),
            self._finished(text.format(name=name, result="{result}")),
            self.show_error,
        )

    def build(self) -> None:
        name = self.selected()
        if not name:
            self.message.setText("Choose a model to build.")
            return
        self._busy(f"Building {name}...")

        def work(client, report):
            return client.build_engine(name, on_progress=report)

        def done(result) -> None:
            text = f"{name}: engine {result.engine_path}" if result.engine_path else f"{name}: {result.reason}"
            self.message.setText(f"ONNX {result.onnx_path}; {text}")
            self._idle()

        self.active = self.link.run(work, done, self.show_error, lambda p: self.message.setText(str(p)))
