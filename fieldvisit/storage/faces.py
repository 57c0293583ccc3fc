"""Faces in a photo, found so that every derivative can blur them (issue 8).

One detector, offline, with nothing downloaded at run time: **libfacedetection**'s CNN (Shiqi
Yu; the YuNet family, v3), which the PyPI wheel ``yuface`` 2023.5.1 ships compiled into its
``libfacedetection.so``. ``tools/build_yunet_onnx.py`` reads its layers out of that library and
writes them as ONNX, vendored under ``models/`` (source, licence and sha256 in
``models/NOTICE``); onnxruntime runs it here, on one thread. The box decoding and non-maximum
suppression that libfacedetection does after its CNN are done below in numpy.

The photo (in the pipeline: the 1280 px display image) is scaled down to ``DETECT_EDGE`` px on
its long side and padded to multiples of 32. The CNN scores every 8th, 16th and 32nd pixel as a
face centre; boxes scoring at least ``MIN_SCORE`` are kept. The threshold is set for recall:
blurring a box that holds no face costs a patch of the photo, missing a child's face is the
harm this module exists to prevent (bench/bench_faces.py measures both).

Everything is pure: an image (or the bytes of a photo) in, boxes out, as fractions 0..1 of the
upright photo (:data:`fieldvisit.storage.images.Box`), each grown by ``MARGIN`` on every side so
that the blur also covers hair, ears and chin.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from fieldvisit.storage.images import MAX_BYTES, Box, decode_upright

MODELS = Path(__file__).resolve().parent / "models"
MODEL = MODELS / "yunet_libfacedetection.onnx"
MODEL_SHA256 = "756dc24f050dfad25cae9c9e38f332cdc337a57cc2e5cf98ef66f287c42c95b1"
#: The long edge the detector sees. Smaller faces are found the larger it is, at ~n^2 cost:
#: bench/bench_faces.py sweeps 800..1280 px; 960 is the largest that keeps detection and
#: blurring within +30 % of the capture pipeline of a 2048 px upload (~25 of ~92 ms CPU; 1024: 30-32 %).
DETECT_EDGE = 960
#: Photos of sensitive sites (UPTD PPA, LKSA: child victims, children in care) are searched on
#: the whole 1280 px display image: faces ~40 px wide there are found about half again as often
#: as at 960 (bench_faces' sweep), for ~1.7x the detection cost, spent where the harm is worst.
SENSITIVE_EDGE = 1280
#: libfacedetection's own default is 0.5. On bench_faces 0.4 finds 13 more of its 402 faces for
#: one more false box; 0.3 would find 10 more again, but also scikit-image's coffee cup (0.35),
#: which the tests hold to be a photo without a face.
MIN_SCORE = 0.4
NMS_IOU = 0.3  # as libfacedetection: a box overlapping a better one by more than this is the same face
TOP_K = 1000  # best candidates kept before suppression, as libfacedetection
STRIDES = (8, 16, 32)
MARGIN = 0.25

_OUTPUTS = [f"{kind}_{stride}" for stride in STRIDES for kind in ("cls", "obj", "bbox")]
_lock = threading.Lock()
_session: tuple[int, ort.InferenceSession] | None = None  # (pid, session): run() is thread-safe


def find_faces(image: Image.Image, *, margin: float = MARGIN, edge: int = DETECT_EDGE,
               min_score: float = MIN_SCORE) -> list[Box]:
    """Boxes around the faces in an upright image, as fractions of its size, each grown by
    ``margin`` (a share of the face's width and height) on every side and clipped to the image.
    The detector sees a copy at most ``edge`` px long (never enlarged)."""
    work = _scaled(image.convert("RGB"), edge)
    width, height = work.size
    boxes = []
    for left, top, right, bottom, _score in detect(np.asarray(work), min_score=min_score).tolist():
        box = (max(0.0, left / width), max(0.0, top / height), min(1.0, right / width), min(1.0, bottom / height))
        if box[0] < box[2] and box[1] < box[3]:
            boxes.append(_grow(box, margin))
    return _without_nested(boxes)


def find_faces_in_photo(data: bytes, *, edge: int = DETECT_EDGE, margin: float = MARGIN,
                        min_score: float = MIN_SCORE, max_bytes: int = MAX_BYTES) -> list[Box]:
    """The same for the bytes of a photo (decoded at the scale needed, EXIF orientation applied);
    refuses what :func:`fieldvisit.storage.images.inspect` refuses."""
    return find_faces(decode_upright(data, edge, max_bytes=max_bytes), edge=edge, margin=margin, min_score=min_score)


def detect(rgb: np.ndarray, *, min_score: float = MIN_SCORE) -> np.ndarray:
    """The detector on an RGB uint8 array as given (no scaling): an (n, 5) array of
    (left, top, right, bottom, score) in pixels of that array, best first, after non-maximum
    suppression; boxes may reach past the edges."""
    height, width = rgb.shape[:2]
    padded_h, padded_w = -(-height // 32) * 32, -(-width // 32) * 32
    blob = np.zeros((1, 3, padded_h, padded_w), np.float32)  # BGR 0..255, zero-padded right and bottom
    blob[0, :, :height, :width] = rgb[:, :, ::-1].transpose(2, 0, 1)
    outputs = dict(zip(_OUTPUTS, _model().run(_OUTPUTS, {"input": blob}), strict=True))
    return _decode(outputs, padded_w, min_score)


def model_sha256(path: Path = MODEL) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def overlaps(a: Box, b: Box, *, at_least: float = 0.3) -> bool:
    """Whether two boxes cover the same thing: their intersection is at least ``at_least`` of
    the smaller one (for checks: was this face found, is it still found after blurring)."""
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[2], b[2]), min(a[3], b[3])
    if right <= left or bottom <= top:
        return False
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return (right - left) * (bottom - top) >= at_least * smaller


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes, 0..1 (for checks: is this the same face)."""
    left, top, right, bottom = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, right - left) * max(0.0, bottom - top)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


# --- internals -------------------------------------------------------------------------------------


def warm_up() -> None:
    """Load the model now, in a process that will look for faces (its first photo is not
    slowed by it)."""
    _model()


def _model() -> ort.InferenceSession:
    """One session per process (made again in a forked child), checked against MODEL_SHA256."""
    global _session
    pid = os.getpid()
    with _lock:
        if _session is None or _session[0] != pid:
            data = MODEL.read_bytes()
            if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
                raise RuntimeError(f"{MODEL} is not the vendored face detector (see models/NOTICE)")
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1  # the derivatives run on a background thread: one core
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.log_severity_level = 3  # errors only
            _session = (pid, ort.InferenceSession(data, options, providers=["CPUExecutionProvider"]))
        return _session[1]


def _scaled(image: Image.Image, edge: int) -> Image.Image:
    """A copy at most ``edge`` px long, each pixel the mean of the ones it covers (like OpenCV's
    INTER_AREA; ~6 ms CPU for 1280 -> 960 px, against ~9 ms for BILINEAR)."""
    scale = edge / max(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BOX)


def _decode(outputs: dict[str, np.ndarray], padded_width: int, min_score: float) -> np.ndarray:
    """libfacedetection's decoding: at stride s, cell (row, col) predicts a face centred at
    ((col + dx) s, (row + dy) s), exp(dw) s wide and exp(dh) s high, scoring
    sqrt(cls * obj); then the best TOP_K, then greedy suppression at NMS_IOU."""
    found = []
    for stride in STRIDES:
        scores = np.sqrt(np.clip(outputs[f"cls_{stride}"][0, :, 0] * outputs[f"obj_{stride}"][0, :, 0], 0, 1))
        cells = np.flatnonzero(scores >= min_score)
        if not cells.size:
            continue
        rows, cols = np.divmod(cells, padded_width // stride)
        dx, dy, dw, dh = outputs[f"bbox_{stride}"][0, cells].T.astype(np.float64)
        cx, cy = (cols + dx) * stride, (rows + dy) * stride
        w, h = np.exp(np.minimum(dw, 20)) * stride, np.exp(np.minimum(dh, 20)) * stride
        found.append(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, scores[cells]], axis=1))
    if not found:
        return np.zeros((0, 5))
    candidates = np.concatenate(found)
    candidates = candidates[np.argsort(-candidates[:, 4], kind="stable")][:TOP_K]
    return candidates[_suppress(candidates[:, :4], NMS_IOU)]


def _suppress(boxes: np.ndarray, threshold: float) -> list[int]:
    """Indices of the boxes (best first) that overlap no better kept box by more than ``threshold`` IoU."""
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept: list[int] = []
    for i in range(len(boxes)):
        if kept:
            k = np.asarray(kept)
            w = np.minimum(boxes[k, 2], boxes[i, 2]) - np.maximum(boxes[k, 0], boxes[i, 0])
            h = np.minimum(boxes[k, 3], boxes[i, 3]) - np.maximum(boxes[k, 1], boxes[i, 1])
            inter = np.where((w > 0) & (h > 0), w * h, 0.0)
            if np.any(inter / (areas[k] + areas[i] - inter) > threshold):
                continue
        kept.append(i)
    return kept


def _grow(box: Box, margin: float) -> Box:
    left, top, right, bottom = box
    dx, dy = (right - left) * margin, (bottom - top) * margin
    return (max(0.0, left - dx), max(0.0, top - dy), min(1.0, right + dx), min(1.0, bottom + dy))


def _without_nested(boxes: Sequence[Box]) -> list[Box]:
    """Drop boxes that lie wholly inside another (the blur of the outer one covers them)."""
    def inside(a: Box, b: Box) -> bool:
        return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]

    unique = sorted(set(boxes))
    return [a for i, a in enumerate(unique) if not any(inside(a, b) for j, b in enumerate(unique) if i != j)]
