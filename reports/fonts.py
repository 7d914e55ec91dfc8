"""The Noto fonts reports are drawn with (SIL Open Font License, OFL.txt beside
them): embedded whole in PDFs by fpdf2, and as subsets of the characters a
report uses in its HTML, so that every script reads on a machine without it."""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

FONTS = Path(__file__).resolve().parent / "fonts"
MAIN = "NotoSans-Regular.ttf"
FALLBACKS = {  # family -> file; tried in order for characters NotoSans lacks
    "NotoBengali": "NotoSansBengali-Regular.ttf",
    "NotoDevanagari": "NotoSansDevanagari-Regular.ttf",
    "NotoSinhala": "NotoSansSinhala-Regular.ttf", "NotoTamil": "NotoSansTamil-Regular.ttf",
    "NotoUrdu": "NotoNastaliqUrdu-Regular.ttf", "NotoArabic": "NotoNaskhArabic-Regular.ttf",
    "NotoThaana": "NotoSansThaana-Regular.ttf", "NotoTibetan": "NotoSerifTibetan-Regular.ttf",
}


@cache
def characters(file: str) -> frozenset[int]:
    """The code points a font draws."""
    # fontTools is imported when a report needs it, not with the dashboard (0.15 s).
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(FONTS / file).getBestCmap())


def _subset(file: str, codepoints: frozenset[int]) -> bytes:
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]  # shaping (conjuncts, joining forms) needs them all
    options.name_IDs = ["*"]  # the licence and copyright stay in the font
    font = subset.load_font(str(FONTS / file), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def font_faces(text: str) -> tuple[str, list[str]]:
    """CSS ``@font-face`` rules embedding what ``text`` needs beyond NotoSans's
    characters, and the family names to list after the main font."""
    wanted = {ord(c) for c in text} - characters(MAIN)
    rules, families = [], []
    for family, file in FALLBACKS.items():
        drawn = frozenset(wanted & characters(file))
        if not drawn:
            continue
        wanted -= drawn
        data = base64.b64encode(_subset(file, drawn)).decode("ascii")
        rules.append(f'@font-face {{ font-family: "samon-{family}"; '
                     f'src: url(data:font/ttf;base64,{data}) format("truetype"); }}')
        families.append(f'"samon-{family}"')
    return "\n".join(rules), families
