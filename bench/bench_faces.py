"""Face blurring (issue 8, "Measurement"): how many faces the detector finds, how often it finds
something that is not a face, whether a blurred face can still be found, and what it costs.

The face images are the ones scikit-image (0.26, test extra) ships inside its wheel:

- ``skimage.data.lfw_subset()``: 100 faces and 100 non-faces (25x25 grey crops from Labeled
  Faces in the Wild), upscaled to 100 px, padded to 160 px and sent through the whole pipeline
  as JPEGs;
- the same 100 faces pasted, 4 to a photo, into textured phone photos of 2048x1536 (what the
  browser uploads) at three sizes: 64, 96 and 144 px in the upload, i.e. 40, 60 and 90 px on
  the 1280 px display derivative;
- ``skimage.data.astronaut()`` (one frontal face) and ``camera()`` (one face in profile);
  ``coffee, chelsea, rocket, coins, page, text, immunohistochemistry, hubble_deep_field, retina,
  horse, moon, brick, grass, gravel, colorwheel`` and three textured phone photos as non-faces.

Recall: faces found / faces present (found = a detected box covers the face). Precision: found
faces / (found faces + boxes that cover no face).

Blurred faces no longer found: every found face is looked for again in the display derivative
(the crop around it, enlarged so the face is ~120 px) by a detector as sensitive as the
cascades allow (OpenCV's four frontal cascades and the profile one both ways, scale step 1.05,
two neighbours; a find counts when it overlaps the face by IoU >= 0.3); target 100 %. A
different detector from the pipeline's on purpose: blurring that only fools the detector it
was tuned on would prove little. (OpenCV is in the test extra for this check only.)

Detector: libfacedetection's CNN (YuNet family) as the PyPI wheel yuface 2023.5.1 ships it,
converted to ONNX (``fieldvisit/storage/models/NOTICE``) and run by onnxruntime on one thread,
on the display image scaled to ``faces.DETECT_EDGE`` px, boxes scoring >= ``faces.MIN_SCORE``.
Each set is also scored at other score thresholds ("detector ..." figures, on the same display
images). Note that LFW's faces were themselves picked by a Viola-Jones detector.

Cost: CPU ms per photo of the capture pipeline (``inspect`` + ``make_derivatives`` without
detection) and with detection and blurring, on the same 12 MP and 2048 px phone JPEGs as
``bench_photo_pipeline``, interleaved in one run; target <= +30 %. A sweep over the detection
edge shows what each size costs (CPU ms of detection on a display image, and its share of the
capture pipeline measured in the same run) and finds (recall on the scenes' faces by size, false
boxes on the photos without faces), at three score thresholds.
"""

from __future__ import annotations

import io
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
import onnxruntime
import skimage
import skimage.data
from PIL import Image

from bench.bench_photo_pipeline import phone_jpeg
from bench.common import Figure
from fieldvisit.demo.photos import camera_jpeg, textured_photo
from fieldvisit.storage import faces, images
from fieldvisit.storage.images import Box

FACE_PX = 100  # an lfw crop upscaled to this, then padded
PAD = 30
SCENE_SIZE = (2048, 1536)
SCENE_FACES = (64, 96, 144)  # px in the 2048 px upload
PER_SCENE = 4
SAMPLE_FACES = {"astronaut": (0.34, 0.12, 0.54, 0.33), "camera": (0.33, 0.17, 0.53, 0.40)}
SAMPLE_OTHERS = ("coffee", "chelsea", "rocket", "coins", "page", "text", "immunohistochemistry", "hubble_deep_field",
                 "retina", "horse", "moon", "brick", "grass", "gravel", "colorwheel")
THOROUGH = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt.xml",
            "haarcascade_frontalface_alt2.xml", "haarcascade_frontalface_alt_tree.xml")
COST_ROUNDS = 5
SWEEP_EDGES = (800, 960, 1024, 1280)  # px: the long edge the detector sees
SCORES = (0.3, 0.4, 0.5)  # the sweep's and the "detector" figures' thresholds (0.5: libfacedetection's own)


@dataclass
class Case:
    """One photo sent through the pipeline, with the faces it holds (fractions)."""

    label: str
    data: bytes
    truth: list[Box]


@dataclass
class Tally:
    present: int = 0
    found: int = 0
    false_boxes: int = 0
    hidden: int = 0  # found faces that the thorough detector no longer finds in the derivative
    checked: int = 0
    control: int = 0  # of those, how many it does find in the derivative made without blurring
    misses: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.present if self.present else float("nan")

    @property
    def precision(self) -> float:
        return self.found / (self.found + self.false_boxes) if self.found + self.false_boxes else float("nan")


# --- the image sets ---------------------------------------------------------------------------------------


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    return np.clip(array * (255 if array.max() <= 1 else 1), 0, 255).astype(np.uint8)


def lfw_crop(array: np.ndarray, size: int) -> Image.Image:
    return Image.fromarray(_to_uint8(array)).resize((size, size), Image.Resampling.BICUBIC).convert("RGB")


def lfw_cases(count: int) -> tuple[list[Case], list[Case]]:
    lfw = skimage.data.lfw_subset()
    face_arrays, other_arrays = lfw[:100][:count], lfw[100:][:count]
    side = FACE_PX + 2 * PAD
    truth = (PAD / side, PAD / side, (PAD + FACE_PX) / side, (PAD + FACE_PX) / side)

    def padded(array: np.ndarray) -> bytes:
        grey = np.asarray(lfw_crop(array, FACE_PX).convert("L"))
        return camera_jpeg(Image.fromarray(np.pad(grey, PAD, mode="edge")))

    return ([Case(f"lfw face {i}", padded(a), [truth]) for i, a in enumerate(face_arrays)],
            [Case(f"lfw non-face {i}", padded(a), []) for i, a in enumerate(other_arrays)])


def scene_cases(face_px: int, photos: int, *, non_faces: bool = False) -> list[Case]:
    """Phone photos with PER_SCENE lfw faces each (or lfw non-faces), pasted at random spots of
    a 2x2 grid."""
    lfw = skimage.data.lfw_subset()[100:] if non_faces else skimage.data.lfw_subset()[:100]
    width, height = SCENE_SIZE
    cases = []
    for n in range(photos):
        rng = random.Random(n * 1000 + face_px + (7 if non_faces else 0))
        photo = textured_photo(width, height, seed=(500 if non_faces else 100) + n)
        truth = []
        for k in range(PER_SCENE):
            cell_x, cell_y = (k % 2) * width // 2, (k // 2) * height // 2
            x = cell_x + rng.randrange(20, width // 2 - face_px - 20)
            y = cell_y + rng.randrange(20, height // 2 - face_px - 20)
            photo.paste(lfw_crop(lfw[(n * PER_SCENE + k) % 100], face_px), (x, y))
            truth.append((x / width, y / height, (x + face_px) / width, (y + face_px) / height))
        cases.append(Case(f"scene {face_px}px #{n}", camera_jpeg(photo), truth))
    return cases


def checker_false_alarms(photos_per_size: int) -> tuple[int, int]:
    """How often the thorough check "finds a face" in a blurred patch that never held one (lfw
    non-faces pasted like the faces and blurred with the same box): what a "still found" is
    worth. Returns (alarms, patches)."""
    alarms = patches = 0
    for px in SCENE_FACES:
        for case in scene_cases(px, photos_per_size, non_faces=True):
            grown = [faces._grow(box, faces.MARGIN) for box in case.truth]
            out = images.make_derivatives(case.data, detect_faces=False, blur_boxes=grown)
            display = Image.open(io.BytesIO(out.display_jpeg))
            for box in case.truth:
                patches += 1
                alarms += thorough_finds(display, box)
    return alarms, patches


def sample_cases() -> tuple[list[Case], list[Case]]:
    def jpeg(name: str) -> bytes:
        array = _to_uint8(getattr(skimage.data, name)())
        return camera_jpeg(Image.fromarray(array).convert("RGB"))

    with_faces = [Case(name, jpeg(name), [box]) for name, box in SAMPLE_FACES.items()]
    others = [Case(name, jpeg(name), []) for name in SAMPLE_OTHERS]
    others += [Case(f"phone photo {seed}", camera_jpeg(textured_photo(*SCENE_SIZE, seed=seed)), []) for seed in range(3)]
    return with_faces, others


# --- detection, blurring, re-detection -------------------------------------------------------------------


_CASCADES: dict[str, cv2.CascadeClassifier] = {}


def _cascade(name: str) -> cv2.CascadeClassifier:
    if name not in _CASCADES:
        _CASCADES[name] = cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]
        if _CASCADES[name].empty():
            raise RuntimeError(f"OpenCV's {name} is missing: opencv-python-headless 4.x ships it in cv2/data")
    return _CASCADES[name]


def thorough_finds(display: Image.Image, face: Box) -> bool:
    """Is there still a face where ``face`` was? The crop around it (the face plus its own size
    on every side), enlarged so that the face is ~120 px, searched by every cascade."""
    width, height = display.size
    fw, fh = (face[2] - face[0]) * width, (face[3] - face[1]) * height
    left, top = max(0, int(face[0] * width - fw)), max(0, int(face[1] * height - fh))
    right, bottom = min(width, int(face[2] * width + fw)), min(height, int(face[3] * height + fh))
    crop = display.crop((left, top, right, bottom)).convert("L")
    scale = 120 / max(fw, fh, 1)
    crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
                       Image.Resampling.BICUBIC)
    grey = cv2.equalizeHist(np.asarray(crop))
    target = ((face[0] * width - left) * scale, (face[1] * height - top) * scale,
              (face[2] * width - left) * scale, (face[3] * height - top) * scale)
    target_box = (target[0] / crop.width, target[1] / crop.height, target[2] / crop.width, target[3] / crop.height)
    for name, flip in [(n, False) for n in THOROUGH] + [("haarcascade_profileface.xml", False),
                                                         ("haarcascade_profileface.xml", True)]:
        image = np.ascontiguousarray(grey[:, ::-1]) if flip else grey
        for x, y, w, h in _cascade(name).detectMultiScale(image, scaleFactor=1.05, minNeighbors=2, minSize=(20, 20)):
            if flip:
                x = crop.width - x - w
            box = (x / crop.width, y / crop.height, (x + w) / crop.width, (y + h) / crop.height)
            if faces.iou(box, target_box) >= 0.3:
                return True
    return False


def score(cases: list[Case], tally: Tally, *, check_blur: bool = True) -> None:
    for case in cases:
        out = images.make_derivatives(case.data)
        tight = [_shrink(box) for box in out.faces]  # compare the detector's own box, not the margin
        tally.present += len(case.truth)
        display = Image.open(io.BytesIO(out.display_jpeg)) if check_blur else None
        plain = Image.open(io.BytesIO(images.make_derivatives(case.data, detect_faces=False).display_jpeg))
        for face in case.truth:
            if any(faces.overlaps(box, face) for box in tight):
                tally.found += 1
                if display is not None:
                    tally.checked += 1
                    tally.control += thorough_finds(plain, face)
                    if thorough_finds(display, face):
                        tally.misses.append(f"{case.label}: still found after blurring")
                    else:
                        tally.hidden += 1
            else:
                tally.misses.append(f"{case.label}: face not found")
        tally.false_boxes += sum(1 for box in tight if not any(faces.overlaps(box, face) for face in case.truth))


def _shrink(box: Box) -> Box:
    """Undo faces.MARGIN (up to the clipping at the photo's edges, which does not matter here)."""
    m = faces.MARGIN
    w, h = (box[2] - box[0]) / (1 + 2 * m), (box[3] - box[1]) / (1 + 2 * m)
    return (box[0] + m * w, box[1] + m * h, box[2] - m * w, box[3] - m * h)


def detector_recall(cases: list[Case], detect: Callable[[Image.Image], list[Box]]) -> tuple[int, int, int, float]:
    """(found, present, false boxes, wall ms per photo) of one detector on the display images."""
    found = present = false_boxes = 0
    elapsed = 0.0
    for case in cases:
        display = images.fit(images.decode_upright(case.data, images.DISPLAY_EDGE), images.DISPLAY_EDGE)
        start = time.perf_counter()
        boxes = detect(display)
        elapsed += time.perf_counter() - start
        present += len(case.truth)
        found += sum(1 for face in case.truth if any(faces.overlaps(b, face) for b in boxes))
        false_boxes += sum(1 for b in boxes if not any(faces.overlaps(b, face) for face in case.truth))
    return found, present, false_boxes, elapsed * 1000 / max(1, len(cases))


DETECTORS: dict[str, Callable[[Image.Image], list[Box]]] = {
    f"score >= {score}": (lambda im, score=score: faces.find_faces(im, margin=0, min_score=score)) for score in SCORES
}


# --- cost ----------------------------------------------------------------------------------------------


def capture(data: bytes) -> None:
    images.inspect(data)
    images.make_derivatives(data, detect_faces=False)


def capture_with_blur(data: bytes) -> None:
    images.inspect(data)
    images.make_derivatives(data)


def cpu_ms(pipelines: dict[str, Callable[[bytes], None]], photos: list[bytes], rounds: int) -> dict[str, float]:
    """Median CPU ms per photo of each pipeline, interleaved and rotated as in bench_photo_pipeline."""
    samples: dict[str, list[float]] = {name: [] for name in pipelines}
    names = list(pipelines)
    for round_no in range(rounds):
        order = names[round_no % len(names):] + names[:round_no % len(names)]
        for data in photos:
            for name in order:
                start = time.process_time()
                pipelines[name](data)
                samples[name].append((time.process_time() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def displays(cases: list[Case]) -> list[tuple[Image.Image, list[Box]]]:
    return [(images.fit(images.decode_upright(c.data, images.DISPLAY_EDGE), images.DISPLAY_EDGE), c.truth)
            for c in cases]


def sweep(scenes: list[Case], others: list[Case], capture_ms: dict[str, float], rounds: int) -> list[Figure]:
    """What the detection edge costs (CPU ms of ``find_faces`` on a 12 MP photo's 1280x960 display
    image, blurring nothing; the share of each capture pipeline measured in this run) and finds
    (the scenes' faces by size, false boxes on the photos without faces), at each score in SCORES."""
    figures = []
    with_faces, without = displays(scenes), displays(others)
    timing = images.fit(images.decode_upright(phone_jpeg((4000, 3000), 0), images.DISPLAY_EDGE), images.DISPLAY_EDGE)
    for edge in SWEEP_EDGES:
        faces.find_faces(timing, edge=edge)  # warm up: onnxruntime plans each new input size once
        times = []
        for _ in range(rounds):
            start = time.process_time()
            faces.find_faces(timing, edge=edge)
            times.append((time.process_time() - start) * 1000)
        ms = statistics.median(times)
        by_score: dict[str, object] = {}
        for score in SCORES:
            found: dict[int, int] = {}
            present: dict[int, int] = {}
            for display, truth in with_faces:
                boxes = faces.find_faces(display, edge=edge, margin=0, min_score=score)
                for face in truth:
                    px = round((face[2] - face[0]) * SCENE_SIZE[0])
                    present[px] = present.get(px, 0) + 1
                    found[px] = found.get(px, 0) + any(faces.overlaps(b, face) for b in boxes)
            false_boxes = sum(len(faces.find_faces(display, edge=edge, margin=0, min_score=score))
                              for display, _truth in without)
            by_score[str(score)] = {"scene_recall": round(sum(found.values()) / max(1, sum(present.values())), 3),
                                    "by_face_px": {px: f"{found[px]}/{present[px]}" for px in sorted(present)},
                                    "false_boxes_on_photos_without_faces": false_boxes}
        share = {f"share_of_{label}_capture": round(ms / base, 3) for label, base in capture_ms.items()}
        figures.append(Figure(f"sweep edge {edge} px: detection CPU ms (1280x960 display)", ms, "ms",
                              notes=f"recall on {sum(len(t) for _d, t in with_faces)} scene faces, false boxes on "
                                    f"{len(without)} photos without faces, by score threshold",
                              extra={**share, **by_score}))
    return figures


# --- the run -------------------------------------------------------------------------------------------


def run(smoke: bool) -> list[Figure]:
    names = f"scikit-image {skimage.__version__}: skimage.data.lfw_subset() (LFW), astronaut(), camera(), " \
            f"{', '.join(SAMPLE_OTHERS)}; detector: libfacedetection's CNN from yuface 2023.5.1 " \
            f"({faces.MODEL.name}) on onnxruntime {onnxruntime.__version__}, {faces.DETECT_EDGE} px, score >= " \
            f"{faces.MIN_SCORE}; re-detection check: OpenCV {cv2.__version__} cascades"
    lfw_faces, lfw_others = lfw_cases(3 if smoke else 100)
    sample_faces, sample_others = sample_cases()
    if smoke:
        sample_others = sample_others[:2]
    scenes = {px: scene_cases(px, 0 if smoke and px != SCENE_FACES[-1] else 1 if smoke else 100 // PER_SCENE)
              for px in SCENE_FACES}

    sets: dict[str, tuple[list[Case], list[Case]]] = {
        f"lfw ({len(lfw_faces)} faces, {len(lfw_others)} non-faces)": (lfw_faces, lfw_others),
        f"skimage photos (astronaut, camera; {len(sample_others)} without faces)": (sample_faces, sample_others),
        **{f"faces of {px} px in 2048 px phone photos": (cases, []) for px, cases in scenes.items() if cases},
    }
    figures: list[Figure] = []
    total = Tally()
    for label, (with_faces, without) in sets.items():
        tally = Tally()
        score(with_faces + without, tally)
        figures.append(Figure(f"recall, {label}", tally.recall, "share",
                              extra={"found": tally.found, "present": tally.present, "misses": tally.misses[:20]}))
        if without or tally.false_boxes:
            figures.append(Figure(f"precision, {label}", tally.precision, "share",
                                  extra={"false_boxes": tally.false_boxes}))
        for name, detect in DETECTORS.items():
            found, present, false_boxes, ms = detector_recall(with_faces + without, detect)
            figures.append(Figure(f"detector {name}, {label}: recall", found / present if present else float("nan"),
                                  "share", extra={"found": found, "present": present, "false_boxes": false_boxes,
                                                  "wall_ms_per_photo": round(ms, 1)}))
        for key in ("present", "found", "false_boxes", "hidden", "checked", "control"):
            setattr(total, key, getattr(total, key) + getattr(tally, key))
        total.misses += [m for m in tally.misses if "after blurring" in m]
    figures.append(Figure("recall, all sets", total.recall, "share", notes=names,
                          extra={"found": total.found, "present": total.present}))
    figures.append(Figure("precision, all sets", total.precision, "share", extra={"false_boxes": total.false_boxes}))
    hidden = total.hidden / total.checked if total.checked else float("nan")
    figures.append(Figure("found faces no longer detectable after blurring", hidden, "share", target="= 1.0",
                          ok=hidden == 1.0, extra={"checked": total.checked, "still_found": total.misses[:20]}))
    control = total.control / total.checked if total.checked else float("nan")
    figures.append(Figure("control: the same check finds those faces in derivatives made without blurring", control,
                          "share", notes="shows the check can find the faces it looks for"))
    if not smoke:
        alarms, patches = checker_false_alarms(6)
        figures.append(Figure("control: the same check 'finds a face' in blurred patches that never held one",
                              alarms / patches, "share", extra={"alarms": alarms, "patches": patches},
                              notes="lfw non-faces pasted and blurred like the faces"))

    rounds = 1 if smoke else COST_ROUNDS
    capture_ms = {}
    for label, size in (("12mp", (4000, 3000)), ("2048px", (2048, 1536)))[1 if smoke else 0:]:
        photos = [phone_jpeg(size, seed) for seed in range(1 if smoke else 3)]
        for data in photos:  # warm up
            capture(data)
            capture_with_blur(data)
        ms = cpu_ms({"capture": capture, "with_blur": capture_with_blur}, photos, rounds)
        extra = ms["with_blur"] / ms["capture"] - 1
        capture_ms[label] = ms["capture"]
        figures.append(Figure(f"{label} capture pipeline (inspect + derivatives): CPU ms per photo", ms["capture"], "ms"))
        figures.append(Figure(f"{label} same with face detection and blur: CPU ms per photo", ms["with_blur"], "ms"))
        figures.append(Figure(f"{label} face blurring cost over the capture pipeline", extra * 100, "%",
                              target="<= +30 %", ok=extra <= 0.30,
                              notes=f"YuNet (libfacedetection) on onnxruntime, 1 thread, on the display image "
                                    f"scaled to {faces.DETECT_EDGE} px, score >= {faces.MIN_SCORE}"))
    if not smoke:
        figures += sweep([c for cases in scenes.values() for c in cases[:8]], sample_others, capture_ms, 7)
    return figures
