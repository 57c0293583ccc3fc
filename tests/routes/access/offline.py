"""The service worker script is public: it must load before anyone signs in, and holds no data."""

from tests.routes.access import everyone

ROWS = {
    ("GET", "/sw.js"): everyone(),
}
