"""Generated photos for the demo, the tests and the benchmarks: textured and noisy like a real
camera's (not flat colour, which would make decoding and encoding unrealistically cheap), with
the EXIF a phone writes (capture time, GPS, make, model, orientation)."""

from __future__ import annotations

import io
import random
from datetime import datetime

from PIL import ExifTags, Image, ImageChops, ImageDraw


def textured_photo(width: int, height: int, *, seed: int = 0) -> Image.Image:
    """Random shapes (the scene) under a mid-scale texture and per-pixel sensor noise; a 12 MP
    one is ~4.5 MB as a quality-90 JPEG, like a phone's. Same seed, same picture."""
    rng = random.Random(seed)
    small = (max(8, width // 16), max(6, height // 16))
    scene = Image.new("RGB", small, tuple(rng.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(scene)
    for _ in range(40):
        x, y, r = rng.randrange(small[0]), rng.randrange(small[1]), rng.randrange(2, max(3, small[0] // 4))
        colour = tuple(rng.randrange(40, 230) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    scene = scene.resize((width, height), Image.Resampling.BICUBIC)
    texture = Image.effect_noise((max(1, width // 4), max(1, height // 4)), 32).resize(
        (width, height), Image.Resampling.BILINEAR)
    grain = ImageChops.add(texture, Image.effect_noise((width, height), 10), offset=-128)
    return Image.merge("RGB", [ImageChops.add(channel, grain, offset=-128) for channel in scene.split()])


def camera_exif(*, orientation: int = 1, taken_at: datetime | None = None,
                gps: tuple[float, float] | None = None, make: str | None = "samsung",
                model: str | None = "SM-A155F") -> Image.Exif:
    """EXIF as a phone writes it; ``gps`` is (latitude, longitude) in signed degrees."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    if make:
        exif[ExifTags.Base.Make] = make
    if model:
        exif[ExifTags.Base.Model] = model
    if taken_at is not None:
        exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: taken_at.strftime("%Y:%m:%d %H:%M:%S")}
    if gps is not None:
        latitude, longitude = gps
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if latitude >= 0 else "S", ExifTags.GPS.GPSLatitude: _dms(latitude),
            ExifTags.GPS.GPSLongitudeRef: "E" if longitude >= 0 else "W", ExifTags.GPS.GPSLongitude: _dms(longitude),
        }
    return exif


def camera_jpeg(image: Image.Image, exif: Image.Exif | None = None, *, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=(exif or Image.Exif()).tobytes())
    return buffer.getvalue()


def _dms(degrees: float) -> tuple[float, float, float]:
    """Degrees, minutes, seconds (rounded on the total, so 59.99996 s never becomes 60 s)."""
    total = round(abs(degrees) * 3600, 4)
    whole, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return float(whole), float(minutes), round(seconds, 4)
