"""Detection for the Resolve plugin from avevents' own interpreter: the daemon's gRPC client behind
the small interface the plugin's app uses (``status``, ``start_daemon``, ``detect``, ``cancel``).

The worker (``worker.py``) serves this over JSON lines to the script running inside Resolve; external
mode (``avevents resolve detect``) uses it directly.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from avevents.cli.output import event_dict
from avevents.daemon.client import DaemonClient
from avevents.daemon.errors import AvEventsError, Cancelled, DaemonUnavailable
from avevents.daemon.results import DetectOptions

from .link import LinkError

log = logging.getLogger(__name__)
START_TIMEOUT = 90.0

# (request index, request count, stage, fraction of that request, message)
ProgressFn = Callable[[int, int, str, float, str], None]


class DirectLink:
    """The daemon reached with the gRPC client of this interpreter."""

    def __init__(self, address: str | None = None):
        self.address = address
        self._client: DaemonClient | None = None
        self._cancel = threading.Event()

    def _connect(self) -> DaemonClient:
        if self._client is None:
            try:
                self._client = DaemonClient.connect(self.address, timeout=2.0)
            except DaemonUnavailable as exc:
                raise LinkError("DaemonUnavailable", str(exc)) from None
        return self._client

    def status(self) -> dict:
        try:
            client = self._connect()
            status = client.status()
        except (LinkError, AvEventsError) as exc:
            return {"running": False, "message": str(exc)}
        return {"running": True, "address": client.address, "version": status.version, "message": ""}

    def packs(self) -> dict:
        """The packs a request can name here, and the default one."""
        from avevents.daemon.detectors.registry import default_pack, pack_names

        return {"packs": pack_names(), "default": default_pack()}

    def start_daemon(self) -> dict:
        """``avevents serve`` in the background (its own session, outliving this process), then wait."""
        current = self.status()
        if current["running"]:
            return current
        subprocess.Popen(
            [sys.executable, "-m", "avevents.cli.main", "serve"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            current = self.status()
            if current["running"]:
                return current
            time.sleep(0.3)
        return {"running": False, "message": f"the daemon did not answer within {START_TIMEOUT:.0f} s of starting"}

    def detect(self, requests: list[dict], options: dict, on_progress: ProgressFn | None = None) -> dict[int, dict]:
        """Each request ({path, start, end}) analysed in turn; a failed one is an ``error`` entry and the
        rest still run. Raises LinkError when the daemon is not running or the run is cancelled."""
        client = self._connect()
        self._cancel.clear()
        outcomes: dict[int, dict] = {}
        for index, request in enumerate(requests):
            if self._cancel.is_set():
                raise LinkError("Cancelled", "cancelled")
            detect_options = DetectOptions(
                labels=tuple(options.get("labels") or ()),
                pack=options.get("pack") or "",
                source_range=(float(request["start"]), float(request["end"])),
                sensitivity=options.get("sensitivity"),
            )

            def progress(update, index=index) -> None:
                if on_progress is not None:
                    on_progress(index, len(requests), update.stage, update.fraction, update.message)

            try:
                result = client.detect(request["path"], detect_options, progress)
            except Cancelled:
                raise LinkError("Cancelled", "cancelled") from None
            except DaemonUnavailable as exc:
                raise LinkError("DaemonUnavailable", str(exc)) from None
            except AvEventsError as exc:
                outcomes[index] = {"error": {"kind": type(exc).__name__, "message": str(exc)}}
                continue
            outcomes[index] = {
                "events": [event_dict(e) for e in result.events],
                "warnings": list(result.warnings),
                "pack": result.pack,
            }
        return outcomes

    def cancel(self) -> None:
        self._cancel.set()
        if self._client is not None:
            self._client.cancel()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
