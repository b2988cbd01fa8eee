"""The "Detect events" window inside Resolve (Fusion's UIManager; standard library only).

Scope, tracks, pack, labels and sensitivity in; per-clip progress from the daemon's streamed progress
(UIManager has no progress bar: a text bar in a Label), Cancel, and a summary out. When the daemon is not
running the window says so and offers to start it. Detection runs on a thread so Cancel stays live.
"""

from __future__ import annotations

import threading

from .app import DetectSettings, detect_events
from .link import LinkError
from .scope import ScopeError, ScopeOptions

SCOPE_CHOICES = (("Whole timeline", "timeline"), ("In/out range", "inout"), ("Clip under the playhead", "playhead"))
WINDOW_ID = "AvEventsDetect"
LABELS_HINT = "the pack's defaults; or e.g. Laughter, Music"


def parse_tracks(text: str) -> list[int] | None:
    """'all' or empty -> None (every track); '1, 3' -> [1, 3]; 'none' -> []."""
    text = text.strip().lower()
    if text in ("", "all"):
        return None
    if text == "none":
        return []
    try:
        tracks = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise ScopeError(f"tracks: {text!r} is not 'all', 'none' or numbers like 1, 3") from None
    if any(t < 1 for t in tracks):
        raise ScopeError("tracks are numbered from 1")
    return tracks


def text_bar(fraction: float, width: int = 24) -> str:
    done = max(0, min(width, round(fraction * width)))
    return "[" + "#" * done + "-" * (width - done) + f"] {fraction * 100:3.0f} %"


class DetectWindow:
    def __init__(self, ui, dispatcher, resolve, link, palette: dict[str, str], defaults: dict | None = None):
        self.ui, self.dispatcher, self.resolve, self.link, self.palette = ui, dispatcher, resolve, link, palette
        self.defaults = defaults or {}
        self.thread: threading.Thread | None = None
        self.win = dispatcher.AddWindow(
            {"ID": WINDOW_ID, "WindowTitle": "Detect events (avevents)", "Geometry": [200, 200, 560, 480]},
            ui.VGroup(
                [
                    ui.HGroup([ui.Label({"Text": "Scope"}), ui.ComboBox({"ID": "Scope"})]),
                    ui.HGroup(
                        [
                            ui.Label({"Text": "Video tracks"}),
                            ui.LineEdit({"ID": "VideoTracks", "Text": "all"}),
                            ui.Label({"Text": "Audio tracks"}),
                            ui.LineEdit({"ID": "AudioTracks", "Text": "all"}),
                        ]
                    ),
                    ui.HGroup([ui.Label({"Text": "Pack"}), ui.ComboBox({"ID": "Pack"})]),
                    ui.HGroup(
                        [
                            ui.Label({"Text": "Labels"}),
                            ui.LineEdit(
                                {"ID": "Labels", "PlaceholderText": "the pack's defaults; or e.g. Laughter, Music"}
                            ),
                        ]
                    ),
                    ui.HGroup(
                        [
                            ui.Label({"Text": "Sensitivity"}),
                            ui.Slider({"ID": "Sensitivity", "Minimum": 0, "Maximum": 100, "Value": 50}),
                        ]
                    ),
                    ui.Label({"ID": "Status", "Text": ""}),
                    ui.Label({"ID": "Progress", "Text": ""}),
                    ui.TextEdit({"ID": "Summary", "ReadOnly": True, "Text": ""}),
                    ui.HGroup(
                        [
                            ui.Button({"ID": "StartDaemon", "Text": "Start daemon", "Enabled": False}),
                            ui.Button({"ID": "Detect", "Text": "Detect"}),
                            ui.Button({"ID": "Cancel", "Text": "Cancel", "Enabled": False}),
                            ui.Button({"ID": "Close", "Text": "Close"}),
                        ]
                    ),
                ]
            ),
        )
        self.items = self.win.GetItems()
        self.items["Scope"].AddItems([name for name, _ in SCOPE_CHOICES])
        self.items["Labels"].Text = ", ".join(self.defaults.get("labels") or [])
        if self.defaults.get("sensitivity") is not None:
            self.items["Sensitivity"].Value = round(self.defaults["sensitivity"] * 100)
        on = self.win.On
        on.Detect.Clicked = self.on_detect
        on.Cancel.Clicked = self.on_cancel
        on.StartDaemon.Clicked = self.on_start_daemon
        on.Close.Clicked = self.on_close
        getattr(on, WINDOW_ID).Close = self.on_close

    # --- life cycle -------------------------------------------------------------------------------
    def run(self) -> None:
        self.refresh()
        self.win.Show()
        self.dispatcher.RunLoop()
        self.win.Hide()

    def refresh(self) -> None:
        """Daemon state and packs, asked of avevents."""
        try:
            status = self.link.status()
        except LinkError as exc:
            status = {"running": False, "message": exc.message}
        running = bool(status.get("running"))
        self.items["Status"].Text = (
            f"avevents daemon: running ({status.get('address', '')})"
            if running
            else f"avevents daemon: not running. {status.get('message', '')} Click Start daemon."
        )
        self.items["StartDaemon"].Enabled = not running
        self.items["Detect"].Enabled = running
        try:
            packs = self.link.packs()
        except LinkError:
            packs = {"packs": ["builtin"], "default": "builtin"}
        combo = self.items["Pack"]
        combo.Clear()
        first = self.defaults.get("pack") if self.defaults.get("pack") in packs["packs"] else packs["default"]
        names = [first] + [p for p in packs["packs"] if p != first]
        combo.AddItems(names)

    # --- events -----------------------------------------------------------------------------------
    def settings(self) -> DetectSettings:
        scope = SCOPE_CHOICES[int(self.items["Scope"].CurrentIndex or 0)][1]
        labels = [x.strip() for x in self.items["Labels"].Text.split(",") if x.strip()]
        return DetectSettings(
            ScopeOptions(
                scope, parse_tracks(self.items["VideoTracks"].Text), parse_tracks(self.items["AudioTracks"].Text)
            ),
            pack=self.items["Pack"].CurrentText or "",
            labels=labels,
            sensitivity=int(self.items["Sensitivity"].Value) / 100.0,
        )

    def on_detect(self, event=None) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        try:
            settings = self.settings()
        except ScopeError as exc:
            self.items["Summary"].Text = str(exc)
            return
        self.items["Detect"].Enabled, self.items["Cancel"].Enabled = False, True
        self.items["Summary"].Text = ""
        self.items["Progress"].Text = "Starting..."
        self.thread = threading.Thread(target=self._detect, args=(settings,), daemon=True)
        self.thread.start()

    def _detect(self, settings: DetectSettings) -> None:
        try:
            summary = detect_events(self.resolve, settings, self.link, self.palette, self.on_progress)
            text = "\n".join(summary.lines())
        except LinkError as exc:
            if exc.kind == "DaemonUnavailable":
                text = f"The avevents daemon is not running ({exc.message}). Click Start daemon, then Detect."
                self.items["StartDaemon"].Enabled = True
            else:
                text = f"Detection failed: {exc.message}"
        except ScopeError as exc:
            text = str(exc)
        self.items["Progress"].Text = ""
        self.items["Summary"].Text = text
        self.items["Detect"].Enabled, self.items["Cancel"].Enabled = True, False

    def on_progress(self, index: int, count: int, stage: str, fraction: float, message: str) -> None:
        where = f"Media {index + 1} of {count}: {stage}"
        self.items["Progress"].Text = f"{where} {text_bar(fraction)} {message}".rstrip()

    def on_cancel(self, event=None) -> None:
        self.link.cancel()
        self.items["Progress"].Text = "Cancelling..."

    def on_start_daemon(self, event=None) -> None:
        self.items["Status"].Text = "Starting the avevents daemon..."
        status = self.link.start_daemon()
        if not status.get("running"):
            self.items["Summary"].Text = f"The daemon did not start: {status.get('message', '')}"
        self.refresh()

    def on_close(self, event=None) -> None:
        if self.thread is not None and self.thread.is_alive():
            self.link.cancel()
            self.thread.join(10)
        self.dispatcher.ExitLoop()
