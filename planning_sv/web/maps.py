"""Folium map builders shared by every page that shows a map (public ward pages, officer review).

Usage from a view::

    from planning_sv.web import maps

    wards = services().display_wards("2025", plan.lad_code)       # simplified, cached per app
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
  wards still share edges) and rounded to ~1 m. Only for drawing: placement always uses
  GeoService's full geometry. `DisplayCache` keeps them per vintage and council for the
  GeoService they came from (one per app, `web.services().display_wards`), so a new
  service after a boundary import is simplified afresh.
- `ward_map(wards, values=None, …)`: a map with one polygon per ward, shaded by `values`
  (a choropleth in `choropleth_bins` classes; wards without a value are grey) or plain
  outlines when `values` is None; `highlight` draws one ward thicker, `focus` zooms to it;
  every ward has a popup (name, code, value, optional link and rows) and a tooltip.
- `point_layer(m, points, name=…, colour=…)`: circle markers with popups (`MapPoint`).
- `render_parts(m, nonce)`: the map split into `head` (CSS/JS links and sizing style),
  `html` (the map element, its data island and the visible attribution line) and `script`
  (for one inline `<script nonce>` at the end of the page, as the app's CSP requires).
- `map_data(html)`: the data island of a rendered map, decoded (tests).
- `full_document(m)`: one standalone HTML document (tests, notebooks).

Rules every map here follows: Leaflet comes from `static/vendor/leaflet/` only (folium's
default CDN lists for jQuery, Bootstrap, awesome-markers … are replaced, because pages must
work offline and load nothing from third parties); base tiles are off unless `MAP_TILES` is
configured; the ONS/OS attribution is in Leaflet's attribution control and as text under
the map.

User text (addresses, references, descriptions, ward names …) never goes through folium or
branca: branca compiles every element's rendered output as a Jinja template again (see the
note above `_Literal`), so text there would be *executed* on the server. Everything a map
shows is in `LocalMap.data`, written by `render_parts` as a `<script type="application/json">`
data island; one fixed script (`_MapScript`) draws it and puts popup and tooltip text into
the page with `textContent` (never innerHTML). `render_parts` refuses any other element on
the map (folium.Popup, Tooltip, GeoJson, Marker, Element …).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.template import Template
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from planning_sv.core.figures import format_number
from planning_sv.datasets import map_attribution

# The ONS/OS attribution, from the data manifest (planning_sv/data/datasets.yaml).
ATTRIBUTION = map_attribution()
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


def page_map_options() -> dict[str, Any]:
    """The `tiles` and `leaflet_prefix` every page's map is drawn with (the app's tile
    setting; Leaflet from static/vendor), for `ward_map(**page_map_options())`."""
    from flask import current_app, url_for

    return {
        "tiles": tiles_from_config(current_app.config),
        "leaflet_prefix": url_for("static", filename="vendor/leaflet/"),
    }


# --- boundaries for display -------------------------------------------------------------------


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
    """A council's wards (code, name, simplified geometry, EPSG:4326); not cached."""
    return simplify_wards(geo.wards_frame(vintage, lad_code).to_crs("EPSG:4326"))


class DisplayCache:
    """Simplified wards per (vintage, council), for the GeoService they were made from.

    Owned by the app (`web.services()`); a different service (another data or instance
    folder, or a fresh one after a boundary import) misses and is simplified again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frames: dict[tuple[str, str], tuple[Any, gpd.GeoDataFrame]] = {}

    def wards(self, geo: Any, vintage: str, lad_code: str) -> gpd.GeoDataFrame:
        key = (vintage, lad_code)
        with self._lock:
            cached = self._frames.get(key)
        if cached is not None and cached[0] is geo:
            return cached[1]
        frame = display_wards(geo, vintage, lad_code)
        with self._lock:
            self._frames[key] = (geo, frame)
        return frame

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()


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
    """A popup as plain data; the browser builds it with textContent (see _MapScript), so
    user text (titles, rows) is never parsed as HTML, whatever it contains."""
    if link is not None and not str(link[1]).startswith("/"):
        # Links are this site's own pages (url_for); anything else (javascript:, another
        # site) is a programming error, not something to put into an href.
        raise ValueError(f"popup links must be site-relative paths, not {link[1]!r}")
    return {
        "title": str(title),
        "rows": [[str(label), str(value)] for label, value in rows],
        "link": [str(link[0]), str(link[1])] if link is not None else None,
    }


# --- rendering without a second template pass ---------------------------------------------
#
# branca's MacroElement.render wraps each macro's *output* in `Element(output)`, and
# Element(str) compiles its argument as a new Jinja template, rendered again with the page.
# Any text a macro printed (even through |tojson) was therefore evaluated as Jinja: an
# address of `{{ 7*7 }}` came out as 49, `{{` was a TemplateSyntaxError, and a longer
# expression ran code on the server. So on these maps:
# - user text never enters the folium element tree: it travels in the map's data island,
#   a `<script type="application/json">` written by render_parts with script-safe JSON;
# - our elements render their fixed templates once and hand the output to the page as
#   literal text (_Literal), never as a template;
# - render_parts refuses any element that is not ours (folium.Popup, Tooltip, GeoJson,
#   Marker, Element(str) …), so nobody can bring the double evaluation back unnoticed.


class _Literal(Element):
    """Already-rendered output: returned as it is, never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Literal"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def _render_once(element: MacroElement, kwargs: dict[str, Any]) -> None:
    """MacroElement.render, minus the re-compilation of the macros' output."""
    figure = element.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("a map element can only be rendered inside a Figure")
    module = element._template.module
    for part in ("header", "html", "script"):
        macro = getattr(module, part, None)
        if macro is not None:
            text = str(macro(element, kwargs))
            getattr(figure, part).add_child(_Literal(text), name=element.get_name())
    for child in element._children.values():
        child.render(**kwargs)


class _MapScript(MacroElement):
    """Draws everything on the map from its data island, building popups and tooltips as DOM
    nodes with textContent (Leaflet puts a *string* popup into innerHTML).

    The template is fixed and takes no user text: only the map's variable name and the
    island's id (both generated here). JSON.parse of the island yields plain strings, and
    none of them is ever evaluated as HTML, JavaScript or a template.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, data) {
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
            function bind(layer, popup, tooltip, options) {
                layer.bindPopup(function () { return appMapPopup(popup); });
                if (tooltip) {
                    layer.bindTooltip(function () { return appMapText(tooltip); }, options || {});
                }
            }
            if (data.tiles) {
                L.tileLayer(data.tiles.url, {attribution: data.tiles.attribution}).addTo(map);
            }
            // Keyboard and screen readers (WCAG 2.1.1, 4.1.2): on a whole-borough map a ward
            // with a page is a link named by its label that opens the page on Enter; other
            // shapes (a map zoomed to one ward) and points get no tab stop: the page's
            // tables and links carry the same figures and links.
            function wardKeys(layer, props) {
                var el = layer.getElement && layer.getElement();
                if (!el) { return; }
                var link = props.keyboard && props.popup && props.popup.link;
                if (link) {
                    el.setAttribute("tabindex", "0");
                    el.setAttribute("role", "link");
                    el.setAttribute("aria-label", props.label || props.name);
                    el.addEventListener("keydown", function (event) {
                        if (event.key === "Enter") {
                            event.preventDefault();
                            window.location.assign(link[1]);
                        }
                    });
                } else {
                    el.setAttribute("tabindex", "-1");
                    el.setAttribute("aria-hidden", "true");
                }
            }
            function outOfTabOrder(layer) {
                var el = layer.getElement && layer.getElement();
                if (el) {
                    el.setAttribute("tabindex", "-1");
                    el.setAttribute("aria-hidden", "true");
                }
            }
            if (data.wards) {
                var wards = L.geoJSON(data.wards, {
                    style: function (feature) { return feature.properties.style; },
                    onEachFeature: function (feature, layer) {
                        bind(layer, feature.properties.popup, feature.properties.tooltip,
                             {sticky: true});
                        layer.on("mouseover", function () { layer.setStyle(data.hover); });
                        layer.on("mouseout", function () { wards.resetStyle(layer); });
                    }
                }).addTo(map);
                wards.eachLayer(function (layer) {
                    wardKeys(layer, layer.feature.properties);
                });
            }
            data.points.forEach(function (group) {
                var layer = L.featureGroup().addTo(map);
                group.points.forEach(function (p) {
                    var marker = L.circleMarker([p.lat, p.lon], group.style);
                    bind(marker, p.popup, p.tooltip);
                    marker.addTo(layer);
                    outOfTabOrder(marker);
                });
            });
            if (data.bounds) {
                map.fitBounds(data.bounds, {padding: [8, 8]});
            }
            map.attributionControl.addAttribution(data.attribution);
        })({{ this._parent.get_name() }},
           JSON.parse(document.getElementById({{ this.island_id|tojson }}).textContent));
        {% endmacro %}
        """
    )

    def __init__(self, island_id: str) -> None:
        super().__init__()
        self._name = "MapScript"
        self.island_id = island_id

    def render(self, **kwargs: Any) -> None:
        _render_once(self, kwargs)


# --- the map ----------------------------------------------------------------------------------


class LocalMap(folium.Map):
    """folium.Map with Leaflet from our own static files, no page-wide styles, and its
    content (wards, points, tiles, bounds) in `self.data`, the map's data island.

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
            <div class="folium-map app-map" id="{{ this.get_name()|e }}" role="region"
                 aria-label="{{ this.aria_label|e }}"></div>
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
        self.aria_label = str(aria_label)
        self.island_id = f"{self.get_name()}_data"
        # Everything drawn on the map, as data (see _MapScript): the only place user text goes.
        self.data: dict[str, Any] = {
            "tiles": None,
            "attribution": str(escape(ATTRIBUTION)),  # Leaflet's control inserts HTML
            "wards": None,
            "hover": {"weight": 3, "color": HIGHLIGHT_COLOUR},
            "points": [],
            "bounds": None,
        }
        _MapScript(self.island_id).add_to(self)

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("a map can only be rendered inside a Figure")
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        _render_once(self, kwargs)


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
        location=[float(v) for v in location],
        zoom_start=12,
        tiles=None,
        height=height,
        leaflet_prefix=leaflet_prefix,
        aria_label=aria_label,
        # Scroll-wheel zoom traps page scrolling on long pages (WCAG 2.2 keyboard/pointer).
        scrollWheelZoom=False,
    )
    if tiles is not None:
        m.data["tiles"] = {"url": tiles.url, "attribution": tiles.attribution}
    return m


@dataclass(frozen=True)
class MapPoint:
    """A point to mark: title and rows may be user text (shown with textContent)."""

    lat: float
    lon: float
    title: str
    rows: Sequence[tuple[str, str]] = field(default_factory=tuple)
    link: tuple[str, str] | None = None


def _finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or Infinity (JSON.parse would reject the whole island)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


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
    """Wards drawn as one GeoJSON layer, shaded by `values` when given (a choropleth).

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
        value = _finite_or_none(values.get(code)) if values is not None else None
        rows: list[tuple[str, str]] = [("Ward code", code)]
        if values is not None:
            rows.append((value_label, format_value(value or 0.0)))
        rows.extend((extra_rows or {}).get(code, ()))
        link = ("View ward", links[code]) if links and code in links else None
        # A keyboard link on every ward of a whole-borough map; on a map zoomed to one ward
        # (`focus`) the shapes run off the map's edge, so they leave the tab order and the
        # page's own links (breadcrumbs, tables) take the keyboard user on.
        keyboard = link is not None and focus is None
        fill = colour_for(value, legend) if values is not None and legend else "#ffffff"
        is_highlight = code == highlight
        tooltip = f"{name}: {format_value(value or 0.0)}" if values is not None else str(name)
        # The shape's accessible name: what the tooltip says, and where Enter goes.
        label = (
            f"{name} ward: {format_value(value or 0.0)}" if values is not None else f"{name} ward"
        )
        if link is not None:
            label += ". Opens the ward page"
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
                    "label": label,
                    "keyboard": keyboard,
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
    m.data["wards"] = {"type": "FeatureCollection", "features": features}
    target = wards[wards["code"] == focus] if focus else wards
    if len(target):
        minx, miny, maxx, maxy = (float(v) for v in target.total_bounds)
        m.data["bounds"] = [[miny, minx], [maxy, maxx]]
        m.location = [(miny + maxy) / 2, (minx + maxx) / 2]
    return m


def point_layer(
    m: LocalMap,
    points: Iterable[MapPoint],
    *,
    name: str,
    colour: str = HIGHLIGHT_COLOUR,
    radius: int = 7,
) -> dict[str, Any]:
    """Circle markers (no icon images, so no extra assets) with popups and tooltips; returns
    the layer's data as it goes into the map's data island."""
    layer: dict[str, Any] = {
        "name": str(name),
        "style": {
            "radius": int(radius),
            "color": "#0b0c0c",
            "weight": 2,
            "fill": True,
            "fillColor": str(colour),
            "fillOpacity": 0.9,
        },
        "points": [
            {
                "lat": float(point.lat),
                "lon": float(point.lon),
                "popup": popup_data(point.title, point.rows, point.link),
                "tooltip": str(point.title),
            }
            for point in points
        ],
    }
    m.data["points"].append(layer)
    return layer


# --- rendering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapParts:
    head: Markup
    html: Markup
    script: Markup


_ISLAND_CLASS = "app-map-data"
_ISLAND_PATTERN = re.compile(
    r'<script type="application/json" id="([^"]+)" class="' + _ISLAND_CLASS + r'">(.*?)</script>',
    re.DOTALL,
)
# What may hang in a rendered map's figure: Leaflet's links and our literal output.
_ALLOWED_PARTS = (_Literal, JavascriptLink, CssLink)


def _attribution_html() -> Markup:
    return Markup('<p class="govuk-body-s app-map__attribution">{}</p>').format(ATTRIBUTION)


def _check_elements(m: folium.Map) -> None:
    """Refuse any element that is not one of ours (see the note above _Literal)."""
    if not isinstance(m, LocalMap):
        raise TypeError("maps must be built with maps.base_map / maps.ward_map")
    stack = list(m._children.values())
    while stack:
        element = stack.pop()
        if not isinstance(element, _MapScript):
            raise TypeError(
                f"{type(element).__name__} on a map: folium/branca elements compile their "
                "output as a template; put the content in LocalMap.data instead"
            )
        stack.extend(element._children.values())


def _island(m: LocalMap) -> Markup:
    """The map's data as script-safe JSON (<, >, & and ' escaped) in an inert script element."""
    body = htmlsafe_json_dumps(m.data, allow_nan=False)
    return Markup('<script type="application/json" id="{}" class="{}">').format(
        m.island_id, _ISLAND_CLASS
    ) + Markup("{}</script>").format(body)


def render_parts(m: folium.Map, nonce: str | None = None) -> MapParts:
    """Split the rendered map for a page template: `head` (links, sizing style), `html` (map
    element, its data island and the visible attribution), `script` (JS to put inside one
    `<script nonce>`)."""
    _check_elements(m)
    assert isinstance(m, LocalMap)
    figure = m.get_root()
    figure.render()
    # folium's Figure adds a charset meta tag; the page already has one.
    figure.header._children.pop("meta_http", None)
    for part in (figure.header, figure.html, figure.script):
        for element in part._children.values():
            if not isinstance(element, _ALLOWED_PARTS):
                raise TypeError(f"{type(element).__name__} in a map's rendered output")
    head = figure.header.render()
    if nonce:
        # Any script in the head (Leaflet itself) must carry the page's CSP nonce.
        head = head.replace("<script ", f'<script nonce="{escape(nonce)}" ')
    # The fixed templates above were rendered once and hold no user text; user text is
    # only in the island, as JSON.
    return MapParts(
        head=Markup(head),  # noqa: S704
        html=Markup(figure.html.render()) + _island(m) + _attribution_html(),  # noqa: S704
        script=Markup(figure.script.render()),  # noqa: S704
    )


class PartsCache:
    """Rendered map parts by a key naming everything drawn, kept per app (`Services`).

    The key is built by the caller from all of a map's inputs (its values, points, tiles,
    Leaflet prefix), so a hit is the same map and can never be stale; `wards` (the
    simplified frame from DisplayCache) must be the very object the parts were drawn from,
    so a boundary import misses. Parts are stored without a CSP nonce: `get` adds the
    request's own. Bounded LRU (`limit` maps).
    """

    def __init__(self, limit: int = 256) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._parts: OrderedDict[Hashable, tuple[Any, MapParts]] = OrderedDict()

    def get(
        self, key: Hashable, wards: Any, build: Callable[[], folium.Map], nonce: str | None
    ) -> MapParts:
        with self._lock:
            cached = self._parts.get(key)
            if cached is not None and cached[0] is wards:
                self._parts.move_to_end(key)
                parts = cached[1]
            else:
                parts = None
        if parts is None:
            parts = render_parts(build())
            with self._lock:
                self._parts[key] = (wards, parts)
                while len(self._parts) > self._limit:
                    self._parts.popitem(last=False)
        if not nonce:
            return parts
        return MapParts(
            # str(): Markup.replace would escape the replacement.
            head=Markup(str(parts.head).replace("<script ", f'<script nonce="{escape(nonce)}" ')),  # noqa: S704
            html=parts.html,
            script=parts.script,
        )

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()


def map_data(html: str) -> dict[str, Any]:
    """The data island of the (first) map in a page or in `MapParts.html`, decoded."""
    match = _ISLAND_PATTERN.search(html)
    if match is None:
        raise ValueError("no map data island in this HTML")
    return json.loads(match.group(2))


def full_document(m: folium.Map) -> str:
    """The map as one standalone HTML page, with the attribution (tests, notebooks)."""
    parts = render_parts(m)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"{parts.head}\n</head>\n<body>\n{parts.html}\n"
        f"<script>\n{parts.script}\n</script>\n</body>\n</html>\n"
    )
