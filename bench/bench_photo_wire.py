"""Bytes on the wire for a 12 MP phone JPEG through the browser path (issue 4, benchmark 2).

A real `fieldvisit serve` with the demo (SQLite, local store) and Debian's Chromium through
Playwright at 360x800: the demo verifier picks a 12 MP camera JPEG (4000x3000, quality 90,
EXIF with capture time, GPS, make, model and orientation 6) in the visit page's photo input;
``static/capture.js`` downscales it to PHOTO_CLIENT_LONG_EDGE and re-encodes it at the highest
quality that fits its wire budget. The request body is captured on its way out: its size next to
the original's, the JPEG quality it was encoded at (read from its quantisation tables), and the
EXIF of the JPEG in it (time, GPS, make kept; orientation reset to 1). Target: <= 10 % of the
original, EXIF kept. Beside it, Chromium's encoder swept over quality on the same downscale:
bytes and PSNR against the downscale itself, what each quality costs.

Smoke: the same with a 3 MP photo.
"""

from __future__ import annotations

import base64
import io
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path

from PIL import ExifTags, Image

from bench.common import Figure, migrate_and_demo, server

CHROMIUM = "/usr/bin/chromium"


QUALITIES = (0.5, 0.55, 0.6, 0.7, 0.8, 0.9)


def sent_quality(jpeg: Image.Image) -> int:
    """The libjpeg quality (1-100) whose standard tables are the JPEG's: Chromium's toBlob uses
    libjpeg-turbo's jpeg_set_quality, as Pillow does."""
    tables = jpeg.quantization  # type: ignore[attr-defined]
    blank = Image.new("RGB", (16, 16))
    for quality in range(100, 0, -1):
        made = io.BytesIO()
        blank.save(made, "JPEG", quality=quality)
        if Image.open(made).quantization == tables:  # type: ignore[attr-defined]
            return quality
    return 0


def quality_sweep(page, original: bytes) -> dict[float, tuple[int, float]]:  # type: ignore[no-untyped-def]
    """(bytes, PSNR in dB against the canvas) of the JPEG Chromium makes of the photo at the
    client's long edge, per quality."""
    return {float(q): (int(n), float(psnr)) for q, n, psnr in page.evaluate("""async ([data, qualities, edge]) => {
      const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));  // (the page's CSP refuses data: fetches)
      const blob = new Blob([bytes], {type: "image/jpeg"});
      const bitmap = await createImageBitmap(blob, {imageOrientation: "from-image"});
      const scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
      const context = canvas.getContext("2d");
      context.imageSmoothingQuality = "high";
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const reference = context.getImageData(0, 0, canvas.width, canvas.height).data;
      const check = document.createElement("canvas");
      check.width = canvas.width; check.height = canvas.height;
      const checkContext = check.getContext("2d");
      const out = [];
      for (const q of qualities) {
        const made = await new Promise(resolve => canvas.toBlob(resolve, "image/jpeg", q));
        checkContext.drawImage(await createImageBitmap(made), 0, 0);
        const decoded = checkContext.getImageData(0, 0, check.width, check.height).data;
        let sum = 0;
        for (let i = 0; i < decoded.length; i += 4) {
          const r = decoded[i] - reference[i], g = decoded[i + 1] - reference[i + 1], b = decoded[i + 2] - reference[i + 2];
          sum += r * r + g * g + b * b;
        }
        const mse = sum / (3 * decoded.length / 4);
        out.push([q, made.size, 10 * Math.log10(255 * 255 / mse)]);
      }
      return out;
    }""", [base64.b64encode(original).decode(), list(QUALITIES), 2048])}


def run(smoke: bool) -> list[Figure]:
    from playwright.sync_api import sync_playwright

    from fieldvisit.demo.photos import camera_exif, camera_jpeg, textured_photo

    size = (2000, 1500) if smoke else (4000, 3000)
    folder = Path(tempfile.mkdtemp(prefix="fv-bench-wire-"))
    original = camera_jpeg(textured_photo(*size, seed=12), camera_exif(
        orientation=6, taken_at=datetime(2025, 7, 14, 10, 30), gps=(-6.1783, 106.6319)))
    photo = folder / "IMG_20250714_103000.jpg"
    photo.write_bytes(original)
    env = {"DATABASE_URL": f"sqlite:///{folder / 'wire.sqlite'}", "VAR_DIR": str(folder / "var"),
           "SECRET_KEY": "bench-secret"}
    migrate_and_demo(env)
    with sqlite3.connect(folder / "wire.sqlite") as db:
        [visit_id] = db.execute("SELECT id FROM visit WHERE outcome = 'found' ORDER BY id LIMIT 1").fetchone()
    bodies: list[bytes] = []
    with server(env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_context(base_url=url, viewport={"width": 360, "height": 800}, is_mobile=True).new_page()
        page.goto("/login")
        page.locator("input[name=email]").fill("verifier@demo.fieldvisit.id")
        page.locator("#f-password").fill("fieldvisit-demo")
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state("networkidle")
        page.goto(f"/visits/{visit_id}")

        def capture(route):  # type: ignore[no-untyped-def]
            bodies.append(route.request.post_data_buffer or b"")
            route.continue_()

        page.route("**/visits/*/photos", capture)
        page.locator("input[type=file][capture]").first.set_input_files(str(photo))
        page.locator(".photo-queue li[data-state=saved]").first.wait_for(timeout=60_000)
        sweep = quality_sweep(page, original)
        browser.close()
    body = bodies[0]
    jpeg = body[body.index(b"\xff\xd8\xff"):body.rindex(b"\r\n--")]
    with Image.open(io.BytesIO(jpeg)) as sent:
        exif = sent.getexif()
        sub, gps = exif.get_ifd(ExifTags.IFD.Exif), exif.get_ifd(ExifTags.IFD.GPSInfo)
        sent_size = sent.size
        quality = sent_quality(sent)
    kept = bool(sub.get(ExifTags.Base.DateTimeOriginal)) and bool(gps) and exif.get(ExifTags.Base.Make) == "samsung"
    upright = exif.get(ExifTags.Base.Orientation) == 1 and sent_size[1] > sent_size[0]
    share = 100 * len(body) / len(original)
    extra = {"original_bytes": len(original), "request_body_bytes": len(body), "jpeg_bytes": len(jpeg),
             "sent_pixels": list(sent_size), "original_pixels": list(size)}
    within = [q for q, (size, _) in sweep.items() if 100 * size / len(original) <= 10]
    return [
        Figure("request body / original photo", share, "%", target="<= 10", ok=share <= 10, extra=extra),
        Figure("JPEG quality the photo was sent at", quality, "libjpeg quality"),
        Figure("the same downscale at other JPEG qualities (Chromium's encoder)", 100 * max(within, default=0.0),
               "highest libjpeg quality within 10 %",
               notes=", ".join(f"q{q:.2f}: {100 * size / len(original):.1f} % {psnr:.1f} dB"
                               for q, (size, psnr) in sweep.items()),
               extra={"bytes_and_psnr_db_by_quality": sweep}),
        Figure("EXIF kept (time, GPS, make) in the uploaded file", float(kept), "bool", target="1", ok=kept),
        Figure("drawn upright, orientation reset to 1", float(upright), "bool", target="1", ok=upright),
    ]
