"""The photo pipeline (fieldvisit.storage.images) as a specification: what is kept from an
upload, what is refused and why, and what the derivatives look like."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime

import pytest
from PIL import ExifTags, Image, ImageStat, TiffImagePlugin

from fieldvisit.demo.photos import camera_exif, camera_jpeg, textured_photo
from fieldvisit.storage import images
from fieldvisit.storage.images import ImageRejected, inspect, make_derivatives

TAKEN = datetime(2024, 5, 1, 14, 30, 5)
PUSPAGA_TANGERANG = (-6.1783, 106.6319)


# --- helpers that make test files ----------------------------------------------------------


def upright_portrait(width: int = 300, height: int = 400) -> Image.Image:
    """A textured portrait photo with a pure red band along its top: 'up' is visible."""
    im = textured_photo(width, height, seed=7)
    im.paste((255, 0, 0), (0, 0, width, height // 8))
    return im


def png(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **params)
    return buffer.getvalue()


def heic(image: Image.Image, exif: Image.Exif) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "HEIF", exif=exif.tobytes(), quality=80)  # tiny: x265 is slow on big ones
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A small PNG file that claims a huge image (what a decompression bomb looks like)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
            + chunk(b"IEND", b""))


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is patched to claim another size."""
    data = bytearray(camera_jpeg(textured_photo(64, 48)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def with_app1(jpeg: bytes, payload: bytes) -> bytes:
    """Insert a raw APP1 segment right after the start-of-image marker."""
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def raw_gps_exif(entries: list[tuple[int, int, bytes]]) -> bytes:
    """An EXIF block written byte by byte, so its GPS entries can have any type at all:
    (tag, TIFF type, value bytes)."""
    gps_at = 8 + 2 + 12 + 4
    ifd0 = struct.pack(">HHHII", 1, 0x8825, 4, 1, gps_at) + struct.pack(">I", 0)
    data_at = gps_at + 2 + 12 * len(entries) + 4
    gps, blobs = struct.pack(">H", len(entries)), b""
    for tag, kind, value in entries:
        count = len(value) if kind == 2 else len(value) // 8
        if len(value) <= 4:
            gps += struct.pack(">HHI", tag, kind, count) + value.ljust(4, b"\x00")
        else:
            gps += struct.pack(">HHII", tag, kind, count, data_at + len(blobs))
            blobs += value + b"\x00" * (len(value) % 2)
    return b"Exif\x00\x00MM\x00*" + struct.pack(">I", 8) + ifd0 + gps + struct.pack(">I", 0) + blobs


def jpeg_markers(data: bytes) -> set[int]:
    """The marker of every segment before the image data."""
    markers, i = set(), 2
    while i < len(data):
        assert data[i] == 0xFF
        marker = data[i + 1]
        markers.add(marker)
        if marker == 0xDA:
            return markers
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    raise AssertionError("no image data")


PIXELS_ONLY = {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA}  # JFIF, tables, frame, scan: no APPn/COM


def mean_rgb(image_bytes: bytes, box: tuple[float, float, float, float]) -> tuple[float, ...]:
    im = Image.open(io.BytesIO(image_bytes))
    w, h = im.size
    region = im.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    return tuple(ImageStat.Stat(region).mean)


def is_red(rgb: tuple[float, ...]) -> bool:
    return rgb[0] > 200 and rgb[1] < 60 and rgb[2] < 60


# --- what is kept ------------------------------------------------------------------------------


def test_a_portrait_photo_with_orientation_6_ends_up_upright_and_keeps_gps_and_capture_time():
    # The camera stores the pixels sideways and says "rotate 90 degrees clockwise" (6).
    stored = upright_portrait().transpose(Image.Transpose.ROTATE_90)
    data = camera_jpeg(stored, camera_exif(orientation=6, taken_at=TAKEN, gps=PUSPAGA_TANGERANG))

    info = inspect(data)
    assert (info.type, info.content_type) == ("jpeg", "image/jpeg")
    assert (info.width, info.height, info.orientation) == (300, 400, 6)
    assert info.taken_at == TAKEN
    assert info.latitude == pytest.approx(-6.1783, abs=1e-6)
    assert info.longitude == pytest.approx(106.6319, abs=1e-6)
    assert (info.make, info.model) == ("samsung", "SM-A155F")

    result = make_derivatives(data)
    for jpeg, size in ((result.display_jpeg, (300, 400)), (result.thumb_jpeg, (240, 320))):
        assert Image.open(io.BytesIO(jpeg)).size == size
        assert is_red(mean_rgb(jpeg, (0.1, 0.0, 0.9, 0.1)))  # the red band is on top
        assert not is_red(mean_rgb(jpeg, (0.1, 0.9, 0.9, 1.0)))
    assert (result.width, result.height, result.thumb_width, result.thumb_height) == (300, 400, 240, 320)


def test_the_sha256_is_of_the_bytes_as_uploaded():
    data = camera_jpeg(textured_photo(64, 48))
    import hashlib

    assert inspect(data).sha256 == hashlib.sha256(data).hexdigest()
    assert inspect(data).byte_size == len(data)


def test_a_12_mp_photo_gives_a_1280_display_and_a_320_thumbnail_and_a_small_one_is_not_enlarged():
    big = make_derivatives(camera_jpeg(Image.new("RGB", (4000, 3000), (90, 120, 60))))
    assert (big.width, big.height, big.thumb_width, big.thumb_height) == (1280, 960, 320, 240)
    small = make_derivatives(camera_jpeg(textured_photo(200, 100)))
    assert (small.width, small.height, small.thumb_width, small.thumb_height) == (200, 100, 200, 100)


@pytest.mark.parametrize(("stored", "decoded"), [
    ((4000, 3000), (2000, 1500)),  # 1/2: 1/4 would give a long edge below 1280
    ((3000, 4000), (1500, 2000)),
    ((8000, 6000), (2000, 1500)),  # 1/4
    ((2048, 1536), (2048, 1536)),  # 1/2 would be too small: decoded whole
    ((1280, 960), (1280, 960)),
])
def test_big_jpegs_are_decoded_at_the_smallest_scale_that_still_fills_the_display(stored, decoded):
    im = Image.open(io.BytesIO(camera_jpeg(Image.new("RGB", stored, (90, 120, 60)), quality=50)))
    images.draft_for(im, images.DISPLAY_EDGE)
    assert im.size == decoded


def test_a_heic_photo_is_read_with_its_gps_and_capture_time():
    stored = upright_portrait(48, 64).transpose(Image.Transpose.ROTATE_90)
    data = heic(stored, camera_exif(orientation=6, taken_at=TAKEN, gps=PUSPAGA_TANGERANG, make="Apple",
                                    model="iPhone 13"))
    info = inspect(data)
    assert (info.type, info.content_type) == ("heic", "image/heic")
    assert (info.width, info.height) == (48, 64)  # the HEIC decoder applies the rotation itself
    assert info.taken_at == TAKEN
    assert (info.latitude, info.longitude) == pytest.approx(PUSPAGA_TANGERANG, abs=1e-6)
    assert (info.make, info.model) == ("Apple", "iPhone 13")
    result = make_derivatives(data)
    assert (result.width, result.height) == (48, 64)
    assert is_red(mean_rgb(result.display_jpeg, (0.1, 0.0, 0.9, 0.1)))


def saved(image: Image.Image, kind: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **params)
    return buffer.getvalue()


PHOTO = textured_photo(160, 120)
ACCEPTED = [
    ("PNG", saved(PHOTO, "PNG"), "png"),
    ("WebP", saved(PHOTO, "WEBP"), "webp"),
    ("progressive JPEG", saved(PHOTO, "JPEG", progressive=True), "jpeg"),
    ("CMYK JPEG", saved(PHOTO.convert("CMYK"), "JPEG"), "jpeg"),
    ("multi-picture JPEG (a phone's portrait mode)",
     saved(PHOTO, "MPO", save_all=True, append_images=[textured_photo(80, 60)]), "jpeg"),
    ("16-bit grey PNG", saved(Image.new("I;16", (160, 120), 40000), "PNG"), "png"),
]


@pytest.mark.parametrize(("case", "data", "kind"), ACCEPTED, ids=[case for case, _d, _k in ACCEPTED])
def test_other_forms_of_photo_are_accepted(case, data, kind):
    info = inspect(data)
    assert info.type == kind and (info.width, info.height) == (160, 120)
    result = make_derivatives(data)
    assert (result.width, result.height) == (160, 120)
    assert Image.open(io.BytesIO(result.display_jpeg)).mode == "RGB"


def test_16_bit_grey_is_scaled_not_clipped():
    result = make_derivatives(saved(Image.new("I;16", (16, 16), 40000), "PNG"))
    assert Image.open(io.BytesIO(result.display_jpeg)).getpixel((8, 8)) == pytest.approx((156, 156, 156), abs=2)


def test_transparency_is_flattened_onto_white():
    clear = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    result = make_derivatives(png(clear))
    assert min(mean_rgb(result.display_jpeg, (0, 0, 1, 1))) > 250


# --- what is left behind -----------------------------------------------------------------------


def test_derivatives_carry_no_exif_xmp_icc_or_comment():
    exif = camera_exif(orientation=1, taken_at=TAKEN, gps=PUSPAGA_TANGERANG)
    buffer = io.BytesIO()
    textured_photo(400, 300).save(buffer, "JPEG", exif=exif.tobytes(), icc_profile=b"\x00" * 128 + b"ICC-SECRET",
                                  comment=b"<script>alert(1)</script>",
                                  xmp=b"<x:xmpmeta>GPS secret</x:xmpmeta>")
    result = make_derivatives(buffer.getvalue())
    for jpeg in (result.display_jpeg, result.thumb_jpeg):
        assert jpeg_markers(jpeg) <= PIXELS_ONLY
        for secret in (b"Exif", b"ICC", b"xmpmeta", b"<script", b"samsung"):
            assert secret not in jpeg
        assert not Image.open(io.BytesIO(jpeg)).getexif()


def test_a_png_with_a_script_in_a_text_chunk_comes_out_as_re_encoded_pixels_only():
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "<script>fetch('/admin')</script>")
    text.add_itxt("XML:com.adobe.xmp", "<script>alert(1)</script>")
    data = png(textured_photo(200, 150), pnginfo=text)
    assert b"<script>" in data

    result = make_derivatives(data)
    for jpeg in (result.display_jpeg, result.thumb_jpeg):
        assert jpeg.startswith(b"\xff\xd8") and jpeg_markers(jpeg) <= PIXELS_ONLY
        assert b"script" not in jpeg and b"fetch" not in jpeg


# --- what is refused ---------------------------------------------------------------------------

SMALL_JPEG = camera_jpeg(textured_photo(320, 240), camera_exif(taken_at=TAKEN))
SMALL_HEIC = heic(textured_photo(64, 48), camera_exif())
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def webp() -> bytes:
    buffer = io.BytesIO()
    textured_photo(160, 120).save(buffer, "WEBP")
    return buffer.getvalue()


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (8, 8)).save(buffer, "GIF")
    return buffer.getvalue()


REFUSED = [
    ("a text file named .jpg", b"Laporan kunjungan: semua baik.\n", "not_an_image"),
    ("an empty upload", b"", "not_an_image"),
    ("random bytes", bytes(range(256)) * 4, "not_an_image"),
    ("a truncated JPEG", SMALL_JPEG[: len(SMALL_JPEG) // 2], "corrupt"),
    ("a JPEG cut inside its headers", SMALL_JPEG[:40], "corrupt"),
    ("a truncated PNG", png(textured_photo(64, 48))[:-30], "corrupt"),
    ("a truncated WebP", webp()[:-50], "corrupt"),
    ("a truncated HEIC", SMALL_HEIC[: len(SMALL_HEIC) // 2], "corrupt"),
    ("a 20000 x 20000 PNG (bomb)", png_header(20_000, 20_000), "too_many_pixels"),
    ("a 20000 x 20000 JPEG (bomb)", jpeg_claiming(20_000, 20_000), "too_many_pixels"),
    ("a 72 MP image, just over the limit", png_header(9000, 8000), "too_many_pixels"),
    ("an SVG with a script", SVG, "unsupported_type"),
    ("an SVG without an XML declaration", b"  <svg viewBox='0 0 1 1'></svg>", "unsupported_type"),
    ("a PDF", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "unsupported_type"),
    ("a GIF", gif(), "unsupported_type"),
    ("a MOV video", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "unsupported_type"),
]


@pytest.mark.parametrize(("case", "data", "reason"), REFUSED, ids=[case for case, _d, _r in REFUSED])
def test_it_refuses(case, data, reason):
    for step in (inspect, make_derivatives):
        with pytest.raises(ImageRejected) as refused:
            step(data)
        assert refused.value.reason == reason, case
        assert refused.value.message and refused.value.status_code == 422


def test_it_refuses_a_file_over_the_size_limit_before_looking_at_it():
    with pytest.raises(ImageRejected) as refused:
        inspect(SMALL_JPEG, max_bytes=1000)
    assert refused.value.reason == "too_large"


def test_a_refusal_says_why_in_indonesian_by_default_and_in_english_on_request():
    from fieldvisit.web import i18n

    with i18n.language("id"), pytest.raises(ImageRejected) as indonesian:
        inspect(SVG)
    with i18n.language("en"), pytest.raises(ImageRejected) as english:
        inspect(SVG)
    assert english.value.message == "SVG drawings are not accepted. Upload a photo: JPEG, PNG, WebP or HEIC."
    assert indonesian.value.message == "Gambar SVG tidak diterima. Unggah foto: JPEG, PNG, WebP, atau HEIC."


# --- EXIF that is garbage or missing --------------------------------------------------------------

ZERO = TiffImagePlugin.IFDRational(1, 0)


def exif_with(*, base: dict | None = None, sub: dict | None = None, gps: dict | None = None) -> bytes:
    exif = Image.Exif()
    for tag, value in (base or {}).items():
        exif[tag] = value
    if sub is not None:
        exif[ExifTags.IFD.Exif] = sub
    if gps is not None:
        exif[ExifTags.IFD.GPSInfo] = gps
    return camera_jpeg(textured_photo(64, 48), exif)


GARBAGE_EXIF = [
    ("no EXIF at all", camera_jpeg(textured_photo(64, 48))),
    ("empty strings", exif_with(base={ExifTags.Base.Make: "", ExifTags.Base.Model: "   "},
                                sub={ExifTags.Base.DateTimeOriginal: ""})),
    ("a zeroed date and unknown orientation", exif_with(base={ExifTags.Base.Orientation: 42},
                                                        sub={ExifTags.Base.DateTimeOriginal: "0000:00:00 00:00:00"})),
    ("an impossible date", exif_with(sub={ExifTags.Base.DateTimeOriginal: "2024:13:45 99:00:00"})),
    ("a date that is not one", exif_with(sub={ExifTags.Base.DateTimeOriginal: "yesterday"})),
    ("GPS with zero denominators", exif_with(gps={1: "S", 2: (ZERO, ZERO, ZERO), 3: "E", 4: (ZERO, 0.0, 0.0)})),
    ("GPS with an unknown reference", exif_with(gps={1: "X", 2: (6.0, 10.0, 0.0), 3: "E", 4: (106.0, 0.0, 0.0)})),
    ("GPS without references", exif_with(gps={2: (6.0, 10.0, 0.0), 4: (106.0, 0.0, 0.0)})),
    ("GPS as text", with_app1(camera_jpeg(textured_photo(64, 48)), raw_gps_exif(
        [(1, 2, b"S\x00"), (2, 2, b"six south\x00"), (3, 2, b"E\x00"), (4, 2, b"somewhere\x00")]))),
    ("GPS out of range", exif_with(gps={1: "S", 2: (95.0, 0.0, 0.0), 3: "E", 4: (106.0, 75.0, 0.0)})),
    ("GPS 0,0 (no fix)", exif_with(gps={1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)})),
    ("only a latitude", exif_with(gps={1: "S", 2: (6.0, 10.0, 0.0)})),
    ("an APP1 that is EXIF in name only", with_app1(camera_jpeg(textured_photo(64, 48)),
                                                    b"Exif\x00\x00" + bytes(range(200)))),
    ("an APP1 with a broken TIFF header", with_app1(camera_jpeg(textured_photo(64, 48)),
                                                    b"Exif\x00\x00MM\x00*\xff\xff\xff\xff")),
]


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")  # Pillow's note; we go on without
@pytest.mark.parametrize(("case", "data"), GARBAGE_EXIF, ids=[case for case, _d in GARBAGE_EXIF])
def test_garbage_or_missing_exif_gives_empty_fields_and_still_a_photo(case, data):
    info = inspect(data)
    assert (info.taken_at, info.latitude, info.longitude) == (None, None, None), case
    assert info.make is None and info.model is None and info.orientation in (None, 1)
    assert make_derivatives(data).width == 64


@pytest.mark.parametrize(("value", "expected"), [
    ("2024:05:01 14:30:05", datetime(2024, 5, 1, 14, 30, 5)),
    ("2024:05:01 14:30:05\x00", datetime(2024, 5, 1, 14, 30, 5)),
    (b"2024:05:01 14:30:05", datetime(2024, 5, 1, 14, 30, 5)),
    ("2024-05-01 14:30:05", datetime(2024, 5, 1, 14, 30, 5)),
    ("0000:00:00 00:00:00", None),
    ("    :  :     :  :  ", None),
    ("2024:02:30 10:00:00", None),
    (None, None),
    (20240501, None),
])
def test_exif_capture_times_are_read_as_naive_local_times(value, expected):
    assert images.parse_exif_datetime(value) == expected


@pytest.mark.parametrize(("gps", "expected"), [
    ({1: "S", 2: (6.0, 10.0, 41.88), 3: "E", 4: (106.0, 37.0, 54.84)}, (-6.1783, 106.6319)),
    ({1: b"N", 2: (52.0, 31.2, 0.0), 3: b"E", 4: (13.40497,)}, (52.52, 13.40497)),
    ({1: "S", 2: (8.65,), 3: "W", 4: (115.2167, 0.0, 0.0)}, (-8.65, -115.2167)),
    ({1: "S", 2: (6.0, 61.0, 0.0), 3: "E", 4: (106.0, 0.0, 0.0)}, (None, None)),
    ({1: "S", 2: (-6.0, 0.0, 0.0), 3: "E", 4: (106.0, 0.0, 0.0)}, (None, None)),
    ({1: "S", 2: (6.0, 0.0, 0.0, 1.0), 3: "E", 4: (106.0, 0.0, 0.0)}, (None, None)),
    ({}, (None, None)),
])
def test_gps_is_converted_from_degrees_minutes_seconds(gps, expected):
    latitude, longitude = images.gps_degrees(gps)
    if expected == (None, None):
        assert (latitude, longitude) == expected
    else:
        assert (latitude, longitude) == pytest.approx(expected, abs=1e-4)


# --- capture time in the site's time zone --------------------------------------------------------


@pytest.mark.parametrize(("offset", "utc"), [
    ("+07:00", datetime(2024, 5, 1, 7, 30, 5, tzinfo=UTC)),  # WIB: Tangerang, Serang
    ("+08:00", datetime(2024, 5, 1, 6, 30, 5, tzinfo=UTC)),  # WITA: Denpasar
    ("+0900", datetime(2024, 5, 1, 5, 30, 5, tzinfo=UTC)),  # WIT
    ("-03:30", datetime(2024, 5, 1, 18, 0, 5, tzinfo=UTC)),
])
def test_a_capture_time_is_read_in_the_site_time_zone(offset, utc):
    assert images.capture_time_utc(TAKEN, offset) == utc


@pytest.mark.parametrize("offset", ["WIB", "+7", "+25:00", "07:00", ""])
def test_a_time_zone_that_is_not_an_offset_is_refused(offset):
    with pytest.raises(ValueError):
        images.capture_time_utc(TAKEN, offset)


# --- perceptual hash -------------------------------------------------------------------------------


def test_a_re_encoded_smaller_copy_has_a_near_identical_hash_and_another_photo_does_not():
    original = textured_photo(1600, 1200, seed=1)
    copy = original.resize((1024, 768), Image.Resampling.LANCZOS)
    first = make_derivatives(camera_jpeg(original, quality=92)).phash
    again = make_derivatives(camera_jpeg(copy, quality=60)).phash
    other = make_derivatives(camera_jpeg(textured_photo(1600, 1200, seed=2), quality=92)).phash
    assert images.hamming(first, again) <= 2 and images.near_identical(first, again)
    assert images.hamming(first, other) > 16 and not images.near_identical(first, other)
    assert 0 <= first < 2**64


@pytest.mark.parametrize(("a", "b", "bits"), [(0, 0, 0), (0, 1, 1), (0, 2**64 - 1, 64), (0b1010, 0b0101, 4)])
def test_hamming_counts_the_bits_that_differ(a, b, bits):
    assert images.hamming(a, b) == bits


# --- blurring (the face-blur step supplies the boxes) ------------------------------------------------


def test_a_blur_box_hides_detail_inside_and_leaves_the_rest_and_the_hash_alone():
    data = camera_jpeg(textured_photo(400, 300, seed=3), quality=95)
    plain = make_derivatives(data)
    blurred = make_derivatives(data, blur_boxes=[(0.25, 0.25, 0.75, 0.75)])
    assert blurred.phash == plain.phash

    def detail(jpeg: bytes, box: tuple[float, float, float, float]) -> float:
        im = Image.open(io.BytesIO(jpeg)).convert("L")
        w, h = im.size
        region = im.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
        edges = region.filter(images.ImageFilter.FIND_EDGES)
        return ImageStat.Stat(edges).mean[0]

    inside, outside = (0.35, 0.35, 0.65, 0.65), (0.0, 0.0, 1.0, 0.2)
    assert detail(blurred.display_jpeg, inside) < detail(plain.display_jpeg, inside) / 5
    assert detail(blurred.display_jpeg, outside) == pytest.approx(detail(plain.display_jpeg, outside), rel=0.05)


def test_blur_all_blurs_the_whole_photo():
    data = camera_jpeg(textured_photo(400, 300, seed=3), quality=95)
    plain, blurred = make_derivatives(data), make_derivatives(data, blur_all=True)
    sharp = ImageStat.Stat(Image.open(io.BytesIO(plain.display_jpeg)).convert("L").filter(
        images.ImageFilter.FIND_EDGES)).mean[0]
    soft = ImageStat.Stat(Image.open(io.BytesIO(blurred.display_jpeg)).convert("L").filter(
        images.ImageFilter.FIND_EDGES)).mean[0]
    assert soft < sharp / 5


@pytest.mark.parametrize("box", [(0.5, 0.5, 0.4, 0.9), (-0.1, 0, 0.5, 0.5), (0, 0, 1.5, 1), (0, 0, float("nan"), 1)])
def test_a_blur_box_outside_the_photo_is_a_programming_error(box):
    with pytest.raises(ValueError):
        make_derivatives(SMALL_JPEG, blur_boxes=[box])
