"""Map assets (Leaflet, its heatmap plugin, our renderer) from installed
packages and this package, served by our app.

A map that loads its scripts from public CDNs is blank on a closed network.
Every asset the map needs is taken from an installed package (XStatic, folium
itself) or ``layers/static`` and either copied to the app's static folder or
inlined into a self-contained page. ``localize`` rewrites a page's asset list
and refuses anything it cannot serve locally.
"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from typing import TypeVar

import branca.element
import folium
import xstatic.pkg.leaflet

FOLIUM_TEMPLATES = Path(folium.__file__).parent / "templates"
OUR_STATIC = Path(__file__).resolve().parent / "static"  # the map's renderer

# An asset's file name (as a page's asset URL ends) -> (folder it comes from, file).
ASSETS: dict[str, tuple[Path, str]] = {
    "leaflet.js": (Path(xstatic.pkg.leaflet.BASE_DIR), "leaflet.js"),
    "leaflet.css": (Path(xstatic.pkg.leaflet.BASE_DIR), "leaflet.css"),
    "leaflet_heat.min.js": (FOLIUM_TEMPLATES, "leaflet_heat.min.js"),
    "samon-map.js": (OUR_STATIC, "samon-map.js"),
    "samon-map.css": (OUR_STATIC, "samon-map.css"),
}
LEAFLET_IMAGES = Path(xstatic.pkg.leaflet.BASE_DIR) / "images"


E = TypeVar("E", bound=branca.element.Element)  # a page or map: folium's, or ours


class AssetError(RuntimeError):
    """A map element wants an asset we cannot serve locally."""


def install_static(folder: Path) -> Path:
    """Copy every asset (and Leaflet's images) into ``folder``; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (src_dir, src) in ASSETS.items():
        copy_if_changed(src_dir / src, folder / name)
    shutil.copytree(LEAFLET_IMAGES, folder / "images", dirs_exist_ok=True)
    return folder


def copy_if_changed(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` with its modification time, unless the copy
    there is of the same size and time: an edited or upgraded file (even of the
    same size) is copied again, an unchanged one is not."""
    if not target.exists() or _stamp(target) != _stamp(source):
        shutil.copy2(source, target)


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _elements(root):
    yield root
    for child in getattr(root, "_children", {}).values():
        yield from _elements(child)


def localize(m: E, base_url: str) -> E:
    """Point every JS/CSS asset of ``m`` (and its children) at ``base_url``.

    An asset we do not have raises AssetError, so a page can never silently
    depend on a CDN.
    """
    base = base_url.rstrip("/")
    for element in _elements(m):
        for attr in ("default_js", "default_css"):
            assets = getattr(element, attr, None)
            if not assets:
                continue
            local = []
            for name, url in assets:
                file = url.rsplit("/", 1)[-1]
                if file not in ASSETS:
                    raise AssetError(f"map element {type(element).__name__} needs {url}, "
                                     "which is not available locally")
                local.append((name, f"{base}/{file}"))
            setattr(element, attr, local)
    return m


_INLINE_BASE = "samon-inline://asset"


def standalone_html(m: branca.element.Element) -> str:
    """The map as one self-contained HTML page: every script and stylesheet
    inlined, Leaflet's images as data URIs. Opens offline from a file or e-mail."""
    localize(m, _INLINE_BASE)
    html = m.get_root().render()

    def script(match: re.Match) -> str:
        body = _read(match.group(1)).replace("</script", "<\\/script")
        return f"<script>{body}</script>"

    def style(match: re.Match) -> str:
        return f"<style>{_inline_images(_read(match.group(1)))}</style>"

    base = re.escape(_INLINE_BASE)
    html = re.sub(rf'<script src="{base}/([^"]+)"></script>', script, html)
    return re.sub(rf'<link rel="stylesheet" href="{base}/([^"]+)"\s*/>', style, html)


def _read(name: str) -> str:
    folder, file = ASSETS[name]
    return (folder / file).read_text(encoding="utf-8")


def _inline_images(css: str) -> str:
    def data_uri(match: re.Match) -> str:
        path = LEAFLET_IMAGES / Path(match.group(1)).name
        if not path.exists():
            return match.group(0)
        encoded = base64.b64encode(path.read_bytes()).decode()
        return f'url("data:image/{path.suffix[1:]};base64,{encoded}")'

    return re.sub(r'url\((?:images/)([^)"\']+)\)', data_uri, css)
