"""The alert list on the wall in a real browser: alerts computed by the server are listed,
the signed-in operator acknowledges one (the name on it is the login's; a wall screen's login
cannot acknowledge), and the vessel button opens that ship's card."""
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import USERS
from tests.browser.helpers import sign_in

INVALID_MMSI = "896876500"      # a real transmitter in the NY hour with an impossible MMSI


def _row(driver):
    """The row, scrolled into view in the list as an operator would (the list scrolls inside
    its panel; a row below the fold is not visible, so not clickable)."""
    row = driver.execute_script(
        "const r = [...document.querySelectorAll('.alert-row')]"
        f".find(e => e.textContent.includes('{INVALID_MMSI}'));"
        "if (r) { r.scrollIntoView({block: 'nearest'}); } return r || null;")
    if row is None:
        raise StopIteration
    return row


def _row_text(driver) -> str:
    """The row's text read in one script (an element held across a redraw goes stale)."""
    return driver.execute_script(
        "const r = [...document.querySelectorAll('.alert-row')]"
        f".find(e => e.innerText.includes('{INVALID_MMSI}')); return r ? r.innerText : '';")


def _click(driver, find, tries: int = 5) -> None:
    """Click what ``find`` returns; the list is redrawn when alerts change, so an element found
    just before a redraw can be stale — find it again."""
    for attempt in range(tries):
        try:
            find(driver).click()
            return
        except (StaleElementReferenceException, StopIteration):
            if attempt == tries - 1:
                raise


def _status(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, ".alert-status").text


def _ack(driver):
    return _row(driver).find_element(By.XPATH, ".//button[text()='Acknowledge']")


def test_the_vessel_in_an_alert_row_opens_its_card(server, browser):
    sign_in(browser, server, USERS["operator"])
    WebDriverWait(browser, 60).until(lambda d: _row_text(d))
    # the vessel in the row opens that vessel's card (and moves the camera to it)
    _click(browser, lambda d: _row(d).find_element(By.CSS_SELECTOR, ".alert-vessel"))
    WebDriverWait(browser, 10).until(lambda d: not d.find_element(
        By.CSS_SELECTOR, ".vessel-card").get_attribute("hidden"))
    WebDriverWait(browser, 10).until(lambda d: INVALID_MMSI in d.find_element(
        By.CSS_SELECTOR, ".vessel-card").text)


def test_the_signed_in_operator_acknowledges_an_alert(server, browser):
    # a wall screen's device login shows the alerts without Acknowledge / Silence (the server
    # refuses them too: tests/api/test_access.py)
    sign_in(browser, server, USERS["wall"])
    WebDriverWait(browser, 60).until(lambda d: _row_text(d))
    assert not _row(browser).find_elements(By.XPATH, ".//button[text()='Acknowledge']")
    browser.delete_all_cookies()

    sign_in(browser, server, USERS["operator"])
    WebDriverWait(browser, 60).until(lambda d: _row_text(d))
    assert "Identity conflict" in _row_text(browser)
    assert "invalid MMSI" in _row_text(browser)
    ticker = browser.find_element(By.CSS_SELECTOR, ".alert-ticker").text
    assert ticker and "No open alerts" not in ticker
    assert "wang.lei" in browser.find_element(By.ID, "signed-in-as").text
    browser.find_element(By.ID, "alert-comment").send_keys("pilot informed")
    _click(browser, _ack)
    try:
        WebDriverWait(browser, 20).until(lambda d: "Acknowledged" in _status(d))
    except TimeoutException:
        raise AssertionError("the status line did not confirm the acknowledgement: "
                             f"{_status(browser)!r}") from None
    # an event alert leaves the list once acknowledged
    WebDriverWait(browser, 10).until(lambda d: not _row_text(d))
    # stored with the signed-in name (read through the API with the browser's session)
    stored = browser.execute_async_script(
        "const done = arguments[0]; fetch('/api/v1/alerts?state=all')"
        ".then(r => r.json()).then(j => done(j.alerts.filter(a => a.mmsi == "
        f"{INVALID_MMSI} && a.acked_by).map(a => [a.acked_by, a.ack_comment])));")
    assert ["wang.lei", "pilot informed"] in stored, stored
