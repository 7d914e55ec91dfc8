import json

import pandas as pd
import pytest
import shapely

from data_sources.alerts import read_cap, read_gdacs_geojson, read_gdacs_rss
from data_sources.errors import FormatError, UnsafeXMLError

GDACS_RSS = """\ufeff<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:gdacs="http://www.gdacs.org" xmlns:georss="http://www.georss.org/georss"
     xmlns:geo="http://www.w3.org/2003/01/geo/wgs84_pos#">
 <channel><title>GDACS</title>
  <item>
   <title>Orange flood alert in Pakistan</title>
   <description>Flood &lt;b&gt;Sindh&lt;/b&gt;</description>
   <link>https://www.gdacs.org/report.aspx?eventtype=FL&amp;eventid=1102</link>
   <pubDate>Mon, 29 Aug 2022 10:00:00 GMT</pubDate>
   <gdacs:fromdate>Tue, 14 Jun 2022 00:00:00 GMT</gdacs:fromdate>
   <gdacs:todate>Mon, 29 Aug 2022 00:00:00 GMT</gdacs:todate>
   <georss:point>26.5 68.2</georss:point>
   <gdacs:eventtype>FL</gdacs:eventtype><gdacs:alertlevel>Orange</gdacs:alertlevel>
   <gdacs:eventid>1102</gdacs:eventid>
   <gdacs:severity unit="" value="2">Magnitude 2</gdacs:severity>
   <gdacs:iso3>PAK</gdacs:iso3><gdacs:country>Pakistan</gdacs:country>
  </item>
  <item>
   <title>Green cyclone alert</title><pubDate>Mon, 29 Aug 2022 10:00:00 GMT</pubDate>
   <gdacs:fromdate>Mon, 29 Aug 2022 00:00:00 GMT</gdacs:fromdate>
   <georss:point>19.0 88.0</georss:point>
   <gdacs:eventtype>TC</gdacs:eventtype><gdacs:alertlevel>Purple</gdacs:alertlevel>
   <gdacs:eventid>1103</gdacs:eventid><gdacs:country>India, Bangladesh</gdacs:country>
  </item>
  <item>
   <title>Cyclone</title><gdacs:fromdate>Mon, 29 Aug 2022 00:00:00 GMT</gdacs:fromdate>
   <georss:point>19.0 88.0</georss:point>
   <gdacs:eventtype>TC</gdacs:eventtype><gdacs:alertlevel>Red</gdacs:alertlevel>
   <gdacs:eventid>1104</gdacs:eventid><gdacs:country>India, Bangladesh</gdacs:country>
  </item>
 </channel>
</rss>"""


def test_gdacs_rss(tmp_path):
    path = tmp_path / "gdacs.xml"
    path.write_text(GDACS_RSS, encoding="utf-8")
    result = read_gdacs_rss(path)
    first, second = result.data.iloc[0], result.data.iloc[1]
    assert first["id"] == "GDACS:FL1102"
    assert (first["hazard"], first["alert_level"], first["source_level"]) == (
        "flood", "orange", "Orange")
    assert first["severity_value"] == 2.0
    assert first["start"] == pd.Timestamp("2022-06-14", tz="UTC")
    assert first["countries"] == "PAK"
    assert first["description"] == "Flood <b>Sindh</b>"  # kept as text; escaped on display
    assert first.geometry.equals(shapely.Point(68.2, 26.5))  # georss is "lat lon"
    assert second["countries"] == "IND;BGD"
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (2, "alertlevel", "unknown value 'Purple'")]


def test_gdacs_geojson(tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [90.3, 22.3]},
         "properties": {"eventtype": "TC", "eventid": 1000, "episodeid": 5, "alertlevel": "Red",
                        "name": "Tropical Cyclone X", "fromdate": "2026-09-22T00:00:00",
                        "todate": "2026-09-28T00:00:00", "datemodified": "2026-09-28T01:00:00",
                        "severitydata": {"severity": 194, "severityunit": "km/h"},
                        "affectedcountries": [{"iso3": "BGD"}, {"iso3": "IND"}],
                        "url": {"report": "https://www.gdacs.org/report.aspx?eventid=1000"}}},
        {"type": "Feature", "geometry": None,
         "properties": {"eventtype": "FL", "eventid": 1001, "alertlevel": "Green",
                        "fromdate": "2026-09-01T00:00:00"}},
    ]}
    path = tmp_path / "events.geojson"
    path.write_text(json.dumps(doc))
    result = read_gdacs_geojson(path)
    row = result.data.iloc[0]
    assert row["id"] == "GDACS:TC1000"
    assert (row["severity_value"], row["severity_unit"]) == (194.0, "km/h")
    assert row["countries"] == "BGD;IND"
    assert row["end"] == pd.Timestamp("2026-09-28", tz="UTC")
    assert [(r.row, r.field) for r in result.rejections] == [(2, "geometry")]


CAP = """<?xml version="1.0" encoding="UTF-8"?>
<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
 <cap:identifier>IMD-2026-0921-001</cap:identifier>
 <cap:sender>imd@imd.gov.in</cap:sender>
 <cap:sent>2026-09-25T11:30:00+05:30</cap:sent>
 <cap:status>{status}</cap:status><cap:msgType>Alert</cap:msgType><cap:scope>Public</cap:scope>
 <cap:info>
  <cap:language>en-IN</cap:language><cap:category>Met</cap:category>
  <cap:event>Severe Cyclonic Storm</cap:event><cap:urgency>Immediate</cap:urgency>
  <cap:severity>Extreme</cap:severity><cap:certainty>Likely</cap:certainty>
  <cap:expires>2026-09-27T11:30:00+05:30</cap:expires>
  <cap:headline>Cyclone warning for the coast</cap:headline>
  <cap:area><cap:areaDesc>Sundarbans</cap:areaDesc>
   <cap:polygon>21.5,88.0 21.5,89.0 22.5,89.0 22.5,88.0 21.5,88.0</cap:polygon></cap:area>
  <cap:area><cap:areaDesc>Sagar</cap:areaDesc><cap:circle>21.65,88.05 10</cap:circle></cap:area>
 </cap:info>
 <cap:info>
  <cap:language>bn</cap:language><cap:category>Met</cap:category>
  <cap:event>ঘূর্ণিঝড়</cap:event><cap:urgency>Immediate</cap:urgency>
  <cap:severity>Severe</cap:severity><cap:certainty>Likely</cap:certainty>
  <cap:headline>উপকূলে ঘূর্ণিঝড় সতর্কতা</cap:headline>
  <cap:area><cap:areaDesc>সুন্দরবন</cap:areaDesc><cap:circle>21.65,88.05 0</cap:circle></cap:area>
 </cap:info>
 <cap:info>
  <cap:language>en-IN</cap:language><cap:event>Flood</cap:event>
  <cap:severity>Moderate</cap:severity>
  <cap:area><cap:areaDesc>Bad</cap:areaDesc>
   <cap:polygon>21.5,88.0 21.6,88.1</cap:polygon></cap:area>
 </cap:info>
 <Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>
</cap:alert>"""


def test_cap_prefixed_polygons_circles_and_languages(tmp_path):
    path = tmp_path / "imd.xml"
    path.write_text(CAP.format(status="Actual"), encoding="utf-8")
    result = read_cap(path)
    data = result.data
    assert data["source_id"].tolist() == ["IMD-2026-0921-001#1", "IMD-2026-0921-001#2"]
    assert data["alert_level"].tolist() == ["red", "orange"]
    assert data["source_level"].tolist() == ["Extreme", "Severe"]
    assert data["hazard"].tolist() == ["cyclone", "other"]  # Bengali event text: no keyword
    assert data["language"].tolist() == ["en-IN", "bn"]
    assert data["headline"].iloc[1] == "উপকূলে ঘূর্ণিঝড় সতর্কতা"
    # +05:30 offsets become UTC
    assert data["start"].iloc[0] == pd.Timestamp("2026-09-25T06:00:00Z")
    assert data["end"].iloc[0] == pd.Timestamp("2026-09-27T06:00:00Z")
    footprint = data.geometry.iloc[0]
    # Latitude first in CAP: the polygon spans lon 88-89, lat 21.5-22.5.
    assert footprint.bounds[1] == pytest.approx(21.5) and footprint.bounds[2] == pytest.approx(89)
    # The 10 km circle around Sagar sticks out west of 88.0 by about 0.047 degrees.
    assert footprint.bounds[0] == pytest.approx(88.05 - 10 / (111.32 * 0.9294), abs=0.002)
    assert data.geometry.iloc[1].equals(shapely.Point(88.05, 21.65))
    assert data["description"].iloc[0].startswith("Sundarbans; Sagar")
    assert [(r.row, r.field) for r in result.rejections] == [(3, "area/polygon")]
    assert "at least 4" in result.rejections[0].reason


@pytest.mark.parametrize("status", ["Test", "Exercise", "Draft"])
def test_cap_non_actual_messages_are_rejected(tmp_path, status):
    path = tmp_path / "t.xml"
    path.write_text(CAP.format(status=status), encoding="utf-8")
    result = read_cap(path)
    assert result.accepted == 0
    assert {r.reason for r in result.rejections if r.field == "status"} == {
        f"status '{status}' is not a real alert"}


def test_cap_example_without_prefix_and_geocode_only(shared_fixture):
    result = read_cap(shared_fixture("cap12_oasis_amber_alert_example.xml"))
    # One alert said in English and Spanish is one alert, with both languages.
    assert result.data["language"].tolist() == ["en-US, es-US"]
    assert result.data.geometry.isna().all()


XXE = """<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss><channel><item><title>&lol2;</title></item></channel></rss>"""


@pytest.mark.parametrize("doc,reader", [(XXE, read_cap), (LAUGHS, read_gdacs_rss)])
def test_dtd_and_entities_are_refused(tmp_path, doc, reader):
    path = tmp_path / "evil.xml"
    path.write_text(doc)
    with pytest.raises(UnsafeXMLError, match="evil.xml: refused"):
        reader(path)


def test_malformed_xml_names_the_line(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text('<?xml version="1.0"?>\n<rss>\n<channel>\n<item></channel></rss>')
    with pytest.raises(FormatError) as err:
        read_gdacs_rss(path)
    assert err.value.row == 4
    assert "not well-formed" in str(err.value)


def test_cap_reader_refuses_other_xml(tmp_path):
    path = tmp_path / "rss.xml"
    path.write_text(GDACS_RSS, encoding="utf-8")
    with pytest.raises(FormatError, match=r"not a CAP alert \(root element <rss>\)"):
        read_cap(path)
