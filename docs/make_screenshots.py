"""Regenerate the screenshots of docs/maps.md: the demo's public map on three screens.

Runs the demo analysis (SYNTHETIC data), writes its public ``map.html`` and opens it
in headless Chromium (Debian's ``/usr/bin/chromium``, through Playwright) with every
network request blocked, at 390 x 844 (a phone), 1280 x 720 (a projector) and
1920 x 1080 (a large screen), and once more at 1280 x 720 in projector mode
(``?present``), after "Next". Also prints the share of each screen that the
map's panels cover::

    python docs/make_screenshots.py            # writes docs/img/map_*.png
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "img"
SCREENS = {"phone": (390, 844), "projector": (1280, 720), "large": (1920, 1080)}
COVERAGE = """
() => {
  const rects = Array.from(document.querySelectorAll('.leaflet-control, .bw-title'))
    .map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
  let hit = 0, n = 0;
  for (let x = 2; x < innerWidth; x += 4) {
    for (let y = 2; y < innerHeight; y += 4) {
      n += 1;
      if (rects.some((r) => x >= r.left && x <= r.right && y >= r.top && y <= r.bottom)) { hit += 1; }
    }
  }
  return hit / n;
}
"""


def demo_map(folder: Path) -> Path:
    """The demo's public map (``borderwatch demo``), written to ``folder``."""
    from borderwatch import BorderwatchWarning, analyze
    from borderwatch.datasets import DEMO_SEED, demo_incidents, demo_meetings, demo_units
    from borderwatch.maps import make_map, save_map

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        units = demo_units()
        result = analyze(
            units,
            demo_incidents(seed=DEMO_SEED, units=units),
            demo_meetings(seed=DEMO_SEED),
            synthetic=True,
        )
        return save_map(make_map(result), folder / "map.html")


def shoot(html: Path, out: Path = OUT) -> dict[str, float]:
    """Screenshots of ``html`` on every screen; returns the panels' share of each."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shares = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        runs = [(name, size, "") for name, size in SCREENS.items()]
        runs.append(("present", SCREENS["projector"], "?present"))
        for name, (width, height), query in runs:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.route(
                "**/*",
                lambda r: r.continue_()
                if r.request.url.startswith(("file:", "data:"))
                else r.abort(),
            )
            page.goto(html.resolve().as_uri() + query, wait_until="load")
            page.wait_for_function("window.__borderwatch && window.__borderwatch.length > 0")
            if query:
                page.locator(".bw-present-bar .bw-next").click()
            page.wait_for_timeout(300)
            shares[name] = float(page.evaluate(COVERAGE))
            page.screenshot(path=str(out / f"map_{name}_{width}x{height}.png"))
            context.close()
        browser.close()
    return shares


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shares = shoot(demo_map(Path(tmp)))
    for name, share in shares.items():
        print(f"{name}: panels cover {share:.0%} of the screen", file=sys.stderr)


if __name__ == "__main__":
    main()
