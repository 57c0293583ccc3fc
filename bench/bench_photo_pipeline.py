"""The server's photo pipeline per photo (issue 4, first benchmark bullet).

Three pipelines on the same textured, noisy, phone-like JPEGs (EXIF orientation 6, GPS, capture
time), 12 MP (4000x3000) and 2048 px (the browser's downscale), in one run:

- **ours**: ``images.inspect`` (what the request does) + ``images.make_derivatives`` without face
  detection (the capture pipeline of issue 4);
- **ours with faces**: the same with face detection and blurring (issue 8), reported next to it;
  its cost over ``ours`` is issue 8's figure, measured in ``bench_faces``;
- **floor**: only the irreducible image work, in plain Pillow with the same parameters: decode
  at the scale needed (draft), orient, the two resizes, the two encodes;
- **naive**: the same checks and hash, but a full-size decode and both resizes from full size;
- and ``inspect`` alone: the part an upload request waits for.

Ratios use CPU time (one thread; steadier than wall time on a shared machine): ours/floor
(target <= 1.3: everything we add costs <= 30 %) and naive/ours on 12 MP (target >= 2).
"""

from __future__ import annotations

import io
import math
import statistics
import time
from collections.abc import Callable
from datetime import datetime

from PIL import ExifTags, Image, ImageOps

from bench.common import Figure
from fieldvisit.demo.photos import camera_exif, camera_jpeg, textured_photo
from fieldvisit.storage import images

SIZES = {"12mp": (4000, 3000), "2048px": (2048, 1536)}
PHOTOS = {"12mp": 4, "2048px": 6}
ROUNDS = 5
TAKEN = datetime(2026, 7, 14, 9, 30)
SITE = (-6.1783, 106.6319)


def ours(data: bytes) -> None:
    images.inspect(data)
    images.make_derivatives(data, detect_faces=False)


def ours_with_faces(data: bytes) -> None:
    images.inspect(data)
    images.make_derivatives(data)


def floor(data: bytes) -> None:
    im = Image.open(io.BytesIO(data))
    width, height = im.size
    scale = images.DISPLAY_EDGE / max(width, height)
    if scale < 1:
        im.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
    im = images.upright(im, im.getexif().get(ExifTags.Base.Orientation))
    display = im.resize(_fit(im.size, images.DISPLAY_EDGE), images.RESAMPLE, reducing_gap=3.0)
    thumb = display.resize(_fit(display.size, images.THUMB_EDGE), images.RESAMPLE, reducing_gap=3.0)
    for derivative in (display, thumb):
        derivative.info = {}
        derivative.save(io.BytesIO(), "JPEG", quality=images.JPEG_QUALITY, optimize=True)


def naive(data: bytes) -> None:
    images.inspect(data)
    im = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))  # full decode, rotated at full size
    display = im.resize(_fit(im.size, images.DISPLAY_EDGE), images.RESAMPLE)
    thumb = im.resize(_fit(im.size, images.THUMB_EDGE), images.RESAMPLE)
    images.dhash(display)
    for derivative in (display, thumb):
        derivative.info = {}
        derivative.save(io.BytesIO(), "JPEG", quality=images.JPEG_QUALITY, optimize=True)


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    scale = min(1.0, edge / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def inspect_only(data: bytes) -> None:
    images.inspect(data)


PIPELINES: dict[str, Callable[[bytes], None]] = {"ours": ours, "ours with faces": ours_with_faces,
                                                 "floor": floor, "naive": naive, "inspect": inspect_only}


def phone_jpeg(size: tuple[int, int], seed: int) -> bytes:
    """Stored sideways with orientation 6, as a phone held upright writes it."""
    stored = textured_photo(*size, seed=seed)
    return camera_jpeg(stored, camera_exif(orientation=6, taken_at=TAKEN, gps=SITE), quality=90)


def measure(photos: list[bytes], rounds: int) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU ms per photo for each pipeline, interleaved (and rotated every round) so
    that a busy moment on the machine does not fall on one pipeline only."""
    samples: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in PIPELINES}
    names = list(PIPELINES)
    for round_no in range(rounds):
        order = names[round_no % len(names):] + names[:round_no % len(names)]
        for data in photos:
            for name in order:
                wall, cpu = time.perf_counter(), time.process_time()
                PIPELINES[name](data)
                samples[name]["cpu"].append((time.process_time() - cpu) * 1000)
                samples[name]["wall"].append((time.perf_counter() - wall) * 1000)
    return samples


def run(smoke: bool) -> list[Figure]:
    figures: list[Figure] = []
    for label, size in SIZES.items():
        count, rounds = (1, 1) if smoke else (PHOTOS[label], ROUNDS)
        photos = [phone_jpeg(size, seed) for seed in range(count)]
        for data in photos:  # warm up (and check the pipelines run) once, outside the timing
            for pipeline in PIPELINES.values():
                pipeline(data)
        samples = measure(photos, rounds)
        cpu = {name: statistics.median(s["cpu"]) for name, s in samples.items()}
        wall = {name: statistics.median(s["wall"]) for name, s in samples.items()}
        out = images.make_derivatives(photos[0])
        extra = {"photos": count, "rounds": rounds, "input_mb": round(statistics.mean(map(len, photos)) / 1e6, 2),
                 "display_kb": round(len(out.display_jpeg) / 1024, 1), "thumb_kb": round(len(out.thumb_jpeg) / 1024, 1)}
        for name in ("ours", "ours with faces", "floor", "naive"):
            figures.append(Figure(f"{label} {name}: ms per photo (wall, median)", wall[name], "ms",
                                  extra={"cpu_ms_median": round(cpu[name], 1),
                                         "wall_ms_p90": round(_p90(samples[name]["wall"]), 1), **extra}))
            figures.append(Figure(f"{label} {name}: photos/s per core", 1000 / cpu[name], "photos/s",
                                  notes="1000 / median CPU ms (one thread)"))
        figures.append(Figure(f"{label} inspect only (the request's part): ms per photo", wall["inspect"], "ms",
                              extra={"cpu_ms_median": round(cpu["inspect"], 2)}))
        ratio = cpu["ours"] / cpu["floor"]
        figures.append(Figure(f"{label} ours / floor (CPU)", ratio, "x", target="<= 1.3", ok=ratio <= 1.3))
        figures.append(Figure(f"{label} ours with faces / floor (CPU)", cpu["ours with faces"] / cpu["floor"], "x",
                              notes="face detection and blurring (issue 8): see bench_faces"))
        speedup = cpu["naive"] / cpu["ours"]
        if label == "12mp":
            figures.append(Figure(f"{label} naive / ours (CPU)", speedup, "x", target=">= 2", ok=speedup >= 2))
        else:
            figures.append(Figure(f"{label} naive / ours (CPU)", speedup, "x",
                                  notes="no draft shortcut below 2x the display size"))
    return figures


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
