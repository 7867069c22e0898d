"""What a person does with the wall, as functions: wait for it, look at it, click a ship."""
from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image
from scipy import ndimage
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from layouts import theme

OVERLAYS = (".topbar, .kpi-strip, .map-controls, .feed-health, .port-panel, .alert-panel, "
            ".alert-ticker")
PALETTE = np.array(list(theme.CATEGORY_COLOURS.values()))

# Records long main-thread tasks and the pointer events the page receives (for diagnosis).
PAGE_PROBES = """
window.__longTasks = []; window.__pointer = [];
new PerformanceObserver(list => { for (const e of list.getEntries())
  window.__longTasks.push(e.startTime + e.duration); }).observe({type: 'longtask', buffered: true});
for (const type of ['pointerdown', 'pointerup', 'click'])
  document.addEventListener(type, e => window.__pointer.push(
    [type, e.clientX, e.clientY, Math.round(performance.now()), e.target.tagName]), true);
"""


def set_overlays(driver, visible: bool) -> None:
    """Hide the HTML panels over the map (their legend swatches share the vessel colours)."""
    driver.execute_script(f"document.querySelectorAll('{OVERLAYS}').forEach("
                          f"e => e.style.visibility = '{'visible' if visible else 'hidden'}')")


def vessel_mask(png: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Pixels in the vessel palette (exact to 3 levels), and the nearest palette entry per pixel."""
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    dist = np.abs(img[:, :, None, :] - PALETTE[None, None, :, :]).max(axis=3)
    return dist.min(axis=2) <= 3, dist.argmin(axis=2)


def biggest_ship(mask, nearest):
    """Screen pixel near the middle of the largest vessel, and its ship-type group by colour."""
    labels, n_blobs = ndimage.label(mask)
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


def wait_until_settled(driver, quiet_ms=600, timeout=20) -> None:
    """Wait until the page's main thread has had no long task (> 50 ms) for ``quiet_ms``.

    The wall redraws every second, and under software WebGL each redraw is one long task
    (measured at 1600×900: 70–170 ms, one a second). A quiet second therefore only comes by
    jitter; 600 ms after the last redraw leaves room for a click (deck.gl needs pointer-up
    within 250 ms) before the next one."""
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: d.execute_script(
            "const t = window.__longTasks || []; "
            "return performance.now() - (t.length ? Math.max(...t) : 0) > arguments[0];",
            quiet_ms))
    except TimeoutException:
        # never quiet (a slow machine): click anyway — a press released late is still a
        # click on the wall (assets/press.js), which is what this then tests
        pass


def wait_for_vessels(driver, timeout=30) -> int:
    """Wait until the KPI strip counts vessels; returns the count."""
    def count(d):
        els = d.find_elements(By.CSS_SELECTOR, ".kpi-main .kpi-value")
        return int(els[0].text) if els and els[0].text.isdigit() and int(els[0].text) > 0 else 0
    return WebDriverWait(driver, timeout,
                         ignored_exceptions=(StaleElementReferenceException,)).until(count)


def screenshot(driver, tries: int = 4) -> bytes:
    """A PNG of the page. Under software WebGL on a busy machine the renderer can be drawing
    a frame past chromedriver's 10 s wait (measured in CI: "Timed out receiving message from
    renderer: 10.000" once in a run); a person would look again a moment later, so does this."""
    for attempt in range(tries):
        try:
            return driver.get_screenshot_as_png()
        except TimeoutException:
            if attempt == tries - 1:
                raise
            time.sleep(2)


def click_biggest_ship(driver, tries: int = 3, on_miss=None):
    """Click the largest ship on screen until its card opens; returns (card, ship-type group).

    deck.gl picks on pointer-down; the first pick compiles its picking shaders, which under
    software WebGL (SwiftShader) can hold pointer-up back > 250 ms, so deck.gl reads a drag
    (measured: 346 ms between down and up). A person would click again, and so does this: a
    fresh look each time, at most ``tries`` times. Returns (None, None) if no card opened.
    """
    canvas = driver.find_element(By.CSS_SELECTOR, ".map-wrap canvas")
    for attempt in range(tries):
        set_overlays(driver, False)
        mask, nearest = vessel_mask(screenshot(driver))
        x, y, category = biggest_ship(mask, nearest)
        wait_until_settled(driver)
        rect = canvas.rect
        ActionChains(driver).move_to_element_with_offset(
            canvas, x - rect["x"] - rect["width"] / 2, y - rect["y"] - rect["height"] / 2
        ).click().perform()
        try:
            card = WebDriverWait(driver, 20, ignored_exceptions=(
                StaleElementReferenceException,)).until(card_shown)
            return card, category
        except TimeoutException:
            if on_miss:
                on_miss(attempt, x, y, driver.execute_script("return window.__pointer"))
    return None, None


def sign_in(driver, base: str, name: str, then: str = "/", password: str | None = None):
    """Sign in through the /login form as a person would, landing on ``then``."""
    from urllib.parse import quote
    from tests.auth import PASSWORD
    driver.get(f"{base.rstrip('/')}/login?next={quote(then)}")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "username"))
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password or PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)
