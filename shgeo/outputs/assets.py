"""Leaflet and the map page's script, for offline maps: once into an output folder, or inlined.

An output folder holds them once, in ``_assets/`` (``leaflet.js``,
``leaflet.css`` with its ``images/``, ``shgeo-map.js``); every ``map.html``
links them relatively (``../_assets/``), so the folder works offline as a
whole and copies as a whole.  A self-contained page (``--self-contained``, and
the folium maps of notebooks) carries them inline instead: the CSS with its
images as data URIs, the scripts in ``<script>`` elements.
Leaflet 1.9.4 is BSD-2-Clause (``static/LICENSE-leaflet.txt``).
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Final

from .folder import atomic_write

__all__ = ["ASSETS_DIR", "write_assets", "inline_assets", "inline_leaflet_html", "static_bytes"]

#: folder of the shared assets inside an output folder
ASSETS_DIR: Final = "_assets"
_FILES: Final = ("leaflet.js", "leaflet.css", "shgeo-map.js", "LICENSE-leaflet.txt")
_IMAGES: Final = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")


def static_bytes(name: str) -> bytes:
    """The content of ``shgeo/outputs/static/<name>``."""
    return (resources.files("shgeo.outputs") / "static" / name).read_bytes()


def write_assets(out: Path) -> Path:
    """Put Leaflet, its CSS and images, and the map page's script into ``<out>/_assets/`` (if changed)."""
    folder = out / ASSETS_DIR
    for name in _FILES:
        _write_if_changed(folder / name, static_bytes(name))
    for name in _IMAGES:
        _write_if_changed(folder / "images" / name, static_bytes(name))
    return folder


def _write_if_changed(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    atomic_write(path, data)


def _script_text(data: bytes) -> str:
    js = data.decode("utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    return js.replace("</script", "<\\/script")  # a literal "</script" inside the script would end it early


@lru_cache(maxsize=1)
def inline_assets() -> dict[str, str]:
    """``{"css", "leaflet", "page"}``: Leaflet's CSS (images as data URIs), Leaflet, the page script."""
    css = static_bytes("leaflet.css").decode("utf-8")

    def data_uri(match: re.Match[str]) -> str:
        png = base64.b64encode(static_bytes(match.group(1))).decode("ascii")
        return f"url(data:image/png;base64,{png})"

    css = re.sub(r"url\(images/([\w-]+\.png)\)", data_uri, css)
    return {"css": css.replace("</style", "<\\/style"), "leaflet": _script_text(static_bytes("leaflet.js")),
            "page": _script_text(static_bytes("shgeo-map.js"))}


@lru_cache(maxsize=1)
def inline_leaflet_html() -> str:
    """Leaflet's CSS and JS as ``<style>`` and ``<script>`` elements (for a page's ``<head>``)."""
    parts = inline_assets()
    return f"<style>{parts['css']}</style>\n<script>{parts['leaflet']}</script>\n"
