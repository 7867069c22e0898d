"""Take the README screenshot: python -m tests.browser.capture docs/wall.png [--lang zh]

Starts the real server, opens the wall in headless Chromium, clicks the largest ship and saves
the whole page with its card open.
"""
import argparse
import time
from pathlib import Path

from scipy import ndimage
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import conftest
from tests.browser.test_wall import (LONGTASK_OBSERVER, OVERLAYS, biggest_ship, card_shown,
                                     vessel_mask, wait_for_vessels, wait_until_settled)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--size", default="1600,900")
    args = parser.parse_args()
    server = conftest.server.__wrapped__()
    url = next(server)
    driver = next(conftest.browser.__wrapped__())
    try:
        w, h = (int(v) for v in args.size.split(","))
        driver.set_window_size(w, h)
        driver.get(f"{url}?lang={args.lang}")
        driver.execute_script(LONGTASK_OBSERVER)
        wait_for_vessels(driver)
        time.sleep(4)
        canvas = driver.find_element(By.CSS_SELECTOR, ".map-wrap canvas")
        hide = f"document.querySelectorAll('{OVERLAYS}').forEach(e => e.style.visibility = "
        for _ in range(3):
            driver.execute_script(hide + "'hidden')")
            mask, nearest = vessel_mask(driver.get_screenshot_as_png())
            labels, n = ndimage.label(mask)
            x, y, _ = biggest_ship(mask, labels, n, nearest)
            wait_until_settled(driver)
            rect = canvas.rect
            ActionChains(driver).move_to_element_with_offset(
                canvas, x - rect["x"] - rect["width"] / 2, y - rect["y"] - rect["height"] / 2
            ).click().perform()
            driver.execute_script(hide + "'visible')")
            try:
                WebDriverWait(driver, 8).until(card_shown)
                break
            except TimeoutException:
                continue
        time.sleep(2.5)
        args.out.write_bytes(driver.get_screenshot_as_png())
        print(f"saved {args.out}")
    finally:
        driver.quit()
        next(server, None)


if __name__ == "__main__":
    main()
