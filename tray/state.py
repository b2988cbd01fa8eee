"""The daemon's state as the tray shows it (no Qt here: a pure function of what the last poll saw)."""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("stopped", "starting", "idle", "busy", "error")


@dataclass(frozen=True)
class TrayState:
    name: str  # one of STATES
    tooltip: str
    jobs: int = 0


def tray_state(status, error: str = "", starting: bool = False) -> TrayState:
    """``status``: the last GetStatus reply, or None when the daemon did not answer."""
    if status is None:
        if starting:
            return TrayState("starting", "avevents: starting the daemon...")
        if error:
            return TrayState("error", f"avevents: {error}")
        return TrayState("stopped", "avevents: daemon stopped")
    jobs = status.running_jobs + status.queued_jobs
    if jobs:
        waiting = f", {status.queued_jobs} waiting" if status.queued_jobs else ""
        return TrayState("busy", f"avevents: {status.running_jobs} job(s) running{waiting}", jobs)
    loaded = ", ".join(m.name for m in status.loaded_models) or "no models loaded"
    return TrayState("idle", f"avevents {status.version}: idle ({loaded})")
