"""Take the README screenshot: python -m tests.browser.capture docs/wall.png [--lang zh]

Starts the real server, opens the wall in headless Chromium, clicks the largest ship and saves
the whole page with its card open.
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

from tests.browser import conftest
from tests.browser.helpers import PAGE_PROBES, click_biggest_ship, set_overlays, wait_for_vessels


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--size", default="1600,900")
    args = parser.parse_args()
    os.environ["PORTTWIN_TEST_WARMUP_S"] = "900"        # the product's warm-up: berths filled

    class TmpFactory:                                     # what pytest's tmp_path_factory gives
        def mktemp(self, name):
            return Path(tempfile.mkdtemp(prefix=f"porttwin-{name}-"))

    class Request:                                        # what pytest's request gives
        module = type("module", (), {"__name__": "capture"})

    server = conftest.server.__wrapped__(TmpFactory(), Request())
    url = next(server)
    driver = next(conftest.browser.__wrapped__())
    try:
        driver.set_window_size(*(int(v) for v in args.size.split(",")))
        driver.get(f"{url}?lang={args.lang}")
        driver.execute_script(PAGE_PROBES)
        wait_for_vessels(driver)
        time.sleep(4)
        click_biggest_ship(driver)
        set_overlays(driver, True)
        time.sleep(2.5)
        args.out.write_bytes(driver.get_screenshot_as_png())
        print(f"saved {args.out}")
    finally:
        driver.quit()
        next(server, None)


if __name__ == "__main__":
    main()
