"""Languages: the catalogues complete and in step with the program, figures and
dates as each language writes them, right to left, one language per session,
and the situation report in each language."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import unicodedata
import zipfile

import pandas as pd
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from geo.summary import situation_summary
from model import i18n
from model.i18n import LANGUAGES, LOCALES, _, language, ngettext, number, when
from reports.content import ReportFields
from reports.sitrep import document
from tests.conftest import ROOT

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
TRANSLATED = [code for code in LANGUAGES if code != "en"]


def _template() -> dict:
    with (LOCALES / "samon.pot").open("rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


def _catalogue(code: str) -> dict:
    with (LOCALES / f"{code}.po").open("rb") as f:
        return {m.id: m for m in read_po(f, locale=LANGUAGES[code].locale) if m.id}


def _program_messages() -> set:
    """What ``pybabel extract -F model/locales/babel.cfg`` finds in the program."""
    with (LOCALES / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "ngettext": (1, 2)}
    found = extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords,
        directory_filter=lambda d: not any(part.startswith(".") or part in
                                           ("tests", "benchmarks", "__pycache__")
                                           for part in d.split("/")))
    return {message for _file, _line, message, _comments, _context in found}


def test_the_template_holds_every_message_of_the_program():
    program, template = _program_messages(), set(_template())
    assert program - template == set(), "run pybabel extract (README, Languages)"
    assert template - program == set(), "messages no longer in the program"


def test_no_message_is_written_inside_an_f_string():
    """pybabel (Python 3.11) does not look inside f-strings: a message written there
    would never reach the catalogues, and be English in every language."""
    inside = re.compile(r"""\bf(["']).*\{[^{}]*\b_\(\s*["']""")
    found = [f"{path.relative_to(ROOT)}:{n}" for path in sorted(ROOT.glob("*/**/*.py"))
             if not path.relative_to(ROOT).parts[0].startswith((".", "tests", "benchmarks"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if inside.search(line)]
    assert found == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_catalogue_translates_every_message_with_its_placeholders(code):
    template, catalogue = _template(), _catalogue(code)
    missing = [mid for mid in template if mid not in catalogue
               or not catalogue[mid].string or catalogue[mid].fuzzy
               or (isinstance(mid, tuple) and not all(catalogue[mid].string))]
    assert missing == [], f"{code}: untranslated {missing[:5]}"
    for mid, message in catalogue.items():
        sources = mid if isinstance(mid, tuple) else (mid,)
        wanted = set(PLACEHOLDER.findall(sources[-1]))
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) == wanted, (code, mid, form)
    assert set(catalogue) <= set(template), f"{code}: messages the program no longer has"


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_language_speaks_its_catalogue(code):
    with language(code):
        assert _("Situation overview") != "Situation overview"
        assert _("Situation overview") == _catalogue(code)["Situation overview"].string


def test_a_message_no_catalogue_has_is_shown_in_english():
    with language("ur"):
        shown = _("A message no catalogue has: {x}", x=1)
    assert shown == "A message no catalogue has: \u20681\u2069"


def test_a_broken_translation_is_shown_in_english(tmp_path, monkeypatch):
    (tmp_path / "ur.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "{people} people are displaced."\nmsgstr "{peeple} افراد بے گھر ہیں۔"\n',
        encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        with language("ur"):
            assert _("{people} people are displaced.", people="5") == \
                "\u20685\u2069 people are displaced."
    finally:
        i18n.catalogue.cache_clear()


@pytest.mark.parametrize(("code", "digits", "text"), [
    ("en", "locale", "6,575,455"),
    ("hi", "locale", "65,75,455"),  # lakh and crore
    ("hi", "native", "६५,७५,४५५"),
    ("bn", "locale", "৬৫,৭৫,৪৫৫"),  # Bangladesh writes Bengali digits
    ("bn", "latin", "65,75,455"),
    ("ne", "locale", "६५,७५,४५५"),
    ("ta", "locale", "65,75,455"),
    ("prs", "locale", "۶٬۵۷۵٬۴۵۵"),  # Persian digits and separators
    ("dz", "locale", "༦༥,༧༥,༤༥༥"),
    ("ur", "locale", "6,575,455"),  # CLDR: Pakistan's Urdu groups in thousands
])
def test_figures_are_grouped_and_written_as_each_language_writes_them(code, digits, text):
    with language(code, digits=digits):
        assert number(6575455) == text


def test_decimals_are_fixed_on_request():
    with language("hi"):
        assert number(1234567.891, decimals=1) == "12,34,567.9"
        assert number(0.5, decimals=0) == "0"  # half to even, as Babel rounds


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(sorted(LANGUAGES)),
       st.sampled_from(i18n.DIGIT_STYLES))
def test_a_written_figure_reads_back_as_the_same_number(value, code, digits):
    with language(code, digits=digits):
        text = number(value)
    assert int("".join(str(unicodedata.digit(c)) for c in text if c.isdigit())) == value


def test_times_are_written_in_the_language_and_always_say_utc():
    moment = pd.Timestamp("2026-11-29T15:04:00Z")
    with language("en"):
        assert when(moment) == "2026-11-29 15:04 UTC"
        assert when(pd.Timestamp("2026-11-29T15:04:00")) == "2026-11-29 15:04 UTC"  # naive: UTC
        assert when(None) == "—"
    with language("ur"):
        assert when(moment) == "29 نومبر، 2026 15:04 UTC"
    with language("bn"):
        assert when(moment).endswith("১৫:০৪ UTC")


def test_right_to_left_text_isolates_what_it_quotes():
    with language("ur") as lang:
        assert lang.rtl and i18n.direction() == "rtl"
        assert "\u2068AFG\u2069" in _("shared only with: {audience}", audience="AFG")
    with language("bn"):
        assert "\u2068" not in _("shared only with: {audience}", audience="AFG")


def test_plural_forms_follow_the_language():
    with language("en"):
        assert ngettext("{n} corner drawn", "{n} corners drawn", 1) == "1 corner drawn"
        assert ngettext("{n} corner drawn", "{n} corners drawn", 3) == "3 corners drawn"
    with language("ur"):
        three = ngettext("{n} corner drawn", "{n} corners drawn", 3)
    assert three == "\u20683\u2069 کونے بنائے گئے"


def test_each_thread_speaks_its_own_language():
    barrier, seen = threading.Barrier(2), {}

    def speak(code):
        i18n.use(code)
        barrier.wait()
        seen[code] = _("Filters")

    threads = [threading.Thread(target=speak, args=(c,)) for c in ("ur", "bn")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"ur": _catalogue("ur")["Filters"].string,
                    "bn": _catalogue("bn")["Filters"].string}
    assert i18n.current().code == "en"  # this thread's language did not change


def test_language_codes_from_links_and_command_lines():
    assert i18n.get("ur-PK").code == "ur" and i18n.get("PRS").code == "prs"
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        i18n.get("xx")
    assert i18n.find("xx").code == "en"  # a link never breaks the page
    with pytest.raises(ValueError, match="digit style"):
        i18n.use("ur", digits="roman")


# -- what the readers say, in the reader's language ----------------------------------------


def test_a_rejection_is_kept_as_a_message_and_written_in_each_language(tmp_path):
    from data_sources.incidents import read_points

    path = tmp_path / "log.csv"
    path.write_text("time,lat,lon,category,country\n"
                    "2026-09-20,134.5,71.1,armed clash,AFG\n"
                    "2026-09-21,34.1,71.1,picnic,AFG\n", encoding="utf-8")
    first, second = read_points(path).rejections
    assert (first.row, first.field, first.reason) == (2, "lat", "134.5 is outside -90..90")
    assert second.reason == "unknown value 'picnic'"
    with language("bn"):  # the value as the user wrote it, the sentence in Bengali
        assert first.text() == "134.5 -90..90-এর বাইরে"
        assert second.text() == "অজানা মান 'picnic'"
    with language("ur"):  # right to left: the quoted value keeps its own direction
        assert first.text() == "\u2068134.5\u2069 -90..90 سے باہر ہے"
    assert first.reason == "134.5 is outside -90..90"  # English stays English


def test_a_readers_error_says_where_and_why_in_the_language_in_use(tmp_path):
    from data_sources.errors import DataSourceError
    from data_sources.textio import read_bytes

    path = tmp_path / "big.csv"
    path.write_bytes(b"a\n" * 10)
    with pytest.raises(DataSourceError) as caught:
        read_bytes(tmp_path / "missing.csv")
    error = caught.value
    assert str(error) == "missing.csv: file does not exist"  # logs and JSON: English
    with language("hi"):
        assert error.text() == "missing.csv: फ़ाइल मौजूद नहीं है"
    error = DataSourceError("is {size} bytes, over the limit of {most} for a file read whole "
                            "(set SAMON_MAX_TEXT_BYTES to raise it)", path=path, row=7,
                            size=12_345_678, most=10_000_000)
    assert error.message.startswith("big.csv, row 7: is 12,345,678 bytes")
    with language("hi"):  # sizes grouped as Hindi readers group them
        assert error.text().startswith("big.csv, पंक्ति 7: 1,23,45,678 बाइट है")


def test_the_check_command_speaks_the_chosen_language(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("time,lat,lon,category,country\n2026-09-20,34.1,71.1,armed clash,AFG\n"
                    "yesterday,34.1,71.1,armed clash,AFG\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "data_sources", "check", str(path), "--lang",
                          "ne"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "स्वीकृत: १" in run.stdout and "अस्वीकृत: १" in run.stdout
    # Row numbers point into the user's spreadsheet, which numbers rows 1, 2, 3...
    assert "पङ्क्ति 3, फिल्ड 'time': 'yesterday' मिति होइन" in run.stdout
    assert "निर्णय: प्रयोगयोग्य" in run.stdout


def test_a_warning_speaks_each_language_its_rule_names_in_cap(tmp_path):
    from lxml import etree

    from early_warning.cap import message_to_cap
    from early_warning.conditions import evaluate
    from early_warning.lifecycle import Engine
    from early_warning.rules import load_rules
    from tests.test_early_warning import CAP_XSD, NS, _scenario

    path = tmp_path / "rules.toml"
    path.write_text('version = 1\n[[rule]]\nid = "surge"\nkind = "incident_surge"\n'
                    'countries = ["PAK"]\ndays = 7\nbaseline_weeks = 4\np_value = 0.01\n'
                    'min_count = 5\nlanguages = ["ur", "ps"]\n'
                    'instruction = "Report to the border coordination cell."\n',
                    encoding="utf-8")
    rule = load_rules(path).rules[0]
    at = pd.Timestamp("2026-09-30T00:00Z")
    (message,) = Engine().step(evaluate(rule, _scenario([10, 2, 2, 2, 2], at), at), at)
    doc = etree.fromstring(message_to_cap(message, "ew@ndma.example"))
    assert etree.XMLSchema(etree.parse(str(CAP_XSD))).validate(doc)
    infos = {i.findtext("cap:language", namespaces=NS): i
             for i in doc.findall("cap:info", namespaces=NS)}
    assert list(infos) == ["en", "ur", "ps"]
    assert infos["en"].findtext("cap:event", namespaces=NS) == "Surge of border incidents"
    assert infos["ur"].findtext("cap:event", namespaces=NS) == "سرحدی واقعات میں اچانک اضافہ"
    urdu = infos["ur"].findtext("cap:description", namespaces=NS)
    assert "پوئسن ٹیسٹ" in urdu and "\u20684.6e-05\u2069" in urdu
    assert "Poisson test p = 4.6e-05 < 0.01" in infos["en"].findtext("cap:description",
                                                                       namespaces=NS)
    # The rule gave its instruction in English only: said so, not left out.
    assert infos["ps"].findtext("cap:instruction", namespaces=NS) == \
        "Report to the border coordination cell."
    assert message.reason.startswith("10 border incidents in Pakistan")  # the log: English
    path.write_text(path.read_text().replace('"ps"', '"xx"'), encoding="utf-8")
    with pytest.raises(ValueError, match="no catalogue for language"):
        load_rules(path)


def test_a_phrase_goes_through_json_and_comes_back_the_same():
    import json

    from model.i18n import Phrase

    inner = Phrase("flood")
    phrase = Phrase("{people} people in {area} live where the {hazard} reaches {threshold} "
                    "{unit} ({km2} km², {source})",
                    {"people": 5385367, "area": "Bangladesh", "hazard": inner,
                     "threshold": 64.0, "unit": "kt", "km2": 5671, "source": "model"})
    back = Phrase.from_list(json.loads(json.dumps(phrase.as_list())))
    assert back == phrase and back.params == phrase.params
    with language("bn"):
        assert back.text() == phrase.text() and "বন্যা" in back.text()


def test_the_command_lines_speak_the_nodes_language(tmp_path, monkeypatch):
    from access.__main__ import run as access_main
    from tests.cli import run

    monkeypatch.setenv("SAMON_STORE_PATH", str(tmp_path / "store.gpkg"))
    monkeypatch.setenv("SAMON_LANGUAGE", "ur")
    added = run(access_main, "agency", "add", "NDMA-PK", "--country", "PAK", "--name", "NDMA")
    assert added.returncode == 0
    assert added.stdout.strip() == "ادارہ \u2068NDMA-PK\u2069 (\u2068PAK\u2069) شامل کیا گیا"
    missing = run(access_main, "user", "disable", "nobody")
    assert missing.returncode == 2  # the error's own words in Urdu, the name as typed
    assert missing.stdout.strip() == "خرابی: \u2068\u2068nobody\u2069 نام کا کوئی صارف نہیں\u2069"
    monkeypatch.setenv("SAMON_LANGUAGE", "xx")  # a language we lack: said, then English
    fallback = subprocess.run([sys.executable, "-m", "data_sources", "check",
                               str(tmp_path / "nope.csv")], cwd=ROOT, capture_output=True,
                              text=True, check=False)
    assert fallback.stdout.strip() == "error: nope.csv: file does not exist"
    assert "'xx' is not a language we have" in fallback.stderr
    helped = subprocess.run([sys.executable, "-m", "reports", "sitrep", "--help"], cwd=ROOT,
                            env={**os.environ, "SAMON_LANGUAGE": "ta"}, capture_output=True,
                            text=True, check=False)
    assert helped.returncode == 0  # the options' help in Tamil (argparse's own words stay)
    assert "அறிக்கையின் மொழி" in helped.stdout and "உங்கள் தாங்கி டோக்கன்" in helped.stdout


def test_a_rules_files_problem_is_said_where_and_why_in_the_language_in_use():
    from early_warning.rules import RuleError, parse_rules

    text = ('version = 1\n[[rule]]\nid = "surge"\nkind = "incident_surge"\ndays = 7\n'
            'baseline_weeks = 4\np_value = 0.01\nmin_count = 5\nshare = "agency"\n')
    with pytest.raises(RuleError) as caught:
        parse_rules(text, "/etc/samon/rules.toml")
    assert str(caught.value) == ("rules.toml, rule surge: a rule's warnings go to 'public', "
                                 "'members' or a 'group:NAME'")
    with language("ne"):
        assert caught.value.text() == ("rules.toml, नियम surge: नियमका चेतावनी 'public', "
                                       "'members' वा 'group:NAME' मा जान्छन्")
    with pytest.raises(RuleError) as caught:  # a sharing error inside a rules error
        parse_rules(text.replace('"agency"', '"everyone"'), "rules.toml")
    with language("hi"):
        assert caught.value.text() == ("rules.toml, नियम surge: अज्ञात वितरण 'everyone'; "
                                       "agency, country, group:NAME, members या public उपयोग "
                                       "करें")


def test_how_figures_were_made_is_said_in_the_readers_language(summary):
    """The summary keeps its method notes as phrases: a report in Bengali says
    them in Bengali, the same summary in English in English."""
    notes = [str(n) for n in summary.notes]
    assert any(n.startswith("Flood: Exposed: hazard flood_depth >= 0.5 m") for n in notes)
    with language("bn"):
        bengali = [n.text() for n in summary.notes]
    flood = next(n for n in bengali if "flood_depth" in n)
    assert flood.startswith(_catalogue("bn")["Flood"].string + ": ")
    assert "ঝুঁকিতে: দুর্যোগ flood_depth >= 0.5 m" in flood
    page = document("html", summary, ReportFields(), lang="bn").decode()
    assert "ঝুঁকিতে: দুর্যোগ flood_depth" in page


# -- the situation report in each language ------------------------------------------------


@pytest.fixture(scope="module")
def summary(demo):
    return situation_summary(demo)


def test_an_urdu_report_is_right_to_left_with_urdu_headings(summary):
    page = document("html", summary, ReportFields(), lang="ur").decode()
    assert "<html lang='ur' dir='rtl'>" in page
    assert f"<h2>{_catalogue('ur')['Highlights'].string}</h2>" in page
    docx = document("docx", summary, ReportFields(), lang="ur")
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        body = z.read("word/document.xml").decode()
    assert body.count("<w:bidi/>") > 20 and "<w:rtl/>" in body


def test_a_hindi_report_groups_figures_in_lakh_and_crore(summary, tmp_path):
    pdf = tmp_path / "hi.pdf"
    pdf.write_bytes(document("pdf", summary, ReportFields(), lang="hi"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flooded = summary.key_figures["people_exposed_flood"]
    with language("hi"):
        assert number(flooded, decimals=0) in text
    assert f"{flooded:,.0f}" not in text


def test_a_report_in_two_languages_puts_each_text_beside_its_translation(summary, tmp_path):
    """English and Hindi side by side: each heading and paragraph on the same line
    as its translation, the tables once with both languages' headings, the
    figures in each language's grouping."""
    fields = ReportFields(agency="NDMA")
    pdf = tmp_path / "en-hi.pdf"
    pdf.write_bytes(document("pdf", summary, fields, lang="en", beside="hi"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    assert "841.89 x 595.28" in info  # A4 landscape: a portrait column per language
    lines = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    flooded = summary.key_figures["people_exposed_flood"]
    with language("hi"):
        hindi = {key: _(key) for key in ("Key figures", "Highlights", "Cyclones",
                                          "Border incidents")}
        lakh = number(flooded, decimals=0)

    def beside(english: str, translated: str) -> bool:
        return any(english in line and translated in line
                   and line.index(english) < line.index(translated) for line in lines)

    for key in ("Key figures", "Highlights", "Cyclones"):  # pre-base vowels (ि) extract apart
        assert beside(key, hindi[key]), key
    text = "\n".join(lines)
    # The table is drawn once; its cells hold both languages where they differ.
    assert text.count("People exposed to flooding") == 1
    assert hindi["Border incidents"] in text
    assert f"{flooded:,.0f}" in text and lakh in text
    html = document("html", summary, fields, lang="en", beside="hi").decode()
    assert "<div class='pair'><div lang='en' dir='ltr'><h2>Key figures</h2></div>" \
           f"<div lang='hi' dir='ltr'><h2>{hindi['Key figures']}</h2></div></div>" in html
    assert html.count("<table>") == document("html", summary, fields).decode().count("<table>")
    assert "samon-NotoDevanagari" in html  # the script's font travels with the file
    docx = document("docx", summary, fields, lang="ur", beside="en")
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        body = z.read("word/document.xml").decode()
    assert 'w:orient="landscape"' in body and "<w:bidiVisual/>" in body  # Urdu first: RTL
    assert "Key figures" in body and _catalogue("ur")["Key figures"].string in body


def _sitrep(demo_root, out, *args: str) -> subprocess.CompletedProcess:
    """`python -m reports sitrep ... --out OUT` on the DEMO, as a user runs it."""
    env = {"SAMON_CACHE_DIR": str(demo_root), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "reports", "sitrep", *args, "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_command_line_writes_two_languages_side_by_side(demo_root, tmp_path):
    done = _sitrep(demo_root, tmp_path, "--format", "pdf,html", "--lang", "en+ur")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name[-11:] for p in tmp_path.iterdir()) == ["0_en-ur.pdf", "_en-ur.html"]
    bad = _sitrep(demo_root, tmp_path, "--lang", "en+ur+bn")
    assert bad.returncode == 2 and "at most two languages side by side" in bad.stderr


def test_the_command_line_writes_a_report_per_language(demo_root, tmp_path):
    done = _sitrep(demo_root, tmp_path, "--format", "html", "--lang", "en,bn")
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 2 and written[1].endswith("_bn.html"), written
    page = (tmp_path / written[1]).read_text(encoding="utf-8")
    assert f"<title>{_catalogue('bn')['Situation report'].string}</title>" in page
    bad = _sitrep(demo_root, tmp_path, "--lang", "xx")
    assert bad.returncode == 2 and "unknown language 'xx'" in bad.stderr
    assert "Traceback" not in bad.stderr


# -- place names in the reader's script ----------------------------------------------------


LAHORE = "لاهور|لاھور|لاہور|लाहोर|লাহোর|லாகூர்"


def test_a_place_is_named_in_the_readers_script_with_the_english_name_beside():
    with language("en"):
        assert i18n.local_name(LAHORE, "Lahore") == "Lahore"
    with language("bn"):
        assert i18n.local_name(LAHORE, "Lahore") == "লাহোর (Lahore)"
    with language("ur"):  # Urdu's own spelling, not Arabic's ه
        assert i18n.local_name(LAHORE, "Lahore") == "لاھور (Lahore)"
    with language("si"):  # no Sinhala name in the data: English, never blank
        assert i18n.local_name(LAHORE, "Lahore") == "Lahore"
        assert i18n.local_name(None, "Lahore") == "Lahore"


def test_geonames_alternate_names_in_the_regions_scripts_are_kept(tmp_path):
    from data_sources.boundaries import read_places

    csv = tmp_path / "cities15000.csv"
    csv.write_text("geonameid,name,latitude,longitude,countrycode,population,alternatenames\n"
                   '1172451,Lahore,31.558,74.351,PK,6310888,"LHE,Lahor,Лахор,لاہور,लाहोर,ラホール"'
                   "\n1185241,Dhaka,23.710,90.407,BD,10356500,\n", encoding="utf-8")
    places = read_places(csv).data
    assert places["local_names"].tolist()[0] == "لاہور|लाहोर"  # Latin, Cyrillic, kana left out
    assert places["local_names"].isna().tolist() == [False, True]


def test_the_maps_place_labels_follow_the_language(demo):
    from layers.builders import labels_layer

    summary = situation_summary(demo)
    with language("bn"):
        texts = [label["text"] for label in
                 labels_layer(summary.countries, summary.places).parts[0]["labels"]]
    assert "ঢাকা (Dhaka)" in texts and "বাংলাদেশ" in texts


def test_hotspot_classes_are_named_in_the_language(summary):
    from layers.builders import hotspots_layer

    with language("bn"):
        layer = hotspots_layer(summary.hotspot_cells)
        page = document("html", summary, ReportFields(), lang="bn").decode()
    assert "উষ্ণ ৯৯%" in layer.legend and "শীতল ৯০%" in layer.legend
    assert "hot 99%" not in layer.legend
    assert "উষ্ণ ৯৯%" in page  # the report's hotspot table


def test_alert_levels_and_hazards_are_named_in_the_language(summary):
    import json

    from layers.builders import alerts_layer

    with language("ur"):
        layer = alerts_layer(summary.alerts)
        red, flood = _("red"), _("flood")
    assert red != "red" and f">{red}</div>" in layer.legend
    popup = json.dumps(layer.parts[0]["data"], ensure_ascii=False)
    assert f'"level": "{red}"' in popup and f'"hazard": "{flood}"' in popup



SCRIPT_FONT = {"ur": "NotoNastaliqUrdu", "prs": "NotoNastaliqUrdu", "ps": "NotoNastaliqUrdu",
               "bn": "NotoSansBengali", "hi": "NotoSansDevanagari", "ne": "NotoSansDevanagari",
               "si": "NotoSansSinhala", "ta": "NotoSansTamil", "dz": "NotoSerifTibetan",
               "dv": "NotoSansThaana"}
# pdftotext gives back these scripts' shaped text as written; the others come back
# in shaped glyph order (a known limit of extraction): for them the fonts are checked.
EXTRACTABLE = {"hi", "si", "ta"}


@pytest.mark.slow
@pytest.mark.parametrize("code", sorted(SCRIPT_FONT))
def test_a_sitrep_pdf_in_each_language(summary, tmp_path, code):
    pdf = tmp_path / f"{code}.pdf"
    pdf.write_bytes(document("pdf", summary, ReportFields(), lang=code))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert SCRIPT_FONT[code] in fonts  # the script is drawn with its own font, embedded
    if code in EXTRACTABLE:
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        with language(code):
            assert _("Key figures") in text and _("Highlights") in text
            assert number(summary.key_figures["displaced"], decimals=0) in text


def test_a_nodes_language_setting_must_name_a_language_we_have(monkeypatch):
    from pydantic import ValidationError

    from data_sources.settings import Settings

    monkeypatch.setenv("SAMON_LANGUAGE", "ur-PK")
    assert Settings().language == "ur"
    monkeypatch.setenv("SAMON_LANGUAGE", "xx")
    with pytest.raises(ValidationError, match="unknown language 'xx'"):
        Settings()
    monkeypatch.setenv("SAMON_LANGUAGE", "en")
    monkeypatch.setenv("SAMON_DIGITS", "roman")
    with pytest.raises(ValidationError, match="unknown digit style 'roman'"):
        Settings()


def test_a_report_from_a_point_of_view_the_data_lacks_is_a_clear_error(demo_root, tmp_path):
    env = {"SAMON_CACHE_DIR": str(demo_root), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "reports", "sitrep", "--view", "ZZZ",
                           "--format", "html", "--out", str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "no point of view 'ZZZ'" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
