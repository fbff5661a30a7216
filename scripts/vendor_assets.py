"""Copy the front-end assets installed from the npm registry into static/vendor.

Pages and folium maps load these local copies only; no CDN is used at run time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# (source inside node_modules, destination inside static/vendor)
ASSETS = [
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet/dist/images", "leaflet/images"),
    ("govuk-frontend/dist/govuk/govuk-frontend.min.css", "govuk/govuk-frontend.min.css"),
    ("govuk-frontend/dist/govuk/govuk-frontend.min.js", "govuk/govuk-frontend.min.js"),
    ("govuk-frontend/dist/govuk/assets", "govuk/assets"),
    ("axe-core/axe.min.js", "axe-core/axe.min.js"),
]


def main() -> None:
    for source, destination in ASSETS:
        src = NODE_MODULES / source
        dst = VENDOR / destination
        if not src.exists():
            raise SystemExit(f"missing {src}: run `npm ci` first")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    print(f"vendored {len(ASSETS)} assets into {VENDOR.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
