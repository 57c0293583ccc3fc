"""Rebuild ``fieldvisit/storage/models/yunet_libfacedetection.onnx`` from the PyPI wheel
``yuface==2023.5.1`` (BSD-3-Clause), the face detector that ``fieldvisit.storage.faces`` runs.

yuface ships libfacedetection (Shiqi Yu) compiled into ``yuface/libfacedetection.so``: its
YuNet-family CNN (v3: 53 convolution layers) is in the library's data, with no model file
beside it. This tool

1. loads the installed yuface (checking its version and that the library is the file the wheel's
   RECORD names) and runs one detection, so the library fills its filter table ``g_pFilters``;
2. reads the 53 layers (weights, biases, kind) out of that table with ctypes;
3. rebuilds libfacedetection's graph (``src/facedetectcnn-model.cpp``, v3) as ONNX with YuNet's
   interface: input ``[1, 3, H, W]`` BGR 0..255 (H and W multiples of 32), outputs
   ``cls_{8,16,32}``, ``obj_*`` (both through a sigmoid), ``bbox_*`` and ``kps_*``, each
   ``[1, H/s * W/s, C]``; the box decoding and non-maximum suppression stay in Python
   (``faces._decode``), as libfacedetection does them after the CNN;
4. writes the file (or, with ``--check``, compares it with the vendored one) and prints its sha256.

The output is byte for byte the same on every run from the same wheel: models/NOTICE and
``fieldvisit.storage.faces.MODEL_SHA256`` hold its sha256 (tests/unit/test_faces.py checks both).

Needs yuface (in the project's ``test`` extra; a cp311 manylinux x86_64 wheel) and ``onnx``,
which only this tool uses: it is in none of the project's dependencies. Install it beside the
test extra to run the tool::

    .venv/bin/pip install -e '.[test]' onnx==1.23.2
    .venv/bin/python tools/build_yunet_onnx.py [--check]
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import hashlib
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

YUFACE_VERSION = "2023.5.1"
LIBRARY = "yuface/libfacedetection.so.v0.0.3"  # the file the extension module links against
LAYERS = 53
FILTER_BYTES = 64  # sizeof(Filters<float>) on x86_64: see _read_layers
OUT = Path(__file__).resolve().parents[1] / "fieldvisit" / "storage" / "models" / "yunet_libfacedetection.onnx"
DOC = (f"libfacedetection's face detection CNN (YuNet family, v3; Copyright (c) Shiqi Yu, BSD-3-Clause), "
       f"read out of {LIBRARY} of the PyPI wheel yuface=={YUFACE_VERSION} and converted by "
       f"tools/build_yunet_onnx.py of FieldVisit. Input [1,3,H,W] BGR 0..255, H and W multiples of 32.")

# Heads per stride, as facedetectcnn-model.cpp wires them: the two layers (pointwise, depthwise)
# of each prediction; cls and obj get a sigmoid there too.
HEADS = {8: {"cls": 29, "bbox": 35, "obj": 41, "kps": 47},
         16: {"cls": 31, "bbox": 37, "obj": 43, "kps": 49},
         32: {"cls": 33, "bbox": 39, "obj": 45, "kps": 51}}
CHANNELS = {"cls": 1, "obj": 1, "bbox": 4, "kps": 10}


# --- 1 and 2: the layers, out of the loaded library ---------------------------------------------


def _library() -> Path:
    """The installed yuface's libfacedetection, checked against the wheel's RECORD."""
    version = metadata.version("yuface")
    if version != YUFACE_VERSION:
        sys.exit(f"yuface {version} is installed; this model comes from yuface=={YUFACE_VERSION}")
    dist = metadata.distribution("yuface")
    record = {line.split(",")[0]: line.split(",")[1] for line in (dist.read_text("RECORD") or "").splitlines()}
    path = Path(str(dist.locate_file(LIBRARY)))
    digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=").decode()
    if record.get(LIBRARY) != f"sha256={digest}":
        sys.exit(f"{path} is not the file yuface {YUFACE_VERSION}'s RECORD names")
    return path


def _read_layers(library: Path) -> list[dict[str, np.ndarray | int | bool]]:
    """The 53 ``Filters<float>`` of ``g_pFilters``, after the library has initialised them.

    ``struct Filters { int channels; int num_filters; bool is_depthwise, is_pointwise,
    with_relu; CDataBlob<float> weights; CDataBlob<float> biases; }`` with ``struct CDataBlob
    { int rows, cols, channels, channelStep; float *data; }`` (channelStep in bytes, channels
    padded to it): weights at offset 16, biases at 40, 64 bytes in all."""
    from yuface.yuface import detect  # the raw binding (no threshold, no size warning)

    detect(np.zeros((64, 64, 3), np.uint8))  # the first detection runs init_parameters()
    lib = ctypes.CDLL(str(library))  # the already loaded library: the same g_pFilters
    if not ctypes.c_bool.in_dll(lib, "param_initialized").value:
        sys.exit("libfacedetection did not initialise its parameters")
    base = ctypes.addressof(ctypes.c_char.in_dll(lib, "g_pFilters"))

    def i32(address: int) -> int:
        return ctypes.c_int32.from_address(address).value

    def blob(address: int) -> np.ndarray:
        rows, cols, channels, step = (i32(address + 4 * k) for k in range(4))
        data = ctypes.c_void_p.from_address(address + 16).value
        floats = (ctypes.c_float * (rows * cols * step // 4)).from_address(data)
        return np.ctypeslib.as_array(floats).reshape(rows, cols, step // 4)[:, :, :channels].copy()

    layers = []
    for i in range(LAYERS):
        address = base + FILTER_BYTES * i
        depthwise, pointwise, relu = (ctypes.c_bool.from_address(address + k).value for k in (8, 9, 10))
        layers.append({"channels": i32(address), "filters": i32(address + 4), "depthwise": depthwise,
                       "pointwise": pointwise, "relu": relu, "w": blob(address + 16)[0],
                       "b": blob(address + 40)[0, 0]})
    return layers


# --- 3: the graph -------------------------------------------------------------------------------


class Graph:
    """libfacedetection's layers as ONNX nodes, with names numbered in the order they are made
    (so that the file is the same on every run)."""

    def __init__(self, layers: list[dict[str, np.ndarray | int | bool]]) -> None:
        self.layers = layers
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, array: np.ndarray, prefix: str) -> str:
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], prefix: str, output: str | None = None, **attrs: object) -> str:
        out = output or self.name(prefix)
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv(self, x: str, i: int, relu: bool) -> str:
        layer = self.layers[i]
        w, b = np.asarray(layer["w"], np.float32), np.asarray(layer["b"], np.float32)
        channels, filters = int(layer["channels"]), int(layer["filters"])
        if i == 0:
            # libfacedetection feeds layer 0 an im2col of 3x3, stride 2, pad 1 patches (27 values,
            # padded to 32) and runs a 1x1 convolution on it: a 3x3/2 convolution on the 3 channels.
            if np.any(w[:, 27:]):
                sys.exit("layer 0 is not the expected 3x3/2 convolution on 3 channels")
            weights = w[:, :27].reshape(filters, 3, 3, 3).transpose(0, 3, 1, 2)  # (ky, kx, c) -> (c, ky, kx)
            attrs: dict[str, object] = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}
        elif layer["pointwise"]:
            weights, attrs = w.reshape(filters, channels, 1, 1), {"kernel_shape": [1, 1]}
        else:  # depthwise 3x3: w[ky * 3 + kx, c]
            weights = w.T.reshape(channels, 1, 3, 3)
            attrs = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "group": channels}
        y = self.node("Conv", [x, self.const(weights.astype(np.float32), "W"), self.const(b, "B")], "conv", **attrs)
        return self.node("Relu", [y], "relu") if relu else y

    def dp(self, x: str, pointwise: int, depthwise: int, relu: bool = True) -> str:
        """convolutionDP: a 1x1 convolution, then a 3x3 depthwise one (ReLU after it only)."""
        return self.conv(self.conv(x, pointwise, False), depthwise, relu)

    def unit(self, x: str, first: int) -> str:
        """convolution4layerUnit: two DP convolutions."""
        return self.dp(self.dp(x, first, first + 1), first + 2, first + 3)

    def pool(self, x: str) -> str:
        return self.node("MaxPool", [x], "pool", kernel_shape=[2, 2], strides=[2, 2])

    def upsample(self, x: str) -> str:
        scales = self.const(np.array([1, 1, 2, 2], np.float32), "scales")
        return self.node("Resize", [x, "", scales], "up", mode="nearest")

    def add(self, a: str, b: str) -> str:
        return self.node("Add", [a, b], "add")


def build(layers: list[dict[str, np.ndarray | int | bool]]) -> onnx.ModelProto:
    g = Graph(layers)
    x = g.dp(g.conv("input", 0, True), 1, 2)
    x = g.unit(g.unit(g.pool(x), 3), 7)
    fb1 = g.unit(g.pool(x), 11)
    fb2 = g.unit(g.pool(fb1), 15)
    fb3 = g.unit(g.pool(fb2), 19)
    fb3 = g.dp(fb3, 27, 28)
    fb2 = g.dp(g.add(g.upsample(fb3), fb2), 25, 26)
    fb1 = g.dp(g.add(g.upsample(fb2), fb1), 23, 24)
    features = {8: fb1, 16: fb2, 32: fb3}
    outputs = {}
    for stride in (8, 16, 32):
        for kind in ("cls", "obj", "bbox", "kps"):
            first = HEADS[stride][kind]
            y = g.dp(features[stride], first, first + 1, relu=False)
            if kind in ("cls", "obj"):
                y = g.node("Sigmoid", [y], "sigmoid")
            y = g.node("Transpose", [y], "nhwc", perm=[0, 2, 3, 1])
            shape = g.const(np.array([1, -1, CHANNELS[kind]], np.int64), "shape")
            outputs[f"{kind}_{stride}"] = g.node("Reshape", [y, shape], "", output=f"{kind}_{stride}")
    order = [f"{kind}_{stride}" for kind in ("cls", "obj", "bbox", "kps") for stride in (8, 16, 32)]
    graph = helper.make_graph(
        g.nodes, "libfacedetection_yunet",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "H", "W"])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, None, CHANNELS[name.split("_")[0]]])
         for name in order],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="fieldvisit tools/build_yunet_onnx.py", doc_string=DOC)
    model.ir_version = 8  # onnxruntime >= 1.14 reads it
    onnx.checker.check_model(model)
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the vendored file instead of writing it")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = build(_read_layers(_library())).SerializeToString()
    digest = hashlib.sha256(data).hexdigest()
    if args.check:
        same = args.out.read_bytes() == data
        print(f"{args.out}: {'the same' if same else 'DIFFERENT'} (rebuilt: {len(data)} bytes, sha256 {digest})")
        return 0 if same else 1
    args.out.write_bytes(data)
    print(f"wrote {args.out}: {len(data)} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
