"""Safe text and small HTML boxes (legends, sources, disclaimer) for the map.

Every string that comes from data goes through ``esc`` before it reaches
HTML: the map's renderer inserts popup, tooltip and legend text as HTML, and
pages may carry it inside JavaScript, so besides HTML's special characters the
backtick, ``$`` and backslash are escaped too. A note containing
``<script>``, a backtick or ``</div>`` shows as text and breaks nothing.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from model.i18n import N_, _, when

_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})

# One wording for maps, reports and exports.
DISCLAIMER = N_("The boundaries and names shown and the designations used do not imply "
                "official endorsement or acceptance.")


def esc(value) -> str:
    """Text from data, safe inside HTML and inside a JavaScript template literal."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_EXTRA)


def esc_each(values: pd.Series) -> list[str]:
    """``esc`` of every value of a column; text columns repeat their values
    (categories, sources, countries), so each distinct one is escaped once."""
    if not pd.api.types.is_string_dtype(values):
        return values.map(esc).tolist()
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    escaped = np.array([*(esc(u) for u in uniques), ""], dtype=object)  # -1 (missing): ""
    return escaped[codes].tolist()


def safe_url(value) -> str | None:
    """An http(s) link, escaped; None for anything else (javascript:, data: ...)."""
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    text = text.strip()
    return esc(text) if text.lower().startswith(("http://", "https://")) else None


def legend(title: str, items: list[tuple[str, str]], note: str | None = None) -> str:
    """Legend HTML: a title and (colour, label) rows ("hatched": the disputed-area
    hatching); all text escaped here."""
    rows = "".join(
        f'<div><span class="samon-swatch samon-swatch-hatched"></span>{esc(label)}</div>'
        if colour == "hatched" else
        f'<div><span class="samon-swatch" style="background:{esc(colour)}"></span>'
        f"{esc(label)}</div>" for colour, label in items)
    extra = f"<div>{esc(note)}</div>" if note else ""
    return f'<div class="samon-legend"><h4>{esc(title)}</h4>{rows}{extra}</div>'


def sources_box(rows: list[dict]) -> str:
    """The attribution box: each source with its last update and DEMO flag."""
    lines = []
    for r in rows:
        updated = (_("updated {time}", time=when(r["updated"]))
                   if r.get("updated") is not None and not pd.isna(r.get("updated"))
                   else _("reference data"))
        flag = ' <span class="samon-demo">DEMO</span>' if r.get("demo") else ""
        lines.append(f"<div>{esc(r['layer'])}: {esc(r['source'])}, {esc(updated)}{flag}</div>")
    demo = any(r.get("demo") for r in rows)
    # Messages are looked up outside f-strings: pybabel does not extract from inside them.
    marked, title = _("DEMO data"), _("Sources")
    flag = f' <span class="samon-demo">({esc(marked)})</span>' if demo else ""
    return f"<details><summary>{esc(title)}{flag}</summary>{''.join(lines)}</details>"
