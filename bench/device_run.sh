#!/bin/sh
# The one device call of a session lent a GPU, prepared here by bench/device_prep.sh:
#   run(command="sh bench/device_run.sh", carry=[".whl", ".devmodels"], timeout_s=600)
# Installs the carried wheels and avevents itself into /tmp/site (the device image has torch, ONNX
# Runtime and NumPy; nothing can be fetched there), then measures what issue 8 asks of a GPU, each
# script's output into $OUT: torch fp32/fp16/compiled/device-normalised vs ONNX Runtime (parity, ms per
# batch, GPU memory), the real-time factor of a 1080p file with the audio-visual pack, files at once.
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH=/tmp/site AVEVENTS_CACHE=off
export AVEVENTS_MODEL_STORE=/tmp/avstore AVEVENTS_MODEL_MIRROR="$PWD/.devmodels"
OUT=${OUT:-/tmp/device-out}
mkdir -p "$OUT"
python3 -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --no-build-isolation \
  --target /tmp/site .whl/*.whl . || exit 1
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"; } > "$OUT/gpu.txt" 2>&1
for pack in efficientat-mn04-as mobilenet-v2-imagenet; do python3 -m avevents.cli.main models pull "$pack" || exit 1; done
# Each step bounded, so one slow step (compiling) leaves time for the rest within the call's 600 s.
timeout 270 python3 bench/gpu_check.py --device cuda:0 --batches 20 > "$OUT/gpu_check.txt" 2>&1
timeout 170 python3 bench/bench_detect.py --size 1920x1080 --seconds 120 --pack audioset --repeat 1 \
  > "$OUT/rtf_1080p.txt" 2>&1
timeout 120 python3 bench/bench_concurrency.py --files 4 --seconds 60 --repeat 1 > "$OUT/concurrency.txt" 2>&1
tail -n 40 "$OUT"/*.txt
