"""Safe text and small HTML boxes (legends, sources, disclaimer) for the map.

Every string that comes from data goes through ``esc`` before it reaches
HTML: folium puts popup and tooltip HTML inside JavaScript template literals,
so besides HTML's special characters the backtick, ``$`` and backslash are
escaped too. A note containing ``<script>``, a backtick or ``</div>`` shows as
text and breaks nothing.
"""

from __future__ import annotations

import html

import branca.element
import pandas as pd

_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})

# One wording for maps, reports and exports.
DISCLAIMER = ("The boundaries and names shown and the designations used do not imply "
              "official endorsement or acceptance.")


def esc(value) -> str:
    """Text from data, safe inside HTML and inside a JavaScript template literal."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_EXTRA)


def safe_url(value) -> str | None:
    """An http(s) link, escaped; None for anything else (javascript:, data: ...)."""
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    text = text.strip()
    return esc(text) if text.lower().startswith(("http://", "https://")) else None


class MapBox(branca.element.MacroElement):
    """A fixed box on the map (legend, sources, disclaimer). ``body`` must be
    built from escaped text."""

    _template = branca.element.Template("""
        {% macro header(this, kwargs) %}
        <style>
          .samon-box { background: rgba(255,255,255,0.92); border: 1px solid #999;
                       border-radius: 4px; padding: 4px 8px; font: 12px/1.35 sans-serif;
                       color: #222; max-width: 320px; }
          .samon-box h4 { margin: 0 0 3px; font-size: 12px; }
          .samon-swatch { display: inline-block; width: 12px; height: 12px;
                          margin-right: 5px; vertical-align: middle; border: 1px solid #666; }
          .samon-demo { color: #b00020; font-weight: bold; }
          .samon-legends { max-height: 42vh; overflow-y: auto; }
          .samon-legend + .samon-legend { margin-top: 4px; }
          .samon-box summary { cursor: pointer; font-weight: bold; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function() {
            var box = L.control({position: "{{ this.position }}"});
            box.onAdd = function () {
                var div = L.DomUtil.create("div", "samon-box {{ this.css_class }}");
                div.innerHTML = `{{ this.body }}`;
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            box.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, body: str, position: str = "bottomright", css_class: str = ""):
        super().__init__()
        self._name = "MapBox"
        self.body = body
        self.position = position
        self.css_class = css_class


def legend(title: str, items: list[tuple[str, str]], note: str | None = None) -> str:
    """Legend HTML: a title and (colour, label) rows; all text escaped here."""
    rows = "".join(
        f'<div><span class="samon-swatch" style="background:{esc(colour)}"></span>'
        f"{esc(label)}</div>" for colour, label in items)
    extra = f"<div>{esc(note)}</div>" if note else ""
    return f'<div class="samon-legend"><h4>{esc(title)}</h4>{rows}{extra}</div>'


def sources_box(rows: list[dict]) -> str:
    """The attribution box: each source with its last update and DEMO flag."""
    lines = []
    for r in rows:
        when = (f"updated {pd.Timestamp(r['updated']):%Y-%m-%d %H:%M} UTC"
                if r.get("updated") is not None and not pd.isna(r.get("updated"))
                else "reference data")
        flag = ' <span class="samon-demo">DEMO</span>' if r.get("demo") else ""
        lines.append(f"<div>{esc(r['layer'])}: {esc(r['source'])}, {esc(when)}{flag}</div>")
    demo = any(r.get("demo") for r in rows)
    flag = ' <span class="samon-demo">(DEMO data)</span>' if demo else ""
    return f"<details><summary>Sources{flag}</summary>{''.join(lines)}</details>"
