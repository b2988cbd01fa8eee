#!/bin/sh
# Prepares the one device call of a session lent a GPU (bench/device_run.sh runs there): the Python 3.12
# wheels the device image lacks into .whl/ and the two packs' weights, from ../shared/models, into
# .devmodels/ (both git-ignored; about 62 MB of the call's 64 MiB). Then, from the session:
#   run(command="sh bench/device_run.sh", carry=[".whl", ".devmodels"], timeout_s=600)
set -eu
cd "$(dirname "$0")/.."
SHARED=${AVEVENTS_SHARED:-../shared}
rm -rf .whl .devmodels
for pkg in "av>=14" "grpcio==1.85.1" "grpcio-health-checking==1.85.1" "grpcio-reflection==1.85.1" \
    "protobuf>=7.35.1,<8" tflite silero-vad opentimelineio; do
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl "$pkg"
done
mkdir -p .devmodels/efficientat-mn04-as .devmodels/mobilenet-v2-imagenet
cp "$SHARED/models/efficientat-mn04-as/mn04_as_mAP_432.pt" \
   "$SHARED/models/efficientat-mn04-as/class_labels_indices.csv" .devmodels/efficientat-mn04-as/
cp "$SHARED/models/mobilenet-v2-imagenet/mobilenet_v2_1.0_224_quant.tflite" \
   "$SHARED/models/mobilenet-v2-imagenet/imagenet_labels.txt" .devmodels/mobilenet-v2-imagenet/
du -sh .whl .devmodels
