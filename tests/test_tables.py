"""The dashboard's plain tables: every text escaped, every figure written as the
language writes it, nothing lost or changed on the way to the page."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from dashboard.components import table_html
from model.i18n import language
from tests.test_dashboard import cells


def test_figures_are_grouped_aligned_and_missing_ones_marked():
    frame = pd.DataFrame({"Area": ["Sindh", "Punjab"], "People exposed": [1234567.4, np.nan],
                          "Source": ["WorldPop", None]}).set_index("Area")
    html = table_html(frame)
    assert cells(html) == [["Area", "People exposed", "Source"],
                           ["Sindh", "1,234,567", "WorldPop"], ["Punjab", "—", "—"]]
    page = lxml_html.fromstring(html)
    assert [td.get("class") for td in page.xpath("//tbody/tr[1]/td")] == ["num", None]
    assert [th.get("scope") for th in page.xpath("//th")] == ["col"] * 3 + ["row"] * 2
    assert [th.get("class") for th in page.xpath("//thead/tr/th")] == [None, "num", None]


def test_figures_in_the_language_in_use():
    frame = pd.DataFrame({"n": [6575455]}, index=pd.Index(["Bagerhat"], name="Area"))
    with language("bn"):
        assert cells(table_html(frame))[1] == ["Bagerhat", "৬৫,৭৫,৪৫৫"]


def test_markup_in_data_is_shown_as_text():
    frame = pd.DataFrame({"<b>col</b>": ['<img src=x onerror="alert(1)">']},
                         index=pd.Index(["<script>x</script>"], name="a&b"))
    html = table_html(frame)
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert cells(html) == [["a&b", "<b>col</b>"],
                           ["<script>x</script>", '<img src=x onerror="alert(1)">']]


TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1)


@given(st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=5), TEXT)
def test_any_text_reaches_the_page_as_it_is(rows, header):
    frame = pd.DataFrame(rows, columns=["key", header]).set_index("key")
    assert cells(table_html(frame)) == [["key", header], *[list(r) for r in rows]]
