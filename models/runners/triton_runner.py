"""A Triton Inference Server as a runner backend: the KServe v2 HTTP/REST protocol Triton speaks
(``/v2/models/NAME/ready``, ``/v2/models/NAME/infer``), standard library only, so a studio can move
inference to a shared GPU server (``avevents export-triton`` writes its model repository; the daemon
runs with ``--runner triton --triton-url http://host:8000``).

Tensors travel with Triton's binary tensor data extension (a JSON header, then the raw little-endian
bytes of each tensor), both ways: JSON number lists cost several times the inference itself for a batch
of pictures (32 x 3 x 224 x 224 floats is about 50 MB of text)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy as np

from .base import InputSpec, Runner, RunnerError, in_row_chunks

DATATYPES = {
    np.dtype("float32"): "FP32",
    np.dtype("float16"): "FP16",
    np.dtype("int64"): "INT64",
    np.dtype("uint8"): "UINT8",
}
HEADER_LENGTH = "Inference-Header-Content-Length"
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
        self.max_batch = 0  # the server's max_batch_size once active; 0 = not known, batches go whole

    def _request(self, path: str, body: dict | None = None, blobs: tuple[bytes, ...] = ()) -> tuple[dict, bytes]:
        """Send ``body`` (JSON, then ``blobs``); returns the reply's JSON and the binary data after it."""
        headers = {}
        data = None
        if body is not None:
            header = json.dumps(body).encode()
            data = b"".join((header, *blobs))
            headers = {"Content-Type": "application/octet-stream", HEADER_LENGTH: str(len(header))}
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
                header_length = response.headers.get(HEADER_LENGTH)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise RunnerError(f"Triton at {self.url} answered {exc.code} for {self.model}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise RunnerError(f"Triton at {self.url} is not reachable ({getattr(exc, 'reason', exc)})") from None
        split = int(header_length) if header_length is not None else len(payload)
        return (json.loads(payload[:split]) if split else {}), payload[split:]

    def _activate(self) -> None:
        # The metadata first: for a model the server lacks, its ready call only says "Model version not
        # ready"; the metadata call says the model is unknown, and lists the tensors the server expects.
        try:
            metadata, _ = self._request(f"/v2/models/{self.model}")
        except RunnerError as exc:
            raise RunnerError(
                f"{exc} (write it with `avevents export-triton {self.model} DIR` into the server's model repository)"
            ) from None
        served = {t["name"] for t in (*metadata.get("inputs", []), *metadata.get("outputs", []))}
        missing = [name for name in (*(spec.name for spec in self.inputs), *self.outputs) if name not in served]
        if missing:
            raise RunnerError(
                f"{self.model} on Triton at {self.url} has no tensor {', '.join(missing)}: it was exported from "
                f"another version of the pack; export it again with `avevents export-triton {self.model} DIR`"
            )
        self._request(f"/v2/models/{self.model}/ready")  # 200 when the model is loaded, else an error
        try:  # batches larger than the repository's max_batch_size (export-triton --max-batch) go in parts
            config, _ = self._request(f"/v2/models/{self.model}/config")
            self.max_batch = int(config.get("max_batch_size", 0))
        except (RunnerError, ValueError, TypeError):
            self.max_batch = 0  # a server may restrict its configuration API; Triton then names the limit

    def _deactivate(self) -> None:
        pass  # the server owns the model

    def _infer(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if not self.max_batch:
            return self._infer_once(feeds)
        return in_row_chunks(feeds, self.max_batch, self._infer_once)

    def _infer_once(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        arrays = {
            name: np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")) for name, array in feeds.items()
        }
        body = {
            "inputs": [
                {
                    "name": name,
                    "shape": list(array.shape),
                    "datatype": DATATYPES[array.dtype],
                    "parameters": {"binary_data_size": array.nbytes},
                }
                for name, array in arrays.items()
            ],
            "outputs": [{"name": name, "parameters": {"binary_data": True}} for name in self.outputs],
        }
        reply, data = self._request(f"/v2/models/{self.model}/infer", body, tuple(a.tobytes() for a in arrays.values()))
        out = {}
        offset = 0
        for tensor in reply.get("outputs", []):
            dtype = NUMPY.get(tensor.get("datatype", "FP32"), np.dtype("float32"))
            size = tensor.get("parameters", {}).get("binary_data_size")
            if size is None:  # a server may still answer a tensor in JSON
                values = np.asarray(tensor["data"], dtype=dtype)
            else:
                values = np.frombuffer(data, dtype=dtype.newbyteorder("<"), count=size // dtype.itemsize, offset=offset)
                offset += size
            out[tensor["name"]] = values.astype(dtype, copy=True).reshape(tensor["shape"])
        missing = [name for name in self.outputs if name not in out]
        if missing:
            raise RunnerError(f"Triton's answer for {self.model} lacks {', '.join(missing)}")
        return out
