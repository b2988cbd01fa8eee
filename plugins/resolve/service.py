"""Detection for the Resolve plugin from avevents' own interpreter: the daemon batch behind the small
interface the plugin's app uses (``status``, ``start_daemon``, ``packs``, ``detect``, ``cancel``), with
failures as the plugin's ``LinkError``.

The worker (``worker.py``) serves this over JSON lines to the script running inside Resolve; external
mode (``avevents resolve detect``) uses it directly.
"""

from __future__ import annotations

from avevents.core.errors import Cancelled, DaemonUnavailable
from avevents.daemon.batch import DaemonBatch

from .link import LinkError


class DirectLink(DaemonBatch):
    """The daemon reached with the gRPC client of this interpreter."""

    def packs(self) -> dict:
        """The packs a request can name here, and the default one."""
        from avevents.engine.detectors.registry import Packs
        from avevents.models.store import ModelStore

        packs = Packs.read(ModelStore())
        return {"packs": packs.names(), "default": packs.default}

    def detect(self, requests: list[dict], options: dict, on_progress=None) -> dict[int, dict]:
        try:
            return super().detect(requests, options, on_progress)
        except Cancelled:
            raise LinkError("Cancelled", "cancelled") from None
        except DaemonUnavailable as exc:
            raise LinkError("DaemonUnavailable", str(exc)) from None
