"""Folium map builders shared by every page that shows a map (public ward pages, officer review).

Usage from a view::

    from planning_sv.web import maps

    wards = maps.display_wards(geo, "2025", "E09000019")        # simplified, cached
    m = maps.ward_map(wards, values={"E05013705": 1200.0}, value_label="£ committed",
                      format_value=format_gbp, links={"E05013705": "/councils/…"},
                      tiles=maps.tiles_from_config(current_app.config),
                      leaflet_prefix=url_for("static", filename="vendor/leaflet/"))
    maps.point_layer(m, [maps.MapPoint(lat=51.55, lon=-0.11, title="Site", rows=[…])],
                     name="Sites", colour="#d4351c")
    parts = maps.render_parts(m, nonce=csp_nonce)     # head / html / script for a template

API:
- `display_wards(geo, vintage, lad_code)`: the council's wards for display: code, name and
  geometry simplified topology-preservingly (`shapely.coverage_simplify`, so neighbouring
  wards still share edges) and rounded to ~1 m; cached per data folder, vintage and council.
  Only for drawing: placement always uses GeoService's full geometry.
- `ward_map(wards, values=None, …)`: a map with one polygon per ward, shaded by `values`
  (a choropleth in `choropleth_bins` classes; wards without a value are grey) or plain
  outlines when `values` is None; `highlight` draws one ward thicker, `focus` zooms to it;
  every ward has a popup (name, code, value, optional link and rows) and a tooltip.
- `point_layer(m, points, name=…, colour=…)`: circle markers with popups (`MapPoint`).
- `render_parts(m, nonce)`: the map split into `head` (CSS/JS links and sizing style),
  `html` (the map element followed by the visible attribution line) and `script` (for one
  inline `<script nonce>` at the end of the page, as the app's CSP requires).
- `full_document(m)`: one standalone HTML document (tests, notebooks).

Rules every map here follows: Leaflet comes from `static/vendor/leaflet/` only (folium's
default CDN lists for jQuery, Bootstrap, awesome-markers … are replaced, because pages must
work offline and load nothing from third parties); base tiles are off unless `MAP_TILES` is
configured; the ONS/OS attribution is in Leaflet's attribution control and as text under
the map; popup and tooltip text travels as JSON data and is put into the page with
`textContent` (never innerHTML), and popups are bound by our own elements rather than
folium.Popup/Tooltip (which need jQuery and put content in a JS template literal, where
`${…}` would run).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode
from markupsafe import Markup, escape

from planning_sv.core.figures import format_number

ATTRIBUTION = "Contains National Statistics and OS data © Crown copyright and database right 2025"
DEFAULT_LEAFLET_PREFIX = "/static/vendor/leaflet/"

# ColorBrewer PuBu, 5 classes: sequential and colour-blind safe; darker = more benefit.
PALETTE = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")
NO_VALUE_COLOUR = "#f3f2f1"  # GOV.UK light grey: a ward with nothing committed
OUTLINE_COLOUR = "#0b0c0c"
HIGHLIGHT_COLOUR = "#d4351c"

# ~10-15 m in degrees at UK latitudes: below what a borough map at zoom 12-14 shows, and the
# source boundaries are already generalised to 20 m.
SIMPLIFY_TOLERANCE_DEG = 0.00015
COORD_DECIMALS = 5  # ~1 m


# --- tiles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TileConfig:
    """A base-map tile layer: Leaflet URL template and the provider's attribution."""

    url: str
    attribution: str


def tiles_from_config(config: Mapping[str, Any]) -> TileConfig | None:
    """`MAP_TILES` (URL template) and `MAP_TILES_ATTRIBUTION` from app config; None = no tiles.

    Off by default so maps work offline and no request leaves the site; a tile provider
    always requires its attribution, so a URL without one is a configuration error.
    """
    url = config.get("MAP_TILES")
    if not url:
        return None
    if not str(url).startswith("https://"):
        # The Content-Security-Policy lets images come only from this site or over https.
        raise ValueError("MAP_TILES must be an https:// URL template")
    attribution = config.get("MAP_TILES_ATTRIBUTION")
    if not attribution:
        raise ValueError("MAP_TILES is set but MAP_TILES_ATTRIBUTION is not")
    return TileConfig(url=str(url), attribution=str(attribution))


# --- boundaries for display -------------------------------------------------------------------

_DISPLAY_CACHE: dict[tuple[str, str, str], gpd.GeoDataFrame] = {}
_DISPLAY_LOCK = threading.Lock()


def simplify_wards(
    frame: gpd.GeoDataFrame, tolerance: float = SIMPLIFY_TOLERANCE_DEG
) -> gpd.GeoDataFrame:
    """Simplify a ward coverage for drawing without opening gaps or overlaps between wards."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    simplified = shapely.coverage_simplify(geoms, tolerance)
    rounded = shapely.transform(simplified, lambda xy: np.round(xy, COORD_DECIMALS))
    # Rounding can in rare cases make a ring self-touch; keep the exact simplified shape then.
    valid = shapely.is_valid(rounded)
    out = np.where(valid, rounded, simplified)
    result = frame[["code", "name"]].copy()
    return gpd.GeoDataFrame(result, geometry=list(out), crs=frame.crs)


def display_wards(geo: Any, vintage: str, lad_code: str) -> gpd.GeoDataFrame:
    """A council's wards (code, name, simplified geometry, EPSG:4326), cached per vintage."""
    key = (str(getattr(geo, "data_dir", "")), vintage, lad_code)
    with _DISPLAY_LOCK:
        cached = _DISPLAY_CACHE.get(key)
    if cached is not None:
        return cached
    frame = simplify_wards(geo.wards_frame(vintage, lad_code).to_crs("EPSG:4326"))
    with _DISPLAY_LOCK:
        _DISPLAY_CACHE[key] = frame
    return frame


# --- choropleth classes -----------------------------------------------------------------------


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    low: float | None  # None: the "nothing committed" class
    high: float | None
    label: str


def format_tenths(value: float) -> str:
    """Map figures to one decimal place: legend bounds and popups need no more."""
    return format_number(round(value, 1))


def choropleth_bins(
    values: Iterable[float],
    *,
    classes: int = len(PALETTE),
    fmt: Callable[[float], str] = format_tenths,
) -> list[LegendEntry]:
    """Quantile classes of the positive values (quantiles, because a few large schemes would
    otherwise put every other ward in the lowest class); zero gets its own grey class."""
    positive = sorted(v for v in values if v and v > 0 and math.isfinite(v))
    legend = [LegendEntry(NO_VALUE_COLOUR, None, None, "None")]
    if not positive:
        return legend
    quantiles = np.quantile(positive, np.linspace(0, 1, classes + 1))
    edges = sorted(set(float(q) for q in quantiles))
    if len(edges) == 1:
        edges = [edges[0], edges[0]]
    count = len(edges) - 1
    # Spread the palette over however many distinct classes there are (light to dark).
    colours = [PALETTE[round(i * (len(PALETTE) - 1) / max(count - 1, 1))] for i in range(count)]
    if count == 1:
        colours = [PALETTE[-1]]
    for i in range(count):
        low, high = edges[i], edges[i + 1]
        label = fmt(low) if low == high else f"{fmt(low)} to {fmt(high)}"
        legend.append(LegendEntry(colours[i], low, high, label))
    return legend


def colour_for(value: float | None, legend: Sequence[LegendEntry]) -> str:
    if not value or value <= 0:
        return NO_VALUE_COLOUR
    for entry in legend[1:]:
        assert entry.high is not None
        if value <= entry.high:
            return entry.colour
    return legend[-1].colour


# --- popups -----------------------------------------------------------------------------------


def popup_data(
    title: str, rows: Iterable[tuple[str, str]] = (), link: tuple[str, str] | None = None
) -> dict[str, Any]:
    """A popup as plain data; the browser builds it with textContent (see _PopupHelper), so
    user text (titles, rows) is never parsed as HTML, whatever it contains."""
    return {
        "title": str(title),
        "rows": [[str(label), str(value)] for label, value in rows],
        "link": [str(link[0]), str(link[1])] if link is not None else None,
    }


class _PopupHelper(MacroElement):
    """Defines, once per map, the JS that turns popup data into DOM nodes via textContent.

    Leaflet puts a *string* popup or tooltip into innerHTML; handing it nodes instead keeps
    user text inert (the app's rule for map popups, docs/WEB.md). Added to the map before any
    layer so the functions exist when layers bind them.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            function appMapPopup(d) {
                var root = document.createElement("div");
                root.className = "app-map-popup";
                var title = document.createElement("strong");
                title.textContent = d.title;
                root.appendChild(title);
                if (d.rows && d.rows.length) {
                    var list = document.createElement("dl");
                    list.className = "app-map-popup__list";
                    d.rows.forEach(function (row) {
                        var dt = document.createElement("dt");
                        dt.textContent = row[0];
                        var dd = document.createElement("dd");
                        dd.textContent = row[1];
                        list.appendChild(dt);
                        list.appendChild(dd);
                    });
                    root.appendChild(list);
                }
                if (d.link) {
                    var a = document.createElement("a");
                    a.className = "govuk-link";
                    a.href = d.link[1];
                    a.textContent = d.link[0];
                    root.appendChild(a);
                }
                return root;
            }
            function appMapText(text) {
                var span = document.createElement("span");
                span.textContent = text;
                return span;
            }
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "PopupHelper"


class _BindPopup(MacroElement):
    """Bind popup data (and a tooltip) to the parent layer, built as DOM nodes in the browser.

    tojson emits JSON with <, >, & and ' escaped, so no content can close the <script>
    element, and it is an object literal, not a template literal where `${…}` would run.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup(function () { return appMapPopup({{ this.data|tojson }}); });
            {%- if this.tooltip %}
            {{ this._parent.get_name() }}.bindTooltip(function () { return appMapText({{ this.tooltip|tojson }}); });
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], tooltip: str | None = None):
        super().__init__()
        self._name = "BindPopup"
        self.data = data
        self.tooltip = tooltip


class _Attribution(MacroElement):
    """Add the data attribution to Leaflet's attribution control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "Attribution"
        self.text = str(escape(text))


class _FitBounds(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }}, {padding: [8, 8]});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self._name = "FitBounds"
        self.bounds = bounds


# --- the map ----------------------------------------------------------------------------------


class LocalMap(folium.Map):
    """folium.Map with Leaflet from our own static files and no page-wide styles.

    folium's own header sets `html, body {height: 100%; margin: 0}` and an inline script
    for global switches; inside a GOV.UK page both are wrong (layout, CSP), so the header
    here only sizes the map element.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>
                #{{ this.get_name() }} {
                    position: {{this.position}};
                    width: {{this.width[0]}}{{this.width[1]}};
                    height: {{this.height[0]}}{{this.height[1]}};
                }
                /* WCAG 1.4.1: links must not rely on colour alone (Leaflet removes it). */
                #{{ this.get_name() }} .leaflet-control-attribution a { text-decoration: underline; }
                #{{ this.get_name() }} .app-map-popup__list { margin: 4px 0; }
                #{{ this.get_name() }} .app-map-popup__list dt { font-weight: bold; }
                #{{ this.get_name() }} .app-map-popup__list dd { margin: 0 0 4px 0; }
            </style>
        {% endmacro %}

        {% macro html(this, kwargs) %}
            <div class="folium-map app-map" id={{ this.get_name()|tojson }} role="region"
                 aria-label={{ this.aria_label|tojson }}></div>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{this.options|tojavascript}}
                }
            );
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        leaflet_prefix: str = DEFAULT_LEAFLET_PREFIX,
        aria_label: str = "Map",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        prefix = leaflet_prefix if leaflet_prefix.endswith("/") else leaflet_prefix + "/"
        # Instance lists: folium's class-level lists are shared and point at CDNs.
        self.default_js = [("leaflet", f"{prefix}leaflet.js")]
        self.default_css = [("leaflet_css", f"{prefix}leaflet.css")]
        self.aria_label = aria_label


def base_map(
    *,
    tiles: TileConfig | None = None,
    leaflet_prefix: str = DEFAULT_LEAFLET_PREFIX,
    height: int = 480,
    aria_label: str = "Map",
    location: Sequence[float] = (53.0, -1.5),
) -> LocalMap:
    """An empty map with the attribution, optional base tiles and our Leaflet."""
    m = LocalMap(
        location=list(location),
        zoom_start=12,
        tiles=None,
        height=height,
        leaflet_prefix=leaflet_prefix,
        aria_label=aria_label,
        # Scroll-wheel zoom traps page scrolling on long pages (WCAG 2.2 keyboard/pointer).
        scrollWheelZoom=False,
    )
    if tiles is not None:
        folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, name="Base map").add_to(m)
    _PopupHelper().add_to(m)
    _Attribution(ATTRIBUTION).add_to(m)
    return m


@dataclass(frozen=True)
class MapPoint:
    """A point to mark: title and rows may be user text (shown with textContent)."""

    lat: float
    lon: float
    title: str
    rows: Sequence[tuple[str, str]] = field(default_factory=tuple)
    link: tuple[str, str] | None = None


def ward_map(
    wards: gpd.GeoDataFrame,
    values: Mapping[str, float] | None = None,
    *,
    value_label: str = "Value",
    format_value: Callable[[float], str] = format_tenths,
    legend: Sequence[LegendEntry] | None = None,
    links: Mapping[str, str] | None = None,
    extra_rows: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    highlight: str | None = None,
    focus: str | None = None,
    tiles: TileConfig | None = None,
    leaflet_prefix: str = DEFAULT_LEAFLET_PREFIX,
    height: int = 480,
    aria_label: str = "Map of wards",
) -> LocalMap:
    """Wards drawn as one GeoJson layer, shaded by `values` when given (a choropleth).

    `wards` has columns code, name and geometry in EPSG:4326 (e.g. `display_wards`).
    `links` maps a ward code to a URL shown in its popup; `extra_rows` adds popup rows;
    `highlight` outlines one ward in red; `focus` zooms to one ward instead of all.
    """
    m = base_map(tiles=tiles, leaflet_prefix=leaflet_prefix, height=height, aria_label=aria_label)
    if values is not None and legend is None:
        legend = choropleth_bins(values.values(), fmt=format_value)
    features = []
    for code, name, geom in zip(wards["code"], wards["name"], wards.geometry, strict=True):
        code = str(code)
        value = values.get(code) if values is not None else None
        rows: list[tuple[str, str]] = [("Ward code", code)]
        if values is not None:
            rows.append((value_label, format_value(value or 0.0)))
        rows.extend((extra_rows or {}).get(code, ()))
        link = ("View ward", links[code]) if links and code in links else None
        fill = colour_for(value, legend) if values is not None and legend else "#ffffff"
        is_highlight = code == highlight
        tooltip = f"{name}: {format_value(value or 0.0)}" if values is not None else str(name)
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {
                    "code": code,
                    "name": str(name),
                    "value": value,
                    # Plain text: appMapPopup/appMapText insert it with textContent.
                    "popup": popup_data(str(name), rows, link),
                    "tooltip": tooltip,
                    "style": {
                        "fillColor": fill,
                        "fillOpacity": 0.75
                        if values is not None
                        else (0.2 if is_highlight else 0.05),
                        "color": HIGHLIGHT_COLOUR if is_highlight else OUTLINE_COLOUR,
                        "weight": 4 if is_highlight else 1,
                    },
                },
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="Wards",
        style_function=lambda feature: feature["properties"]["style"],
        highlight_function=lambda feature: {"weight": 3, "color": HIGHLIGHT_COLOUR},
        on_each_feature=JsCode(
            "function(feature, layer) {"
            " layer.bindPopup(function () { return appMapPopup(feature.properties.popup); });"
            " layer.bindTooltip(function () { return appMapText(feature.properties.tooltip); },"
            " {sticky: true}); }"
        ),
    )
    layer.add_to(m)
    target = wards[wards["code"] == focus] if focus else wards
    if len(target):
        minx, miny, maxx, maxy = target.total_bounds
        _FitBounds([[float(miny), float(minx)], [float(maxy), float(maxx)]]).add_to(m)
        m.location = [float((miny + maxy) / 2), float((minx + maxx) / 2)]
    return m


def point_layer(
    m: folium.Map,
    points: Iterable[MapPoint],
    *,
    name: str,
    colour: str = HIGHLIGHT_COLOUR,
    radius: int = 7,
) -> folium.FeatureGroup:
    """Circle markers (no icon images, so no extra assets) with popups and tooltips."""
    group = folium.FeatureGroup(name=name)
    for point in points:
        marker = folium.CircleMarker(
            location=[float(point.lat), float(point.lon)],
            radius=radius,
            color="#0b0c0c",
            weight=2,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
        )
        _BindPopup(popup_data(point.title, point.rows, point.link), tooltip=point.title).add_to(
            marker
        )
        marker.add_to(group)
    group.add_to(m)
    return group


# --- rendering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapParts:
    head: Markup
    html: Markup
    script: Markup


def _attribution_html() -> Markup:
    return Markup('<p class="govuk-body-s app-map__attribution">{}</p>').format(ATTRIBUTION)


def render_parts(m: folium.Map, nonce: str | None = None) -> MapParts:
    """Split the rendered map for a page template: `head` (links, sizing style), `html` (map
    element and visible attribution), `script` (JS to put inside one `<script nonce>`)."""
    figure = m.get_root()
    figure.render()
    # folium's Figure adds a charset meta tag; the page already has one.
    figure.header._children.pop("meta_http", None)
    head = figure.header.render()
    if nonce:
        # Any script in the head (Leaflet itself) must carry the page's CSP nonce.
        head = head.replace("<script ", f'<script nonce="{escape(nonce)}" ')
    # folium's output is markup by construction; user strings reach it only as JSON (tojson,
    # script-safe) and are put into the page with textContent.
    return MapParts(
        head=Markup(head),  # noqa: S704
        html=Markup(figure.html.render()) + _attribution_html(),  # noqa: S704
        script=Markup(figure.script.render()),  # noqa: S704
    )


def full_document(m: folium.Map) -> str:
    """The map as one standalone HTML page (as folium renders it), with the attribution."""
    document = m.get_root().render()
    # folium's body holds only the map element, so this puts the text under the map.
    return document.replace("</body>", f"{_attribution_html()}\n</body>", 1)
