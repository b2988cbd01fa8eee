"""A Triton Inference Server as a runner backend: the KServe v2 HTTP/REST protocol Triton speaks
(``/v2/models/NAME/ready``, ``/v2/models/NAME/infer`` with JSON tensors), standard library only, so a
studio can move inference to a shared GPU server (``avevents export-triton`` writes its model repository;
the daemon runs with ``--runner triton --triton-url http://host:8000``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy as np

from .base import InputSpec, Runner, RunnerError

DATATYPES = {np.dtype("float32"): "FP32", np.dtype("float16"): "FP16", np.dtype("int64"): "INT64"}
NUMPY = {v: k for k, v in DATATYPES.items()}


class TritonRunner(Runner):
    backend = "triton"

    def __init__(self, url: str, model: str, inputs: tuple[InputSpec, ...], outputs: tuple[str, ...], timeout=60.0):
        super().__init__(inputs, outputs, url)
        self.url = url.rstrip("/")
        if "://" not in self.url:
            self.url = "http://" + self.url
        self.model = model
        self.timeout = timeout

    def _request(self, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, headers={"Content-Type": "application/json"} if data else {}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise RunnerError(f"Triton at {self.url} answered {exc.code} for {self.model}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise RunnerError(f"Triton at {self.url} is not reachable ({getattr(exc, 'reason', exc)})") from None
        return json.loads(payload) if payload else {}

    def _activate(self) -> None:
        self._request(f"/v2/models/{self.model}/ready")  # 200 when the model is loaded, else an error

    def _deactivate(self) -> None:
        pass  # the server owns the model

    def _infer(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        body = {
            "inputs": [
                {
                    "name": name,
                    "shape": list(array.shape),
                    "datatype": DATATYPES[array.dtype],
                    "data": array.ravel().tolist(),
                }
                for name, array in feeds.items()
            ],
            "outputs": [{"name": name} for name in self.outputs],
        }
        reply = self._request(f"/v2/models/{self.model}/infer", body)
        out = {}
        for tensor in reply.get("outputs", []):
            dtype = NUMPY.get(tensor.get("datatype", "FP32"), np.dtype("float32"))
            out[tensor["name"]] = np.asarray(tensor["data"], dtype=dtype).reshape(tensor["shape"])
        missing = [name for name in self.outputs if name not in out]
        if missing:
            raise RunnerError(f"Triton's answer for {self.model} lacks {', '.join(missing)}")
        return out
