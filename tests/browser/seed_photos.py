"""`python -m tests.browser.seed_photos`: after `fieldvisit demo` and `tests.browser.seed_evaluation`,
a photo of a person at an LKSA (a sensitive site type) of Kota Tangerang, taken on a visit of the
demo verifier, with its original and blurred derivatives in the blob store (the upload route is
built on another branch; this inserts what it would write). Prints the photo's id; idempotent."""

from __future__ import annotations

import asyncio

import skimage.data
from PIL import Image

from fieldvisit import db
from fieldvisit.demo.photos import camera_exif, camera_jpeg, textured_photo
from fieldvisit.regions.tables import Region
from fieldvisit.rounds.tables import DistrictEvaluation
from fieldvisit.settings import Settings
from fieldvisit.sites.tables import Site
from fieldvisit.storage.base import make_store
from fieldvisit.visits.tables import Photo
from tests.support import make_site
from tests.support_photos import make_photo

SITE_CODE = "LKSA-KTG-01"


def photo_of_a_person() -> bytes:
    """scikit-image's astronaut (a face) in a phone-sized photo of a room."""
    photo = textured_photo(1280, 960, seed=11)
    head = Image.fromarray(skimage.data.astronaut()).convert("RGB").crop((150, 40, 300, 190)).resize((300, 300))
    photo.paste(head, (490, 260))
    return camera_jpeg(photo, camera_exif())


async def seed() -> int:
    existing = await Photo.select(Photo.id).where(Photo.site.code == SITE_CODE).first()
    if existing:
        return int(existing["id"])
    tangerang = (await Region.select(Region.id).where(Region.code == "36.71").first())["id"]
    evaluation = await DistrictEvaluation.select(DistrictEvaluation.id).where(
        DistrictEvaluation.district == tangerang).order_by(DistrictEvaluation.id).first()
    site = await Site.select(Site.id).where((Site.district == tangerang) & (Site.code == SITE_CODE)).first()
    site_id = site["id"] if site else await make_site(tangerang, SITE_CODE, "LKSA Harapan Bunda", "LKSA",
                                                      latitude=-6.18, longitude=106.63)
    from fieldvisit.accounts.tables import User

    verifier = (await User.select(User.id).where(User.email == "verifier@demo.fieldvisit.id").first())["id"]
    store = make_store(Settings.from_env())
    await store.prepare()
    photo = await make_photo(store, evaluation_id=evaluation["id"], site_id=site_id, uploaded_by=verifier,
                             original=photo_of_a_person(), detect_faces=True)
    return int(photo["id"])


async def main() -> None:
    async with db.connected(Settings.from_env()):
        print(await seed())


if __name__ == "__main__":
    asyncio.run(main())
