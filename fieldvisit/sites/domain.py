"""Pure rules of sites: links that open the phone's maps app at a site."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def has_position(latitude: float | None, longitude: float | None) -> bool:
    return (latitude is not None and longitude is not None
            and -90 <= latitude <= 90 and -180 <= longitude <= 180)


def _coordinates(latitude: float, longitude: float) -> str:
    return f"{latitude:.6f},{longitude:.6f}"


def geo_uri(latitude: float, longitude: float, label: str = "") -> str:
    """RFC 5870 ``geo:`` URI; Android opens the maps app chooser, with a pin named ``label``."""
    where = _coordinates(latitude, longitude)
    query = f"?q={where}({quote(label, safe='')})" if label else f"?q={where}"
    return f"geo:{where}{query}"


def maps_url(latitude: float, longitude: float) -> str:
    """An https link any phone or laptop opens (Google Maps' documented search URL)."""
    return "https://www.google.com/maps/search/?" + urlencode({"api": 1, "query": _coordinates(latitude, longitude)})


def osm_url(latitude: float, longitude: float) -> str:
    return (f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
            f"#map=18/{latitude:.6f}/{longitude:.6f}")
