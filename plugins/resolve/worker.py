"""The JSON-lines worker that the script inside Resolve starts under avevents' interpreter
(``python -m avevents.plugins.resolve.worker``); protocol in ``link.py``.

Standard input is read on its own thread so that a ``cancel`` reaches the detection in flight.
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import threading

from .link import LinkError
from .service import DirectLink

log = logging.getLogger(__name__)


class _Output:
    def __init__(self, stream):
        self.stream = stream
        self.lock = threading.Lock()

    def __call__(self, message: dict) -> None:
        with self.lock:
            self.stream.write(json.dumps(message) + "\n")
            self.stream.flush()


def serve(stdin=sys.stdin, stdout=sys.stdout, link: DirectLink | None = None) -> int:
    link = link or DirectLink()
    send = _Output(stdout)
    ops: queue.Queue = queue.Queue()

    def read() -> None:
        for line in stdin:
            try:
                message = json.loads(line)
            except ValueError:
                send({"type": "fatal", "kind": "BadRequest", "message": f"not JSON: {line[:80]!r}"})
                continue
            if message.get("op") == "cancel":
                link.cancel()
            else:
                ops.put(message)
        ops.put(None)

    threading.Thread(target=read, daemon=True).start()
    while (message := ops.get()) is not None:
        op = message.get("op")
        try:
            if op == "status":
                send({"type": "status", **link.status()})
            elif op == "packs":
                send({"type": "packs", **link.packs()})
            elif op == "start_daemon":
                send({"type": "status", **link.start_daemon()})
            elif op == "detect":

                def progress(index: int, count: int, stage: str, fraction: float, text: str) -> None:
                    send(
                        {
                            "type": "progress",
                            "request": index,
                            "count": count,
                            "stage": stage,
                            "fraction": fraction,
                            "message": text,
                        }
                    )

                outcomes = link.detect(message.get("requests", []), message.get("options", {}), progress)
                send({"type": "done", "outcomes": {str(k): v for k, v in outcomes.items()}})
            else:
                send({"type": "fatal", "kind": "BadRequest", "message": f"unknown op {op!r}"})
        except LinkError as exc:
            send({"type": "fatal", "kind": exc.kind, "message": exc.message})
        except Exception as exc:  # anything else is reported to the plugin, and the worker keeps serving
            log.exception("worker op %s failed", op)
            send({"type": "fatal", "kind": "WorkerFailed", "message": f"{type(exc).__name__}: {exc}"})
    link.close()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sys.exit(serve())
