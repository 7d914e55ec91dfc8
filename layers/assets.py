"""Map assets (Leaflet, its heatmap plugin, our renderer) from installed
packages and this package, served by our app.

A map that loads its scripts from public CDNs is blank on a closed network.
Every asset the map needs is taken from an installed package (XStatic, folium
itself) or ``layers/static`` and either copied to the app's static folder or
inlined into a self-contained page (``layers.page``, which refuses any asset it
cannot serve locally).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import xstatic.pkg.leaflet


def _package_folder(name: str) -> Path:
    """An installed package's folder, found without importing the package (folium
    costs a dashboard start 0.3 s of imports it does not otherwise need)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the package {name} is not installed")
    return Path(spec.submodule_search_locations[0])


FOLIUM_TEMPLATES = _package_folder("folium") / "templates"
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
