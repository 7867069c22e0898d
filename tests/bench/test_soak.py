"""`bench soak` on a short run: the whole app on a dropping live feed, a signed-in client on
every page and API, the loaded history untouched (figures printed, nothing timed)."""
import re
import subprocess
import sys

from tests.conftest import ROOT


def test_a_short_soak_has_no_errors_reconnects_and_leaves_the_history_alone():
    proc = subprocess.run([sys.executable, str(ROOT / "app.py"), "bench", "soak",
                           "--minutes", "0.6", "--drop-every", "12", "--outage", "2"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-2000:]
    last = out.strip().splitlines()[-1]
    m = re.fullmatch(r"rss_growth_pct=\S+ errors=(\d+) reconnect_max_s=(\S+) drops=(\d+) "
                     r"history_rows_changed=(\d+)", last)
    assert m, out
    errors, reconnect_max, drops, changed = int(m[1]), float(m[2]), int(m[3]), int(m[4])
    assert errors == 0 and changed == 0, out
    assert drops >= 2 and reconnect_max <= 5.0, out     # received again after each return
    # the client is a signed-in operator: every page and API answered 200, none a login page
    http = re.search(r"HTTP \{(.*)\}", out)[1]
    assert re.fullmatch(r"200: \d+", http), http
    assert "positions': 171377" in out.split("history rows")[-1]
