"""A real browser opens map.html offline: no errors, no request, the footprint drawn, popups escaped.

Both kinds of page: the one in an output folder, which links Leaflet from the
folder's ``_assets/`` (opened from its place in a copy of the whole folder),
and the self-contained one (``--self-contained``), opened on its own.

Uses Debian's ``chromium`` headless (``--dump-dom`` after the page ran, and
``--screenshot``), with name resolution disabled so any request to the
network fails.  A small probe script, added to a copy of the page, records
script and resource errors and ``console.error`` calls, lists the resources
the page loaded, opens the footprint's popup and writes what it found into
the DOM.  Chromium's own network log is checked as well.  Skipped when
chromium is absent — except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from shgeo.library.layers import load_library
from shgeo.outputs.writer import save_outputs
from shgeo.screening import screen

pytestmark = pytest.mark.browser

PAYLOAD = "<script>alert(1)</script><img src=x onerror=\"console.error('xss')\">"

PROBE = """<script>
window.__probe = {errors: []};
window.addEventListener('error', function (e) {
  var t = e.target;
  if (t && t !== window && (t.src || t.href)) { __probe.errors.push('resource failed: ' + (t.src || t.href)); }
  else { __probe.errors.push('error: ' + (e.message || String(e))); }
}, true);
window.addEventListener('unhandledrejection', function (e) { __probe.errors.push('rejection: ' + e.reason); });
(function () {
  var original = console.error;
  console.error = function () {
    __probe.errors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    original.apply(console, arguments);
  };
})();
window.addEventListener('load', function () {
  setTimeout(function () {
    var out = {errors: __probe.errors};
    out.paths = document.querySelectorAll('path.leaflet-interactive').length;
    out.resources = performance.getEntriesByType('resource').map(function (r) { return r.name; });
    var map = window.shgeoMap;
    out.map = !!map;
    var opened = false;
    if (map) {
      map.eachLayer(function (layer) {
        var p = layer.feature && layer.feature.properties;
        if (!opened && p && JSON.stringify(p).indexOf('alert(1)') >= 0 && layer.getPopup && layer.getPopup()) {
          // a click, as a reviewer would
          var at = layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng();
          layer.fire('click', {latlng: at}, true);
          opened = true;
        }
      });
    }
    var tip = document.querySelector('.leaflet-tooltip');
    out.legend = !!document.getElementById('shgeo-legend');
    var pc = document.querySelector('.leaflet-popup-content');
    out.popup_text = pc ? pc.textContent : null;
    out.popup_tags = pc ? Array.prototype.map.call(pc.querySelectorAll('*'), function (n) { return n.tagName; }) : [];
    var pre = document.createElement('pre');
    pre.id = 'shgeo-probe';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }, 500);
});
</script>"""

#: hosts Chromium itself may contact in the background (never the page)
_BROWSER_HOSTS = re.compile(r"https?://[^/\"]*(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)[/\"]")


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Debian's chromium is not installed, and CI must run the browser test (.ci/run installs it)")
    pytest.skip("chromium is not installed (apt-get install chromium); the browser test runs in CI")


def _run(browser: str, tmp: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    args = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # the network is off: every name fails to resolve
        "--enable-logging=stderr", "--v=0",
        "--window-size=1200,900", "--virtual-time-budget=5000",
        *extra, url,
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=90, env={**os.environ, "LANG": "C.UTF-8"})


@pytest.fixture(scope="module", params=["linked", "self-contained"])
def map_file(request, tmp_path_factory) -> Path:
    library = load_library()
    gdf = gpd.GeoDataFrame({"项目编号": ["XSS"], "项目名称": [PAYLOAD]},
                           geometry=[box(121.97, 31.53, 121.975, 31.535)], crs="EPSG:4490")
    out = tmp_path_factory.mktemp("browser")
    save_outputs(screen(gdf, library, as_of="2025-06-01"), out, self_contained=request.param == "self-contained")
    if request.param == "linked":  # the folder works offline as a whole, wherever it is copied
        copy = tmp_path_factory.mktemp("copied") / "folder"
        shutil.copytree(out, copy)
        return copy / "XSS" / "map.html"
    alone = tmp_path_factory.mktemp("alone") / "map.html"  # one file, mailed on its own
    shutil.copy(out / "XSS" / "map.html", alone)
    return alone


def test_map_opens_offline_draws_the_footprint_and_escapes(map_file, tmp_path):
    browser = _chromium()
    page = map_file.read_text(encoding="utf-8")
    probed = map_file.parent / "map_probe.html"  # beside the page: relative links resolve as they would
    probed.write_text(page.replace("<head>", "<head>\n" + PROBE, 1), encoding="utf-8")
    netlog = tmp_path / "netlog.json"
    run = _run(browser, tmp_path, probed.as_uri(), "--dump-dom", f"--log-net-log={netlog}")
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'<pre id="shgeo-probe">(.*?)</pre>', run.stdout, flags=re.S)
    assert found, f"the page did not finish loading; stderr: {run.stderr[-2000:]}"
    probe = json.loads(html.unescape(found.group(1)))

    assert probe["map"], "no Leaflet map object"
    assert probe["legend"]
    assert probe["errors"] == []
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    assert probe["paths"] >= 2, "footprint and layers should be drawn as interactive SVG paths"
    assert 'class="leaflet-interactive"' in run.stdout or "leaflet-interactive" in run.stdout
    assert [r for r in probe["resources"] if not r.startswith(("file:", "data:"))] == []
    # the popup shows the name as text: no element was created from it, nothing ran
    assert "<script>alert(1)</script>" in probe["popup_text"]
    assert set(probe["popup_tags"]) <= {"DIV", "TABLE", "TBODY", "TR", "TH", "TD"}  # no IMG, no SCRIPT
    if netlog.exists():
        requested = set(re.findall(r'"url":"(https?://[^"]+)"', netlog.read_text(encoding="utf-8", errors="replace")))
        assert [u for u in requested if not _BROWSER_HOSTS.match(u + '"')] == []


def test_screenshot(map_file, tmp_path):
    browser = _chromium()
    shot = tmp_path / "map.png"
    run = _run(browser, tmp_path, map_file.as_uri(), f"--screenshot={shot}")
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 5000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_point_project_needs_no_image_file(tmp_path):
    browser = _chromium()
    library = load_library()
    gdf = gpd.GeoDataFrame({"项目编号": ["PT"]}, geometry=gpd.points_from_xy([121.40], [31.49]), crs="EPSG:4490")
    save_outputs(screen(gdf, library, as_of="2025-06-01"), tmp_path / "out")
    page = (tmp_path / "out" / "PT" / "map.html").read_text(encoding="utf-8")
    probed = tmp_path / "out" / "PT" / "probe.html"
    probed.write_text(page.replace("<head>", "<head>\n" + PROBE, 1), encoding="utf-8")
    run = _run(browser, tmp_path, probed.as_uri(), "--dump-dom")
    found = re.search(r'<pre id="shgeo-probe">(.*?)</pre>', run.stdout, flags=re.S)
    assert found, run.stderr[-2000:]
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["errors"] == [] and probe["paths"] >= 1
    assert [r for r in probe["resources"] if not r.startswith(("data:", "file:"))] == []
