"""Parse the privacy forms: blurring by hand, a site's sensitivity."""

from __future__ import annotations

from fieldvisit.privacy import domain
from fieldvisit.storage.images import Box
from fieldvisit.web.forms import Errors, FormData
from fieldvisit.web.i18n import _

BOX_ROWS = 4  # rows the page shows (the JS adds drawn boxes as more rows, up to domain.MAX_BOXES)
SIDES = ("left", "top", "right", "bottom")


def box_field(index: int, side: str) -> str:
    return f"box{index}_{side}"


def parse_blur(form: FormData) -> tuple[bool, list[Box], Errors]:
    """("shows a person" ticked, the boxes as fractions, errors by field)."""
    errors = Errors()
    boxes: list[Box] = []
    for index in range(domain.MAX_BOXES):
        try:
            box = domain.percent_box(*(form.get(box_field(index, side)) for side in SIDES))
        except ValueError:
            errors[box_field(index, "left")] = _(
                "Box {number}: give four numbers from 0 to 100, left less than right and top less than bottom.").format(
                number=index + 1)
            continue
        if box is not None:
            boxes.append(box)
    return form.get("shows_person") in ("on", "1"), boxes, errors


def box_values(shows_person: bool, boxes: list[Box]) -> dict[str, str]:
    """A photo's current blur settings as form values (percent, as typed)."""
    values = {"shows_person": "1" if shows_person else ""}
    for index, box in enumerate(boxes):
        for side, value in zip(SIDES, box, strict=True):
            values[box_field(index, side)] = f"{value * 100:g}"
    return values


SITE_SETTINGS = {"type": None, "yes": True, "no": False}


def parse_site_setting(form: FormData) -> bool | None:
    """"yes" / "no" / "type" (as its site type says) -> True / False / None; KeyError otherwise."""
    return SITE_SETTINGS[form.get("setting")]
