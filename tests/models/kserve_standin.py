"""A stand-in for a Triton Inference Server on loopback, for tests only: it loads a model repository as
``avevents export-triton`` writes it (each ``NAME/1/model.onnx`` with ONNX Runtime, ``NAME/config.pbtxt``
read for the name and max_batch_size) and answers the KServe v2 HTTP calls Triton documents: model
readiness and JSON-tensor inference, with Triton's error for an unknown model or a batch too large.
(A real Triton could not run here: nvidia-pytriton needs protobuf < 7, avevents' gRPC stack >= 7.)"""

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

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                m = re.fullmatch(r"/v2/models/([^/]+)/ready", self.path)
                if m and m.group(1) in standin.models:
                    self._send(200, {})
                else:
                    self._send(400, {"error": f"Request for unknown model: '{m.group(1) if m else self.path}'"})

            def do_POST(self):
                m = re.fullmatch(r"/v2/models/([^/]+)/infer", self.path)
                if not m or m.group(1) not in standin.models:
                    self._send(400, {"error": "Request for unknown model"})
                    return
                session, max_batch = standin.models[m.group(1)]
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                feeds = {t["name"]: np.asarray(t["data"], np.float32).reshape(t["shape"]) for t in request["inputs"]}
                if any(a.shape[0] > max_batch for a in feeds.values()):
                    self._send(400, {"error": f"inference request batch-size must be <= {max_batch}"})
                    return
                standin.calls += 1
                names = [o["name"] for o in request.get("outputs", [])] or [o.name for o in session.get_outputs()]
                values = session.run(names, feeds)
                outputs = [
                    {"name": n, "datatype": "FP32", "shape": list(v.shape), "data": v.ravel().tolist()}
                    for n, v in zip(names, values)
                ]
                self._send(200, {"model_name": m.group(1), "outputs": outputs})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> KServeStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
