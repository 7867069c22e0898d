"""The vessels, reports and playback pages and the language switch, in a real browser on the
NY scenario — what a shipping company, a port director and an analyst do with them."""
import json
import subprocess
import time
import urllib.request

import numpy as np
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from layouts.i18n import t
from tests.browser.conftest import ARTIFACTS, USERS, chromium_paths, requested_urls
from tests.browser.helpers import screenshot, sign_in
from tests.browser.test_wall import ny_vessels


@pytest.fixture
def downloads(tmp_path):
    return tmp_path


@pytest.fixture
def page(downloads):
    """Chromium that saves downloads into a test folder."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium_paths()
    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                "--window-size=1400,900", "--lang=en-US"):
        opts.add_argument(arg)
    opts.binary_location = binary
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    yield driver
    # every page's scripts and styles ran under its Content-Security-Policy: none refused
    refused = [e["message"] for e in driver.get_log("browser")
               if "Content Security Policy" in e["message"]]
    driver.quit()
    assert refused == [], refused


def api(server, path):
    request = urllib.request.Request(server.rstrip("/") + path,
                                     headers={"Authorization": f"Bearer {server.token}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)


def text_of(driver, css):
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css)


def wait_text(driver, css, predicate, timeout=30):
    return WebDriverWait(driver, timeout, poll_frequency=0.3).until(
        lambda d: (lambda s: s if s is not None and predicate(s) else False)(text_of(d, css)))


def test_search_a_real_vessel_shows_its_card_with_port_call_stage(server, page):
    # a real ship of the NY recording in a port call (the server started 2 min into it, so
    # most are "in port area" — a berth stay counts after 15 min)
    in_port = api(server, "/api/v1/vessels?status=in_port")["vessels"]
    names = [v["name"] for v in api(server, "/api/v1/vessels")["vessels"] if v["name"]]
    ship = next(v for v in in_port if v["name"] and v["imo"] and names.count(v["name"]) == 1
                and v["mmsi"] in ny_vessels())
    sign_in(page, server, USERS["supervisor"], "/vessels")
    search = WebDriverWait(page, 30).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "input#v-search, #v-search input"))
    WebDriverWait(page, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".ag-row"))
    search.send_keys(ship["name"])
    card = wait_text(page, "#v-card", lambda s: ship["name"] in s and "MMSI" in s)
    assert str(ship["mmsi"]) in card and str(ship["imo"]) in card
    assert text_of(page, "#v-card .field-stage") == t(f"stage_{ship['stage']}", "en")
    assert text_of(page, "#v-card .field-arrival_port_area")      # its S-211 arrival time
    assert "ESTIMATE" in card                                      # the CO2 figure is labelled
    # the grid shows the same ship; searching by IMO finds it too
    search.clear()
    search.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    search.send_keys(str(ship["imo"]))
    wait_text(page, ".vessel-grid", lambda s: str(ship["mmsi"]) in s and s.count("\n") < 40)
    (ARTIFACTS / "vessels-card.png").write_bytes(screenshot(page))
    # the exports are links to the API with the page's filters
    csv_href = page.find_element(By.ID, "v-export-csv").get_attribute("href")
    assert "format=csv" in csv_href and f"q={ship['imo']}" in csv_href


def test_switching_to_chinese_changes_the_ui_text_and_is_remembered(server, page):
    sign_in(page, server, USERS["supervisor"], "/vessels")
    wait_text(page, ".page-header", lambda s: "Vessels" in s)
    page.find_element(By.ID, "lang-zh").click()
    header = wait_text(page, ".page-header", lambda s: "船舶查询" in s)
    # drawn in the app's own font, fetched from this server (no Chinese font is installed
    # on this machine)
    WebDriverWait(page, 30).until(lambda d: d.execute_script(
        "return document.fonts.check('16px \"PortTwin Sans\"', '船舶查询') && "
        "[...document.fonts].some(f => f.family.includes('PortTwin Sans') "
        "&& f.status === 'loaded');"))
    assert "指挥大屏" in header and "统计报表" in header
    assert page.find_element(By.CSS_SELECTOR, "input#v-search, #v-search input").get_attribute(
        "placeholder").startswith("搜索")
    # remembered: another page, opened without ?lang, is in Chinese too
    page.get(server + "reports")
    wait_text(page, ".report-body", lambda s: "到港艘次" in s)
    page.get(server)
    wait_text(page, ".kpi-strip", lambda s: "区域内船舶" in s)
    # the wall's queue and berth timeline panels, drawn and in Chinese too
    wait_text(page, ".queue-panel", lambda s: "锚地排队" in s)
    wait_text(page, ".berth-timeline", lambda s: "泊位时间线" in s)
    # the timeline is HTML in the page's font (an image could not use it): a row per berth
    assert page.find_elements(By.CSS_SELECTOR, ".berth-timeline .tl-row:not(.tl-head)")
    page.find_element(By.ID, "lang-en").click()
    wait_text(page, ".kpi-strip", lambda s: "Vessels in area" in s)


def test_reports_page_exports_a_pdf_with_the_kpis_it_shows(server, page, downloads):
    sign_in(page, server, USERS["supervisor"], "/reports")
    body = wait_text(page, ".report-body", lambda s: "Arrivals" in s and "Overall" in s)
    arrivals = text_of(page, ".kpi-arrivals .kpi-value")
    waiting = text_of(page, ".kpi-waiting_median_h .kpi-value")
    assert arrivals.replace(",", "").isdigit() and int(arrivals.replace(",", "")) > 100
    assert "TEU" in body
    page.find_element(By.ID, "r-pdf").click()
    pdf = WebDriverWait(page, 60, poll_frequency=0.5).until(
        lambda d: next((p for p in downloads.glob("*.pdf")), False))
    time.sleep(0.5)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    for label in ("Arrivals", "Median waiting for berth", "Median time at berth",
                  "Terminal berth occupancy", "Port performance scorecard", "ESTIMATE"):
        assert label in text, label
    assert arrivals in text and waiting in text          # the figures the page shows
    page.find_element(By.ID, "r-xlsx").click()
    WebDriverWait(page, 60, poll_frequency=0.5).until(
        lambda d: next((p for p in downloads.glob("*.xlsx")), False))


def vessel_pixels(png: bytes) -> np.ndarray:
    """Pixels in a vessel colour (the playback's ship dots and trails)."""
    from tests.browser.helpers import vessel_mask
    return vessel_mask(png)[0]


def test_playback_slider_moves_vessels_and_play_animates(server, page):
    sign_in(page, server, USERS["supervisor"], "/playback")
    state = wait_text(page, "#p-state", lambda s: "vessels" in s)
    clock = text_of(page, "#p-clock")
    time.sleep(2)
    before = vessel_pixels(screenshot(page))
    assert before.sum() > 50, "no vessels drawn at the start position"
    # click the slider's rail a quarter of the way along: the twin three days earlier/later
    rail = page.find_element(By.CSS_SELECTOR, ".p-slider")
    ActionChains(page).move_to_element_with_offset(
        rail, -rail.size["width"] // 4, -rail.size["height"] // 2 + 12).click().perform()
    later_clock = wait_text(page, "#p-clock", lambda s: s != clock, timeout=20)
    wait_text(page, "#p-state", lambda s: s != state, timeout=30)
    time.sleep(2)
    after = vessel_pixels(screenshot(page))
    moved = int((before != after).sum())
    assert moved > 100, f"the slider moved the clock ({clock} -> {later_clock}) but not vessels"
    (ARTIFACTS / "playback.png").write_bytes(screenshot(page))
    # play at x60: the clock runs in the browser, minutes per second
    page.find_element(By.ID, "p-play").click()
    time.sleep(4)
    page.find_element(By.ID, "p-play").click()
    played = wait_text(page, "#p-clock", lambda s: s != later_clock)
    assert played != later_clock
    # no request left this machine on any page
    assert all(u.startswith(("http://127.0.0.1", "data:", "blob:")) for u in
               requested_urls(page))


def test_sign_in_in_chinese_and_a_company_sees_only_its_own_ships(server, page):
    """A shipping company's person: the sign-in page (in Chinese), a wrong password said so,
    then the vessels page with its own two ships only — the wall is not theirs — and sign
    out."""
    import subprocess
    import sys
    from tests.auth import PASSWORD, cli_user
    from tests.conftest import ROOT
    ships = [v for v in api(server, "/api/v1/vessels")["vessels"] if v["name"]][:3]
    mine, other = ships[:2], ships[2]
    done = subprocess.run([sys.executable, "app.py", "companies", "add", "demo-line",
                           "--name", "Demo Line", "--mmsi",
                           ",".join(str(v["mmsi"]) for v in mine)],
                          cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    cli_user(server.env, "demo-line-ops", "company", "demo-line")

    page.get(server)                                    # anonymous: sent to sign in
    WebDriverWait(page, 30).until(lambda d: "/login" in d.current_url)
    page.find_element(By.LINK_TEXT, "中文").click()
    WebDriverWait(page, 30).until(lambda d: "登录" in d.find_element(By.TAG_NAME, "h1").text)
    page.find_element(By.ID, "username").send_keys("demo-line-ops")
    page.find_element(By.ID, "password").send_keys("not the password")
    page.find_element(By.ID, "login-submit").click()
    WebDriverWait(page, 30).until(
        lambda d: "用户名或密码错误" in d.find_element(By.ID, "login-error").text)
    page.find_element(By.ID, "username").clear()
    page.find_element(By.ID, "username").send_keys("demo-line-ops")
    page.find_element(By.ID, "password").send_keys(PASSWORD)
    page.find_element(By.ID, "login-submit").click()
    WebDriverWait(page, 30).until(lambda d: d.current_url.endswith("/vessels"))
    grid = wait_text(page, ".vessel-grid", lambda s: all(v["name"] in s for v in mine))
    assert other["name"] not in grid
    header = text_of(page, ".page-header")
    assert "船舶查询" in header and "指挥大屏" not in header     # no wall link for a company
    page.get(server)                                    # the wall is not a company's page
    WebDriverWait(page, 30).until(lambda d: d.current_url.endswith("/vessels"))
    WebDriverWait(page, 30).until(lambda d: d.find_elements(By.ID, "logout"))[0].click()
    WebDriverWait(page, 30).until(lambda d: "/login" in d.current_url)
    page.get(server + "vessels")
    WebDriverWait(page, 30).until(lambda d: "/login" in d.current_url)
