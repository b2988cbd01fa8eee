"""A stand-in for a Triton Inference Server on loopback, for tests only: it loads a model repository as
``avevents export-triton`` writes it (each ``NAME/1/model.onnx`` with ONNX Runtime, ``NAME/config.pbtxt``
read for the name and max_batch_size) and answers the KServe v2 HTTP calls Triton documents: model
readiness and inference with JSON tensors or the binary tensor data extension, with Triton's error for
an unknown model or a batch too large. It lets the runner's logic be tested in avevents' own
environment; test_triton_server.py runs the same against a real Triton when tests/triton-venv.sh has
made its environment."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import onnxruntime as ort


class KServeStandIn:
    def __init__(self, repository: Path):
        self.models = {}
        for config in Path(repository).glob("*/config.pbtxt"):
            text = config.read_text()
            name = re.search(r'^name: "([^"]+)"', text, re.M).group(1)
            max_batch = int(re.search(r"^max_batch_size: (\d+)", text, re.M).group(1))
            assert name == config.parent.name, "Triton requires the folder to carry the model's name"
            session = ort.InferenceSession(str(config.parent / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
            self.models[name] = (session, max_batch)
        self.calls = 0
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code: int, body: dict, blob: bytes = b"") -> None:
                header = json.dumps(body).encode()
                data = header + blob
                self.send_response(code)
                self.send_header("Content-Type", "application/octet-stream" if blob else "application/json")
                if blob:
                    self.send_header("Inference-Header-Content-Length", str(len(header)))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                m = re.fullmatch(r"/v2/models/([^/]+)(/ready|/config)?", self.path)
                if not m or m.group(1) not in standin.models:  # Triton's words for both calls
                    unknown = f"Request for unknown model: '{m.group(1) if m else self.path}' is not found"
                    self._send(400, {"error": "Model version not ready" if m and m.group(2) == "/ready" else unknown})
                elif m.group(2) == "/ready":
                    self._send(200, {})
                elif m.group(2) == "/config":
                    self._send(200, {"name": m.group(1), "max_batch_size": standin.models[m.group(1)][1]})
                else:
                    session = standin.models[m.group(1)][0]
                    tensors = {
                        kind: [
                            {
                                "name": t.name,
                                "datatype": "FP32",
                                "shape": [d if isinstance(d, int) else -1 for d in t.shape],
                            }
                            for t in values
                        ]
                        for kind, values in (("inputs", session.get_inputs()), ("outputs", session.get_outputs()))
                    }
                    self._send(200, {"name": m.group(1), "versions": ["1"], "platform": "onnxruntime_onnx", **tensors})

            def do_POST(self):
                m = re.fullmatch(r"/v2/models/([^/]+)/infer", self.path)
                if not m or m.group(1) not in standin.models:
                    self._send(
                        400, {"error": f"Request for unknown model: '{m.group(1) if m else self.path}' is not found"}
                    )
                    return
                session, max_batch = standin.models[m.group(1)]
                payload = self.rfile.read(int(self.headers["Content-Length"]))
                split = int(self.headers.get("Inference-Header-Content-Length", len(payload)))
                request, blob, offset = json.loads(payload[:split]), payload[split:], 0
                feeds = {}
                for t in request["inputs"]:
                    size = t.get("parameters", {}).get("binary_data_size")
                    if size is None:
                        feeds[t["name"]] = np.asarray(t["data"], np.float32).reshape(t["shape"])
                    else:
                        feeds[t["name"]] = np.frombuffer(blob, "<f4", size // 4, offset).reshape(t["shape"])
                        offset += size
                if any(a.shape[0] > max_batch for a in feeds.values()):
                    self._send(400, {"error": f"inference request batch-size must be <= {max_batch}"})
                    return
                standin.calls += 1
                asked = {
                    o["name"]: o.get("parameters", {}).get("binary_data", False) for o in request.get("outputs", [])
                }
                names = list(asked) or [o.name for o in session.get_outputs()]
                outputs, blobs = [], []
                for name, value in zip(names, session.run(names, feeds)):
                    tensor = {"name": name, "datatype": "FP32", "shape": list(value.shape)}
                    if asked.get(name):
                        blobs.append(value.astype("<f4").tobytes())
                        tensor["parameters"] = {"binary_data_size": len(blobs[-1])}
                    else:
                        tensor["data"] = value.ravel().tolist()
                    outputs.append(tensor)
                self._send(200, {"model_name": m.group(1), "outputs": outputs}, b"".join(blobs))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> KServeStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
