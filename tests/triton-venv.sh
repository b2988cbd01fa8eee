#!/bin/sh
# The environment of the real-Triton tests (tests/models/test_triton_server.py): the Triton Inference
# Server that the nvidia-pytriton wheel bundles, with ONNX Runtime, in .triton-venv beside .venv (pytriton
# needs protobuf < 7, which cannot share avevents' environment: its gRPC stack needs >= 7).
set -eu
cd "$(dirname "$0")/.."
python3 -m venv .triton-venv
.triton-venv/bin/pip install --quiet 'nvidia-pytriton==0.7.0' 'onnxruntime>=1.17'
