"""The map as an HTML page: our renderer (``layers/static/samon-map.js``) drawing
a MapSpec inside folium's page machinery, with its scripts served from our
static folder or inlined into one self-contained file (the exported map).

Apart from ``layers.map`` because folium and its templates are needed only
when a page is made, not by the dashboard's own map.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import TypeVar

import branca.element
from folium.elements import JSCSSMixin

from model.situation import Summary

from .assets import ASSETS, LEAFLET_IMAGES, AssetError
from .map import MapOptions, MapSpec, situation_map

E = TypeVar("E", bound=branca.element.Element)  # a page or map: folium's, or ours


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


class RenderedMap(JSCSSMixin):
    """A page element drawing a MapSpec with our renderer; folium supplies the
    page and its asset list (localised, or inlined by ``standalone_html``)."""

    _template = branca.element.Template("""
        {% macro html(this, kwargs) %}
        <div id="{{ this.get_name() }}" style="width:100%;height:{{ this.height }}px"></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var spec = {{ this.spec_json }};
            SamonMap.create(document.getElementById("{{ this.get_name() }}"))
                .update(spec.frame, spec.layers, spec.parts);
        })();
        {% endmacro %}
    """)
    # File names of layers.assets.ASSETS; ``localize`` gives them their place.
    default_js = [("leaflet", "leaflet.js"), ("leaflet_heat", "leaflet_heat.min.js"),
                  ("samon_map", "samon-map.js")]
    default_css = [("leaflet_css", "leaflet.css"), ("samon_map_css", "samon-map.css")]

    def __init__(self, spec: MapSpec, height: int):
        super().__init__()
        self._name = "SamonMap"
        self.height = height
        # JSON inside a <script>: "<" escaped so no text can close the element.
        self.spec_json = json.dumps(spec.to_json(), default=str).replace("<", "\\u003c")


def map_page(spec: MapSpec, options: MapOptions = MapOptions()) -> branca.element.Figure:
    """A page holding the map (assets at ``options.asset_base_url``)."""
    page = branca.element.Figure(height=f"{options.height}px")
    page.add_child(RenderedMap(spec, options.height))
    return localize(page, options.asset_base_url)


def build_map(summary: Summary, options: MapOptions = MapOptions()) -> branca.element.Figure:
    """The situation map of ``summary`` as a page (see ``situation_map``)."""
    return map_page(situation_map(summary, options), options)


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
