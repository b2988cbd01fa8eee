"""A float MobileNetV2 (1.0, 224) with TensorFlow "SAME" padding, loaded from the quantized TFLite file.

The TFLite graph has batch norm folded into each convolution's bias and ReLU6 fused; its uint8 weights
are dequantized ((q - zero_point) * scale) into a plain PyTorch network, walked in operator order and
checked shape by shape, so any other file fails loudly instead of loading wrongly. Output: 1001 class
logits (index 0 is "background") and the 1280-d pooled frame embedding.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from avevents.core.errors import ModelUnavailable

from .pixels import PixelNorm

# (expansion, output channels, repeats, first stride) - the MobileNetV2 paper's table.
BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
IMAGE_SIZE = 224
NUM_CLASSES = 1001
EMBEDDING = 1280


class SameConv2d(nn.Conv2d):
    """Conv2d padded like TensorFlow's SAME: total padding split with the extra pixel bottom/right."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1, relu6: bool = False):
        super().__init__(in_ch, out_ch, kernel, stride, padding=0, groups=groups, bias=True)
        self.relu6 = relu6

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in (
            (x.shape[-1], self.kernel_size[1], self.stride[1]),
            (x.shape[-2], self.kernel_size[0], self.stride[0]),
        ):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        y = super().forward(F.pad(x, pads))
        return F.relu6(y) if self.relu6 else y


class InvertedResidual(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int, expansion: int):
        super().__init__()
        hidden = in_ch * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(SameConv2d(in_ch, hidden, 1, relu6=True))
        layers += [SameConv2d(hidden, hidden, 3, stride, groups=hidden, relu6=True), SameConv2d(hidden, out_ch, 1)]
        self.layers = nn.Sequential(*layers)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.layers(x)
        return x + y if self.residual else y


class MobileNetV2(nn.Module):
    """Input: [B, 3, 224, 224] float, (pixel - 128) / 128. Output: (logits [B, 1001], embedding [B, 1280])."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = [SameConv2d(3, 32, 3, 2, relu6=True)]
        in_ch = 32
        for expansion, out_ch, repeats, stride in BLOCKS:
            for i in range(repeats):
                layers.append(InvertedResidual(in_ch, out_ch, stride if i == 0 else 1, expansion))
                in_ch = out_ch
        layers.append(SameConv2d(in_ch, EMBEDDING, 1, relu6=True))
        self.features = nn.Sequential(*layers)
        self.classifier = SameConv2d(EMBEDDING, NUM_CLASSES, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = self.features(x).mean(dim=(2, 3))
        logits = self.classifier(embedding[:, :, None, None])[:, :, 0, 0]
        return logits, embedding

    def convolutions(self) -> list[SameConv2d]:
        """Every convolution in execution order (the order of the TFLite operators)."""
        return [m for m in self.modules() if isinstance(m, SameConv2d)]


def _dequantize(graph, model_buffer, index: int) -> np.ndarray:
    tensor = graph.Tensors(index)
    raw = model_buffer.Buffers(tensor.Buffer()).DataAsNumpy()
    dtype = {2: np.int32, 3: np.uint8, 9: np.int8, 0: np.float32}[tensor.Type()]
    values = np.frombuffer(raw.tobytes(), dtype=dtype).reshape(tensor.ShapeAsNumpy()).astype(np.float32)
    quant = tensor.Quantization()
    if dtype is np.float32 or quant is None or quant.ScaleLength() == 0:
        return values
    scale = quant.ScaleAsNumpy().astype(np.float32)
    zero = quant.ZeroPointAsNumpy().astype(np.float32) if quant.ZeroPointLength() else np.zeros_like(scale)
    axis = quant.QuantizedDimension()
    if scale.size > 1:  # per-channel
        shape = [1] * values.ndim
        shape[axis] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return (values - zero) * scale


def load_tflite(path: str | Path) -> MobileNetV2:
    """A float MobileNetV2 holding the dequantized weights of the TFLite file at ``path``."""
    try:
        import tflite
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ModelUnavailable("reading .tflite weights needs the 'tflite' package") from exc
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"{path}: no such file")
    try:
        return _load(tflite, path)
    except ModelUnavailable:
        raise
    except Exception as exc:
        # A file that is no TFLite flatbuffer fails somewhere in the parse: say what it is not.
        raise ModelUnavailable(f"{path}: not a MobileNetV2 TFLite model ({type(exc).__name__}: {exc})") from None


def _load(tflite, path: Path) -> MobileNetV2:
    model_buffer = tflite.Model.GetRootAsModel(path.read_bytes(), 0)
    graph = model_buffer.Subgraphs(0)
    op_names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
    model = MobileNetV2()
    convs = iter(model.convolutions())
    loaded = 0
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model_buffer.OperatorCodes(op.OpcodeIndex())
        name = op_names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
        if name not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            continue
        options = tflite.Conv2DOptions() if name == "CONV_2D" else tflite.DepthwiseConv2DOptions()
        raw_options = op.BuiltinOptions()
        options.Init(raw_options.Bytes, raw_options.Pos)
        _, weight_index, bias_index = op.InputsAsNumpy()
        weight = _dequantize(graph, model_buffer, weight_index)
        bias = _dequantize(graph, model_buffer, bias_index)
        # TFLite: conv [out, kh, kw, in], depthwise [1, kh, kw, out]; PyTorch: [out, in/groups, kh, kw].
        weight = weight.transpose(0, 3, 1, 2) if name == "CONV_2D" else weight.transpose(3, 0, 1, 2)
        conv = next(convs, None)
        if conv is None or tuple(conv.weight.shape) != weight.shape or conv.stride[0] != options.StrideH():
            raise ModelUnavailable(f"{path}: operator {i} ({name}, {weight.shape}) does not fit MobileNetV2 1.0 224")
        if conv.relu6 != (options.FusedActivationFunction() == tflite.ActivationFunctionType.RELU6):
            raise ModelUnavailable(f"{path}: operator {i} has an unexpected activation")
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
            conv.bias.copy_(torch.from_numpy(bias))
        loaded += 1
    if loaded != len(model.convolutions()):
        raise ModelUnavailable(f"{path}: {loaded} convolutions, MobileNetV2 has {len(model.convolutions())}")
    return model.eval()


PIXELS = PixelNorm((128.0,) * 3, (128.0,) * 3)  # -1..1, as the quantized file's input expects


def preprocess(frames: np.ndarray) -> np.ndarray:
    """uint8 RGB frames [B, 224, 224, 3] -> float input [B, 3, 224, 224] in -1..1 (as the file expects)."""
    return PIXELS(frames)
