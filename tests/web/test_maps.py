"""The folium map builders, tested on their rendered HTML (in the style of geopandas'
test_explore.py): what a browser would receive, not folium's Python objects."""

from __future__ import annotations

import re
from collections.abc import Callable

import folium
import geopandas as gpd
import pytest
import shapely
from branca.element import Element
from shapely.geometry import box

from planning_sv.core.figures import format_gbp
from planning_sv.core.geo.service import GeoService
from planning_sv.web import maps

HOSTILE = "<script>alert('x')</script> `${alert(1)}` & \"q\""


def _fetch_map_string(m: maps.LocalMap) -> str:
    """The whole standalone document with whitespace removed (as geopandas' tests do)."""
    return "".join(maps.full_document(m).split())


def _asset_urls(html: str) -> list[str]:
    """Every URL the page would load as a script or stylesheet."""
    scripts = re.findall(r"<script[^>]*\ssrc=[\"']?([^\"' >]+)", html)
    links = re.findall(r"<link[^>]*\shref=[\"']?([^\"' >]+)", html)
    return scripts + links


def _geojson_data(html: str) -> dict:
    """The wards' GeoJSON from the map's data island (`<script type="application/json">`)."""
    return maps.map_data(html)["wards"]


@pytest.fixture
def toy_wards() -> gpd.GeoDataFrame:
    """Three adjacent square 'wards', one with a hostile name."""
    return gpd.GeoDataFrame(
        {
            "code": ["E05000001", "E05000002", "E05000003"],
            "name": ["Alpha", "Beta", HOSTILE],
        },
        geometry=[
            box(-0.12, 51.55, -0.11, 51.56),
            box(-0.11, 51.55, -0.10, 51.56),
            box(-0.10, 51.55, -0.09, 51.56),
        ],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def islington() -> gpd.GeoDataFrame:
    return maps.display_wards(GeoService.from_data_dir(), "2025", "E09000019")


def test_choropleth_has_every_ward_code_name_and_value(islington: gpd.GeoDataFrame) -> None:
    values = {code: 1000.0 * (i + 1) for i, code in enumerate(islington["code"])}
    m = maps.ward_map(islington, values, value_label="£ committed", format_value=format_gbp)
    html = maps.full_document(m)
    data = _geojson_data(html)
    assert len(data["features"]) == 17
    by_code = {f["id"]: f["properties"] for f in data["features"]}
    assert set(by_code) == set(islington["code"])
    for code, value in values.items():
        assert by_code[code]["value"] == value
    for name in ("Holloway", "Finsbury Park", "Tufnell Park"):
        assert name in html
    # The largest value, formatted in its ward's popup and tooltip.
    largest = by_code[islington["code"].iloc[-1]]
    assert ["£ committed", "£17,000"] in largest["popup"]["rows"]
    assert largest["tooltip"] == f"{largest['name']}: £17,000"
    # Shaded: the largest value gets the darkest colour, distinct from the smallest.
    assert by_code[islington["code"].iloc[-1]]["style"]["fillColor"] == maps.PALETTE[-1]
    assert by_code[islington["code"].iloc[0]]["style"]["fillColor"] == maps.PALETTE[0]


def test_zero_values_are_grey_and_legend_has_a_none_class(toy_wards: gpd.GeoDataFrame) -> None:
    values = {"E05000001": 0.0, "E05000002": 10.0, "E05000003": 30.0}
    legend = maps.choropleth_bins(values.values())
    assert legend[0].label == "None" and legend[0].colour == maps.NO_VALUE_COLOUR
    m = maps.ward_map(toy_wards, values, legend=legend)
    styles = {
        f["id"]: f["properties"]["style"] for f in _geojson_data(maps.full_document(m))["features"]
    }
    assert styles["E05000001"]["fillColor"] == maps.NO_VALUE_COLOUR
    assert styles["E05000003"]["fillColor"] == maps.PALETTE[-1]


def test_no_remote_assets_and_leaflet_from_vendor(toy_wards: gpd.GeoDataFrame) -> None:
    m = maps.ward_map(toy_wards, {"E05000001": 1.0}, leaflet_prefix="/static/vendor/leaflet/")
    maps.point_layer(m, [maps.MapPoint(51.555, -0.115, "Site")], name="Sites")
    html = maps.full_document(m)
    urls = _asset_urls(html)
    assert "/static/vendor/leaflet/leaflet.js" in urls
    assert "/static/vendor/leaflet/leaflet.css" in urls
    assert not [u for u in urls if u.startswith(("http://", "https://", "//"))], urls
    for library in ("jquery", "bootstrap", "awesome-markers", "font-awesome", "cdn."):
        assert library not in html.lower()
    # No base tiles unless configured: the page works offline.
    assert maps.map_data(html)["tiles"] is None


def test_tiles_only_when_configured(toy_wards: gpd.GeoDataFrame) -> None:
    assert maps.tiles_from_config({}) is None
    with pytest.raises(ValueError, match="MAP_TILES_ATTRIBUTION"):
        maps.tiles_from_config({"MAP_TILES": "https://tiles.example/{z}/{x}/{y}.png"})
    # The page's CSP admits remote images only over https.
    with pytest.raises(ValueError, match="https"):
        maps.tiles_from_config({"MAP_TILES": "http://tiles.example/{z}/{x}/{y}.png"})
    tiles = maps.tiles_from_config(
        {
            "MAP_TILES": "https://tiles.example/{z}/{x}/{y}.png",
            "MAP_TILES_ATTRIBUTION": "Example tiles",
        }
    )
    html = maps.full_document(maps.ward_map(toy_wards, tiles=tiles))
    assert maps.map_data(html)["tiles"] == {
        "url": "https://tiles.example/{z}/{x}/{y}.png",
        "attribution": "Example tiles",
    }
    assert "L.tileLayer(data.tiles.url" in html


def test_attribution_in_leaflet_control_and_as_visible_text(toy_wards: gpd.GeoDataFrame) -> None:
    m = maps.ward_map(toy_wards)
    html = maps.full_document(m)
    assert "attributionControl.addAttribution(data.attribution)" in html
    # In the control (from the data island) ...
    assert maps.map_data(html)["attribution"] == maps.ATTRIBUTION
    # ... and as text under the map element.
    parts = maps.render_parts(maps.ward_map(toy_wards))
    assert maps.ATTRIBUTION in str(parts.html)
    assert str(parts.html).index("folium-map") < str(parts.html).index(maps.ATTRIBUTION)


def _bound_popups(html: str) -> list[dict]:
    """The popup data of every point marker, from the map's data island."""
    return [p["popup"] for layer in maps.map_data(html)["points"] for p in layer["points"]]


def test_hostile_text_reaches_popups_only_as_inert_data(toy_wards: gpd.GeoDataFrame) -> None:
    m = maps.ward_map(toy_wards, {"E05000003": 5.0}, links={"E05000003": "/w/E05000003"})
    maps.point_layer(
        m,
        [maps.MapPoint(51.555, -0.095, HOSTILE, rows=[("Description", HOSTILE)])],
        name="Commitments",
    )
    html = maps.full_document(m)
    # The raw markup never appears anywhere in the document: it cannot close the script
    # element, and there is no template literal in which `${…}` would run.
    assert "<script>alert" not in html
    assert "</script> `" not in html
    assert "$(`" not in html and "bindPopup(`" not in html
    # The only script that runs has no template literal at all (the island is inert JSON).
    assert "`" not in str(maps.render_parts(m).script)
    # Popups and tooltips are built with textContent, never from an HTML string.
    assert "textContent = d.title" in html and "innerHTML" not in html
    assert "bindPopup(feature.properties" not in html
    # In the island, the markup is JSON-escaped so it cannot close the script element.
    assert "\\u003cscript\\u003ealert(\\u0027x\\u0027)\\u003c/script\\u003e" in html
    features = {f["id"]: f["properties"] for f in _geojson_data(html)["features"]}
    popup = features["E05000003"]["popup"]
    assert popup["title"] == HOSTILE  # decoded from script-safe JSON, shown as text
    assert popup["link"] == ["View ward", "/w/E05000003"]
    assert ["Value", "5"] in popup["rows"]
    assert features["E05000003"]["tooltip"].startswith(HOSTILE)
    (point,) = _bound_popups(html)
    assert point["title"] == HOSTILE and point["rows"] == [["Description", HOSTILE]]


def test_popup_data_is_plain_strings() -> None:
    data = maps.popup_data("<b>t</b>", [("<i>l</i>", 3)], ("go", "/x?a=1&b='2'"))  # type: ignore[list-item]
    assert data == {
        "title": "<b>t</b>",
        "rows": [["<i>l</i>", "3"]],
        "link": ["go", "/x?a=1&b='2'"],
    }


def test_render_parts_for_a_page_with_csp_nonce(toy_wards: gpd.GeoDataFrame) -> None:
    parts = maps.render_parts(maps.ward_map(toy_wards), nonce="n0nce")
    assert '<script nonce="n0nce" src="/static/vendor/leaflet/leaflet.js">' in str(parts.head)
    # No page-wide styles from folium (they break the GOV.UK layout) and no inline scripts
    # outside the one the page wraps in <script nonce>.
    assert "html, body" not in str(parts.head)
    assert "L_NO_TOUCH" not in str(parts.head) + str(parts.script)
    assert "<script>" not in str(parts.head) + str(parts.html)
    assert "L.map(" in str(parts.script) and "<script" not in str(parts.script)


def test_highlight_and_focus_on_one_ward(islington: gpd.GeoDataFrame) -> None:
    m = maps.ward_map(islington, highlight="E05013706", focus="E05013706")
    html = maps.full_document(m)
    styles = {f["id"]: f["properties"]["style"] for f in _geojson_data(html)["features"]}
    assert styles["E05013706"]["color"] == maps.HIGHLIGHT_COLOUR
    assert styles["E05013706"]["weight"] > styles["E05013705"]["weight"]
    bounds = maps.map_data(html)["bounds"]
    holloway = islington[islington["code"] == "E05013706"].total_bounds
    assert bounds[0] == pytest.approx([holloway[1], holloway[0]])
    assert bounds[1] == pytest.approx([holloway[3], holloway[2]])  # framed on Holloway alone


def test_display_boundaries_are_simplified_cached_and_still_a_coverage() -> None:
    geo = GeoService.from_data_dir()
    full = geo.wards_frame("2025", "E08000006")
    cache = maps.DisplayCache()
    display = cache.wards(geo, "2025", "E08000006")
    assert cache.wards(geo, "2025", "E08000006") is display  # cached for this service
    # Another service (a new boundary vintage, another folder) is simplified afresh.
    assert cache.wards(GeoService.from_data_dir(), "2025", "E08000006") is not display
    assert maps.DisplayCache().wards(geo, "2025", "E08000006") is not display  # per owner
    display_bng, full_bng = display.to_crs(27700), full.to_crs(27700)
    assert list(display["code"]) == list(full["code"])
    assert (
        shapely.get_num_coordinates(display.geometry.array).sum()
        <= shapely.get_num_coordinates(full.geometry.array).sum()
    )
    # Simplified: strictly fewer points than the full-resolution boundaries.
    assert (
        shapely.get_num_coordinates(display.geometry.array).sum()
        < shapely.get_num_coordinates(full.geometry.array).sum()
    )
    assert display.geometry.is_valid.all()
    # Topology kept: neighbouring wards do not overlap after simplification.
    union_area = shapely.union_all(display_bng.geometry.array).area
    assert union_area == pytest.approx(display_bng.geometry.area.sum(), rel=1e-6)
    # And the shapes stay close to the originals (within 1% of each ward's area).
    for simple, exact in zip(display_bng.geometry, full_bng.geometry, strict=True):
        assert simple.area == pytest.approx(exact.area, rel=0.01)


TEMPLATE_PAYLOADS = ("X{{7*7}}X", "X{% raw %}X", "X{{X", "X{#X", "X${alert(1)}X")


@pytest.mark.parametrize("payload", TEMPLATE_PAYLOADS)
def test_template_syntax_in_any_text_is_data_not_a_template(
    toy_wards: gpd.GeoDataFrame, payload: str
) -> None:
    wards = toy_wards.assign(name=["Alpha", "Beta", payload])
    m = maps.ward_map(
        wards,
        {"E05000003": 5.0},
        value_label=payload,
        extra_rows={"E05000003": [(payload, payload)]},
        aria_label=payload,
    )
    maps.point_layer(
        m, [maps.MapPoint(51.555, -0.095, payload, rows=[(payload, payload)])], name=payload
    )
    parts = maps.render_parts(m, nonce="n")
    page = str(parts.head) + str(parts.html) + str(parts.script)
    assert "X49X" not in page  # never evaluated by Jinja ...
    data = maps.map_data(str(parts.html))
    ward = next(f for f in data["wards"]["features"] if f["id"] == "E05000003")["properties"]
    assert ward["popup"]["title"] == payload  # ... but carried verbatim as data
    assert [payload, payload] in ward["popup"]["rows"]
    assert ward["tooltip"] == f"{payload}: 5"
    (layer,) = data["points"]
    assert layer["points"][0]["popup"] == {
        "title": payload,
        "rows": [[payload, payload]],
        "link": None,
    }


@pytest.mark.parametrize(
    "element",
    [
        lambda: folium.Popup("X{{7*7}}X"),
        lambda: folium.Tooltip("X{{7*7}}X"),
        lambda: folium.Marker([51.555, -0.095]),
        lambda: folium.GeoJson({"type": "FeatureCollection", "features": []}),
        lambda: Element("X{{7*7}}X"),
    ],
    ids=["Popup", "Tooltip", "Marker", "GeoJson", "Element"],
)
def test_render_refuses_folium_and_branca_elements(
    toy_wards: gpd.GeoDataFrame, element: Callable[[], Element]
) -> None:
    """Every folium/branca element's output is compiled as a template again, so a map
    accepts none of them: content goes into the data island instead."""
    m = maps.ward_map(toy_wards)
    element().add_to(m)
    with pytest.raises(TypeError, match="compile their output as a template"):
        maps.render_parts(m)


def test_branca_output_is_only_literal_text(toy_wards: gpd.GeoDataFrame) -> None:
    """Something added straight to the figure (not the map) is refused too."""
    m = maps.ward_map(toy_wards)
    m.get_root().script.add_child(Element("X{{7*7}}X"))
    with pytest.raises(TypeError, match="rendered output"):
        maps.render_parts(m)


# Source guard: nowhere in the app may text reach a Jinja/branca template source. Only
# maps.py touches folium/branca, and there every Template(...) takes a string literal.
_TEMPLATE_SINKS = re.compile(
    r"\b(folium\.\w+|branca\b|Template\(|from_string\(|render_template_string|"
    r"Environment\(|Html\(|IFrame\(|Popup\(|Tooltip\()"
)


def test_no_template_sink_outside_maps_and_only_literal_templates_inside() -> None:
    import ast
    from pathlib import Path

    package = Path(maps.__file__).resolve().parents[1]
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "maps.py" and path.parent.name == "web":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if _TEMPLATE_SINKS.search(code):
                offenders.append(f"{path.relative_to(package)}:{number}: {line.strip()}")
    assert offenders == []

    tree = ast.parse(Path(maps.__file__).read_text(encoding="utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None))
        in ("Template", "Element", "Html", "Popup", "Tooltip", "GeoJson", "Marker")
    ]
    templates = [c for c in calls if getattr(c.func, "id", None) == "Template"]
    assert len(templates) == 2  # _MapScript and LocalMap
    for call in calls:
        assert getattr(call.func, "id", None) == "Template", ast.unparse(call)
        (arg,) = call.args
        assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), ast.unparse(call)
