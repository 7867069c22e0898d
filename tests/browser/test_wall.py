"""The wall in a real browser: live vessels drawn by WebGL, click a ship to see its card,
and nothing loaded from outside this machine."""
import csv
import io
import re
import time

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from layouts import theme
from tests.browser.conftest import ARTIFACTS, requested_urls
from tests.conftest import NY_HOUR
from twin.vessel_types import ship_category

OVERLAYS = ".topbar, .kpi-strip, .map-controls, .feed-health"
PALETTE = np.array(list(theme.CATEGORY_COLOURS.values()))


def ny_vessels() -> dict:
    """Ground truth straight from the CSV: MMSI -> (name, ship-type group)."""
    out = {}
    with open(NY_HOUR, newline="") as fh:
        for row in csv.DictReader(fh):
            name = row["VesselName"].split("@")[0].strip() or None
            vtype = float(row["VesselType"]) if row["VesselType"] else None
            out[int(row["MMSI"])] = (name, ship_category(vtype if vtype else None))
    return out


def vessel_mask(png: bytes) -> tuple[np.ndarray, np.ndarray]:
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    dist = np.abs(img[:, :, None, :] - PALETTE[None, None, :, :]).max(axis=3)
    nearest = dist.argmin(axis=2)
    return dist.min(axis=2) <= 3, nearest


def biggest_ship(mask, labels, n_blobs, nearest):
    """Screen pixel near the middle of the largest vessel, and its ship-type group by colour."""
    sizes = ndimage.sum(mask, labels, range(1, n_blobs + 1))
    biggest = int(np.argmax(sizes)) + 1
    ys, xs = np.nonzero(labels == biggest)
    k = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
    category = list(theme.CATEGORY_COLOURS)[np.bincount(nearest[labels == biggest]).argmax()]
    return int(xs[k]), int(ys[k]), category


def card_shown(driver):
    card = driver.find_element(By.ID, "vessel-card")
    if card.get_attribute("hidden") is None and card.find_elements(By.CSS_SELECTOR, ".field-mmsi"):
        return card
    return False


LONGTASK_OBSERVER = """
window.__longTasks = []; window.__pointer = [];
for (const type of ['pointerdown', 'pointerup', 'click'])
  document.addEventListener(type, e => window.__pointer.push(
    [type, e.clientX, e.clientY, Math.round(performance.now()), e.target.tagName]), true);
new PerformanceObserver(list => { for (const e of list.getEntries())
  window.__longTasks.push(e.startTime + e.duration); }).observe({type: 'longtask', buffered: true});
"""


def wait_until_settled(driver, quiet_ms=1000, timeout=20) -> None:
    """Wait until the page's main thread has had no long task (> 50 ms) for ``quiet_ms``."""
    WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: d.execute_script(
        "const t = window.__longTasks || []; "
        "return performance.now() - (t.length ? Math.max(...t) : 0) > arguments[0];", quiet_ms))


def wait_for_vessels(driver, timeout=30) -> int:
    def count(d):
        els = d.find_elements(By.CSS_SELECTOR, ".kpi-main .kpi-value")
        return int(els[0].text) if els and els[0].text.isdigit() and int(els[0].text) > 0 else 0
    return WebDriverWait(driver, timeout,
                         ignored_exceptions=(StaleElementReferenceException,)).until(count)


def test_map_draws_live_vessels_and_a_click_opens_the_ship_card(server, browser):
    started = time.time()
    browser.get(server)
    browser.execute_script(LONGTASK_OBSERVER)
    n_vessels = wait_for_vessels(browser)
    assert 150 < n_vessels <= 295
    canvas = WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".map-wrap canvas"))
    time.sleep(3)                                      # a few 1 s refreshes have been drawn
    browser.execute_script(
        f"document.querySelectorAll('{OVERLAYS}').forEach(e => e.style.visibility = 'hidden')")
    png = browser.get_screenshot_as_png()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "wall-map.png").write_bytes(png)
    mask, nearest = vessel_mask(png)

    # WebGL drew vessels: pixels in the vessel palette, spread over ships, not one big blob.
    labels, n_blobs = ndimage.label(mask)
    assert mask.sum() > 300, f"only {mask.sum()} vessel-coloured pixels"
    assert mask.mean() < 0.05, "vessel colours cover the map: a layer is drawn wrong"
    assert n_blobs > 50, f"only {n_blobs} separate vessels visible"
    assert time.time() - started < 30, "the map took over 30 s to show vessels"

    # Live: a few seconds later ships have moved on screen (the replay runs at x1).
    time.sleep(4)
    later, _ = vessel_mask(browser.get_screenshot_as_png())
    moved = int((mask != later).sum())
    assert moved > 20, f"vessels did not move on the map ({moved} pixels changed)"

    # Click the biggest ship on screen (a moored or anchored ship in the real data). deck.gl
    # picks on pointer-down; the first pick compiles its picking shaders, which under software
    # WebGL (SwiftShader) can hold pointer-up back > 250 ms, so deck.gl reads a drag (measured:
    # 346 ms between down and up). A person would click again, and so does the test: a fresh
    # look each time, at most 3 tries.
    card = None
    for attempt in range(3):
        if attempt:
            png = browser.get_screenshot_as_png()
            mask, nearest = vessel_mask(png)
            labels, n_blobs = ndimage.label(mask)
        x, y, blob_category = biggest_ship(mask, labels, n_blobs, nearest)
        wait_until_settled(browser)
        rect = canvas.rect
        ActionChains(browser).move_to_element_with_offset(
            canvas, x - rect["x"] - rect["width"] / 2, y - rect["y"] - rect["height"] / 2
        ).click().perform()
        try:
            card = WebDriverWait(browser, 8, ignored_exceptions=(
                StaleElementReferenceException,)).until(card_shown)
            break
        except TimeoutException:
            (ARTIFACTS / f"wall-click-miss-{attempt}.png").write_bytes(
                browser.get_screenshot_as_png())
            (ARTIFACTS / f"wall-click-miss-{attempt}.txt").write_text(
                f"target {x},{y} {blob_category} canvas {rect}\n"
                f"events {browser.execute_script('return window.__pointer')}\n")
    assert card is not None, "three clicks on a ship opened no card"
    mmsi_text = card.find_element(By.CSS_SELECTOR, ".field-mmsi").text
    assert re.fullmatch(r"\d{9}", mmsi_text), mmsi_text
    truth = ny_vessels()
    mmsi = int(mmsi_text)
    assert mmsi in truth, f"card shows MMSI {mmsi}, which is not in the NY data"
    name, category = truth[mmsi]
    assert card.find_element(By.CSS_SELECTOR, ".card-name").text == (name or "(no name)")
    assert category == blob_category, "the card is for another ship than the one clicked"
    (ARTIFACTS / "wall-card.png").write_bytes(browser.get_screenshot_as_png())

    # Closing the card hides it again.
    card.find_element(By.CSS_SELECTOR, ".card-close").click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "vessel-card").get_attribute("hidden") is not None)


def test_the_browser_loads_nothing_from_outside_this_machine(server, browser):
    browser.get(server)
    wait_for_vessels(browser)
    time.sleep(3)
    urls = requested_urls(browser)
    assert any("deckgl_dash" in u for u in urls)       # the map's JS came from our server
    outside = [u for u in urls if not re.match(r"(http://127\.0\.0\.1:\d+/|data:|blob:)", u)]
    assert outside == []


def test_kpis_and_feed_health_show_the_replay(server, browser):
    browser.get(server)
    wait_for_vessels(browser)
    time.sleep(1)
    strip = browser.find_element(By.ID, "kpi-strip").text
    for label in ("Vessels in area", "Underway", "At anchor", "Moored", "By type", "Cargo"):
        assert label in strip
    banner = browser.find_element(By.ID, "source-banner").text
    assert "Replay of NOAA MarineCadastre AIS, 2020-06-30" in banner
    first_time = re.search(r"\d\d:\d\d:\d\d UTC", banner).group()
    health = browser.find_element(By.ID, "feed-health").text
    assert "live" in health and "msg/s" in health
    time.sleep(2.5)                                     # the replay clock moves
    later = browser.find_element(By.ID, "source-banner").text
    assert re.search(r"\d\d:\d\d:\d\d UTC", later).group() > first_time
