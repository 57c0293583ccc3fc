"""Pure image functions for photo evidence: bytes in, typed values out (no files, no clock).

Split so that a request does only the cheap part:

- :func:`inspect` (a few ms): type sniffed from the content, size and decompression-bomb limits
  from the header, a structural check that the file is complete, the EXIF fields we keep
  (capture time, GPS, make, model, orientation) and the sha256 of the original. No full decode.
- :func:`make_derivatives` (the expensive part, run later in the derivative process, photos.worker): decode (JPEG in
  draft mode at the scale needed), orient, a display JPEG (~1280 px) and a thumbnail (~320 px)
  with every byte of metadata left behind, a perceptual hash, faces found and blurred
  (``fieldvisit.storage.faces``), and other regions or the whole photo blurred if asked.

Everything refused raises :class:`ImageRejected` with a reason code and a translated message.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import pillow_heif
from PIL import ExifTags, Image, ImageFilter

from fieldvisit.errors import RuleViolation
from fieldvisit.web.i18n import _

pillow_heif.register_heif_opener(thumbnails=False)

ImageType = Literal["jpeg", "png", "webp", "heic"]
Reason = Literal["not_an_image", "unsupported_type", "corrupt", "too_many_pixels", "too_large"]
#: (left, top, right, bottom) as fractions 0..1 of the upright photo's width and height.
Box = tuple[float, float, float, float]

CONTENT_TYPES: dict[ImageType, str] = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
                                       "heic": "image/heic"}
MAX_BYTES = 25 * 1024 * 1024
#: 64 MP is far above what a phone sends through the browser (2048 px) or as HEIC (12-48 MP)
#: and keeps a decode within a few hundred MB; Pillow's own default is 89 MP and only warns.
MAX_PIXELS = 64_000_000
DISPLAY_EDGE = 1280
THUMB_EDGE = 320
JPEG_QUALITY = 82
#: A blurred box keeps about this many cells across its long side, then a Gaussian of this many
#: cells smooths them: with 6 cells and 0.8, a sensitive detector still found 6 % of the blurred
#: faces of bench/bench_faces.py; with 4 and 2.0, none (a soft blob of the face's colours).
BLUR_CELLS = 4
BLUR_SIGMA = 2.0
RESAMPLE = Image.Resampling.LANCZOS
#: dHash bits that may differ between two copies of one photo (re-encoded, resized, browser
#: downscaled: 0-3 measured); unrelated photos differ in ~32 of 64.
NEAR_IDENTICAL_BITS = 6

# Pillow checks the pixel count in Image.open(); beyond MAX_IMAGE_PIXELS it only warns (it
# raises beyond twice that). Make the warning an error too; _open() also checks explicitly,
# because warning filters are process-wide and test runners reset them.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)

_PIL_FORMAT: dict[ImageType, str] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF"}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_OTHER_TYPES = [(b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"),
                (b"MM\x00*", "TIFF"), (b"%PDF", "PDF"), (b"8BPS", "PSD"), (b"\x00\x00\x01\x00", "ICO"),
                (b"PK\x03\x04", "ZIP")]
# EXIF Orientation -> the transposition that makes the pixels upright.
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}
_IEND = b"IEND\xaeB`\x82"
_EXIF_DATETIME = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_UTC_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


class ImageRejected(RuleViolation):
    """This upload cannot be a photo; ``reason`` is one of :data:`Reason`, the message says why
    in the user's language (a 422 if it reaches a handler)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message, title=_("This file cannot be used as a photo"))
        self.reason = reason


@dataclass(frozen=True)
class PhotoInfo:
    type: ImageType
    content_type: str
    width: int  # upright, as the photo is shown
    height: int
    byte_size: int
    sha256: str  # hex, of the bytes as uploaded
    taken_at: datetime | None  # naive, the camera's local time (see capture_time_utc)
    latitude: float | None
    longitude: float | None
    make: str | None
    model: str | None
    orientation: int | None  # EXIF 1..8 as found (HEIC: already applied by the decoder)


@dataclass(frozen=True)
class Derivatives:
    display_jpeg: bytes
    thumb_jpeg: bytes
    width: int  # of the display image
    height: int
    thumb_width: int
    thumb_height: int
    phash: int  # 64-bit dHash of the photo before any blur; compare with hamming()/near_identical()
    faces: tuple[Box, ...] = ()  # the faces found and blurred (with their margin), fractions of the photo


# --- the two entry points ------------------------------------------------------------------


def inspect(data: bytes, *, max_bytes: int = MAX_BYTES) -> PhotoInfo:
    """What the request needs to know about an upload, without decoding its pixels."""
    kind, im = _open(data, max_bytes)
    with im:
        width, height = im.size
        exif = _exif(im)
        sub = _ifd(exif, ExifTags.IFD.Exif)
        gps = _ifd(exif, ExifTags.IFD.GPSInfo)
    orientation = _int_in(exif.get(ExifTags.Base.Orientation), 1, 8)
    if kind != "heic" and orientation in (5, 6, 7, 8):
        width, height = height, width
    taken = sub.get(ExifTags.Base.DateTimeOriginal) or sub.get(ExifTags.Base.DateTimeDigitized)
    latitude, longitude = gps_degrees(gps)
    return PhotoInfo(
        type=kind, content_type=CONTENT_TYPES[kind], width=width, height=height, byte_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), taken_at=parse_exif_datetime(taken),
        latitude=latitude, longitude=longitude, make=_text(exif.get(ExifTags.Base.Make)),
        model=_text(exif.get(ExifTags.Base.Model)), orientation=orientation,
    )


def make_derivatives(data: bytes, *, blur_boxes: Sequence[Box] = (), blur_all: bool = False,
                     detect_faces: bool = True, sensitive: bool = False, max_bytes: int = MAX_BYTES) -> Derivatives:
    """The display and thumbnail JPEGs: upright, sRGB-ish RGB, no metadata at all (no EXIF,
    XMP, ICC, comments or text chunks: only re-encoded pixels).

    Faces are found (unless ``detect_faces=False``) and pixelated and blurred in both, so that
    no derivative shows a recognisable face; the boxes are in ``Derivatives.faces``. A photo
    of a ``sensitive`` site is searched at a larger size (smaller faces found, at more cost).
    On top of them, ``blur_boxes`` (fractions of the upright photo, drawn by a verifier) are blurred the
    same way, and ``blur_all`` ("shows a person") blurs the whole photo. The original is never
    changed: it is the evidence."""
    for box in blur_boxes:
        check_box(box)
    display = fit(decode_upright(data, DISPLAY_EDGE, max_bytes=max_bytes), DISPLAY_EDGE)
    phash = dhash(display)
    faces: tuple[Box, ...] = ()
    if detect_faces:
        from fieldvisit.storage import faces as detector  # onnxruntime is loaded only where derivatives are made

        edge = detector.SENSITIVE_EDGE if sensitive else detector.DETECT_EDGE
        faces = tuple(detector.find_faces(display, edge=edge))
    for box in (*faces, *blur_boxes):
        display = blur_box(display, box)
    if blur_all:
        display = display.filter(ImageFilter.GaussianBlur(radius=max(display.size) / 40))
    thumb = fit(display, THUMB_EDGE)
    return Derivatives(display_jpeg=encode_jpeg(display), thumb_jpeg=encode_jpeg(thumb), width=display.width,
                       height=display.height, thumb_width=thumb.width, thumb_height=thumb.height, phash=phash,
                       faces=faces)


def decode_upright(data: bytes, edge: int, *, max_bytes: int = MAX_BYTES) -> Image.Image:
    """The photo's pixels as plain RGB, upright, decoded at the smallest JPEG scale that keeps
    a long edge of at least ``edge`` (other types at full size); not yet resized."""
    kind, im = _open(data, max_bytes)
    with im:
        try:
            orientation = 1 if kind == "heic" else _int_in(_exif(im).get(ExifTags.Base.Orientation), 1, 8)
            if kind == "jpeg":
                draft_for(im, edge)
            im.load()
            out = to_rgb(upright(im, orientation))
            return out.copy() if out is im else out  # closing im empties it
        except ImageRejected:
            raise
        except Exception as exc:  # noqa: BLE001 - decoders raise many types on hostile input
            raise _corrupt() from exc


# --- sniffing and opening --------------------------------------------------------------------


def sniff(data: bytes) -> ImageType:
    """The image type from the first bytes (never from the file name or the client's word)."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        size = int.from_bytes(head[:4], "big")
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
        if b"avif" in brands or b"avis" in brands:
            raise _unsupported("AVIF")
        if brands & _HEIC_BRANDS:
            return "heic"
        raise _unsupported("MP4/MOV")
    for magic, name in _OTHER_TYPES:
        if head.startswith(magic):
            raise _unsupported(name)
    text = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<") and b"<svg" in text:
        raise ImageRejected("unsupported_type",
                            _("SVG drawings are not accepted. Upload a photo: JPEG, PNG, WebP or HEIC."))
    raise ImageRejected("not_an_image", _("This file is not a photo (its content is not an image)."))


def _open(data: bytes, max_bytes: int) -> tuple[ImageType, Image.Image]:
    if len(data) > max_bytes:
        raise ImageRejected("too_large", _("The file is too large ({size} MB; at most {limit} MB).").format(
            size=_mb(len(data)), limit=_mb(max_bytes)))
    kind = sniff(data)
    try:
        im = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[kind]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception as exc:  # noqa: BLE001 - parsers raise many types on hostile input
        raise _corrupt() from exc
    if im.width * im.height > MAX_PIXELS:
        im.close()
        raise _too_many_pixels()
    if not _is_complete(kind, data, im):
        im.close()
        raise _corrupt()
    return kind, im


def _is_complete(kind: ImageType, data: bytes, im: Image.Image) -> bool:
    """A cheap structural check that the file was not cut off (a broken upload), no decode."""
    if kind == "jpeg":
        # The entropy-coded data cannot contain FF D9, so a whole JPEG has an end-of-image
        # marker after its first scan (phones may append more data after it: allowed).
        tile = getattr(im, "tile", None)  # set by the JPEG parser: where the image data starts
        scan_start = tile[0].offset if tile else 2
        return data.find(b"\xff\xd9", scan_start) != -1
    if kind == "png":
        return data.rfind(_IEND) != -1
    if kind == "webp":
        return 8 + int.from_bytes(data[4:8], "little") <= len(data)
    # HEIC: the top-level ISO-BMFF boxes must fit in the file exactly.
    offset = 0
    while offset < len(data):
        size = int.from_bytes(data[offset:offset + 4], "big")
        if size == 1:
            size = int.from_bytes(data[offset + 8:offset + 16], "big")
        elif size == 0:
            return True
        if size < 8 or offset + size > len(data):
            return False
        offset += size
    return True


# --- EXIF ------------------------------------------------------------------------------------


def _exif(im: Image.Image) -> Image.Exif:
    try:
        return im.getexif()
    except Exception:  # noqa: BLE001 - a broken EXIF block means no EXIF, not a broken photo
        return Image.Exif()


def _ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        ifd = exif.get_ifd(tag)
    except Exception:  # noqa: BLE001
        return {}
    return ifd if isinstance(ifd, dict) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if ch.isprintable()).strip()
    return cleaned[:64] or None


def _int_in(value: Any, low: int, high: int) -> int | None:
    return value if isinstance(value, int) and low <= value <= high else None


def parse_exif_datetime(value: Any) -> datetime | None:
    """``"2024:05:01 14:30:05"`` -> a naive datetime (the camera's local time); garbage,
    blanks and ``0000:00:00 00:00:00`` -> None."""
    text = _text(value)
    match = _EXIF_DATETIME.match(text or "")
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def parse_utc_offset(offset: str) -> timezone:
    """``"+07:00"`` (WIB), ``"+0800"`` (WITA) -> a fixed time zone; ValueError otherwise."""
    match = _UTC_OFFSET.fullmatch(offset.strip())
    if not match:
        raise ValueError(f"not a UTC offset like +07:00: {offset!r}")
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        raise ValueError(f"not a UTC offset like +07:00: {offset!r}")
    return timezone(-delta if sign == "-" else delta)


def capture_time_utc(taken_at: datetime, utc_offset: str) -> datetime:
    """The camera's local capture time read in the site's time zone (its province's UTC offset,
    e.g. ``"+07:00"``), as an aware UTC datetime."""
    if taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=parse_utc_offset(utc_offset))
    return taken_at.astimezone(UTC)


def gps_degrees(gps: dict[int, Any]) -> tuple[float | None, float | None]:
    """(latitude, longitude) in signed decimal degrees from an EXIF GPS IFD; (None, None) when
    either is missing, malformed, out of range, or the 0,0 that cameras write without a fix."""
    latitude = _degrees(gps.get(2), gps.get(1), "N", "S", 90)
    longitude = _degrees(gps.get(4), gps.get(3), "E", "W", 180)
    if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
        return None, None
    return latitude, longitude


def _degrees(value: Any, ref: Any, positive: str, negative: str, limit: float) -> float | None:
    ref_text = (_text(ref) or "").upper()[:1]
    if ref_text not in (positive, negative):
        return None
    try:
        parts = [float(v) for v in (value if isinstance(value, tuple | list) else (value,))]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    d, m, s = (parts + [0.0, 0.0])[:3]
    if m >= 60 or s >= 60:
        return None
    degrees = d + m / 60 + s / 3600
    if degrees > limit:
        return None
    return round(-degrees if ref_text == negative else degrees, 7)


# --- pixels ------------------------------------------------------------------------------------


def draft_for(im: Image.Image, edge: int) -> None:
    """Ask the JPEG decoder for the smallest 1/2, 1/4, 1/8 scale that still has a long edge of
    at least ``edge``. The box must keep the photo's aspect ratio: draft keeps *both* sides at
    or above the box, so a square box does nothing for a 4:3 photo (STACK-NOTES trap 21)."""
    width, height = im.size
    scale = edge / max(width, height)
    if scale < 1:
        im.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))


def upright(im: Image.Image, orientation: int | None) -> Image.Image:
    method = _TRANSPOSE.get(orientation or 1)
    return im.transpose(method) if method is not None else im


def to_rgb(im: Image.Image) -> Image.Image:
    """Plain 8-bit RGB; transparency goes onto white, 16-bit grey is scaled, not clipped."""
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", im.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if im.mode.startswith("I") or im.mode == "F":
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    return im.convert("RGB")


def fit(im: Image.Image, edge: int) -> Image.Image:
    """A copy whose long edge is at most ``edge`` (never enlarged), LANCZOS-filtered."""
    width, height = im.size
    scale = edge / max(width, height)
    if scale >= 1:
        return im.copy()
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return im.resize(size, RESAMPLE, reducing_gap=3.0)


def encode_jpeg(im: Image.Image) -> bytes:
    """Pixels only: ``im.info`` (EXIF, ICC, XMP, comments, text chunks) is emptied first, since
    Pillow carries some of it into the file (a JPEG comment, for one). Pass an image you own."""
    im.info = {}
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def check_box(box: Box) -> Box:
    """``box`` unchanged if it is (left, top, right, bottom) inside 0..1; ValueError otherwise."""
    left, top, right, bottom = box
    if not all(math.isfinite(v) for v in box) or not (0 <= left < right <= 1 and 0 <= top < bottom <= 1):
        raise ValueError(f"a blur box is (left, top, right, bottom) in fractions 0..1, got {box!r}")
    return box


def blur_box(im: Image.Image, box: Box) -> Image.Image:
    """A copy with ``box`` (fractions of the image) pixelated to about ``BLUR_CELLS`` cells across
    its long side (what is lost cannot be sharpened back) and then blurred across cells (so the
    cells' edges do not draw eyes and a mouth again): strong enough that a face in it is no
    longer recognisable, nor found by the detector (bench/bench_faces.py checks that)."""
    left, top, right, bottom = check_box(box)
    width, height = im.size
    area = (math.floor(left * width), math.floor(top * height), math.ceil(right * width), math.ceil(bottom * height))
    region = im.crop(area)
    cell = max(2, max(region.size) // BLUR_CELLS)
    coarse = region.resize((max(1, region.width // cell), max(1, region.height // cell)), Image.Resampling.BOX)
    region = coarse.resize(region.size, Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(cell * BLUR_SIGMA))
    out = im.copy()
    out.paste(region, area[:2])
    return out


# --- perceptual hash -----------------------------------------------------------------------------


def dhash(im: Image.Image) -> int:
    """64-bit difference hash: a 9x8 grey thumbnail, one bit per horizontal neighbour pair
    (left brighter than right). Survives re-encoding and resizing; unsigned (store as text or
    subtract 2**63 for a signed BIGINT column)."""
    grey = im.convert("L").resize((9, 8), Image.Resampling.BOX)
    pixels = grey.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (pixels[row * 9 + col] > pixels[row * 9 + col + 1])
    return bits


def hamming(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return (a ^ b).bit_count()


def near_identical(a: int, b: int) -> bool:
    """The same photo, give or take re-encoding and resizing."""
    return hamming(a, b) <= NEAR_IDENTICAL_BITS


# --- messages ----------------------------------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _unsupported(kind: str) -> ImageRejected:
    return ImageRejected("unsupported_type", _("This is a {kind} file. Photos must be JPEG, PNG, WebP or HEIC.").format(
        kind=kind))


def _corrupt() -> ImageRejected:
    return ImageRejected("corrupt", _("The photo is damaged or incomplete (perhaps the upload was cut off). "
                                      "Send it again."))


def _too_many_pixels() -> ImageRejected:
    return ImageRejected("too_many_pixels", _("The image has too many pixels (at most {limit} megapixels).").format(
        limit=MAX_PIXELS // 1_000_000))
