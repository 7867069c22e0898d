"""Production layout on real servers: one `python app.py twin`, Redis, PostgreSQL and two
stateless web workers (gunicorn "app:wsgi()"). Both workers serve the same twin, and an
acknowledgement made on one worker's wall is seen on the other's and stored in PostgreSQL."""
import json
import os
import subprocess
import sys
import time

import pytest
import requests

from bench.load import callback_outputs
from layouts import ids
from tests import servers
from tests.auth import cli_token, cli_user, sign_in_http
from tests.conftest import ROOT
from twin.bus import CommandError, RedisBus
from twin.history import HistoryStore

OPERATOR = "li.wei"          # the signed-in operator: the name on the acknowledgement


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    with servers.redis() as redis_url, servers.postgres() as pg_url:
        env = {**os.environ, "PORTTWIN_REDIS_URL": redis_url, "PORTTWIN_HISTORY_URL": pg_url,
               "PORTTWIN_HISTORY_AUTOLOAD": "false", "PORTTWIN_HISTORY_ALERTS": "false",
               "PYTHONPATH": str(ROOT)}
        procs = []
        # the accounts, as an operator's script makes them, in the PostgreSQL store
        cli_user(env, OPERATOR, "operator")
        token = cli_token(env, OPERATOR)

        def start(args, name):
            out = open(logs / f"{name}.log", "w")
            p = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            procs.append((p, out))
            return p
        ops_port = servers.free_port()
        twin = start([sys.executable, "app.py", "twin", "--ops-port", str(ops_port)], "twin")
        webs = []
        try:
            ready = servers.wait_ready(f"http://127.0.0.1:{ops_port}/readyz", 120, twin).json()
            for name in ("web-a", "web-b"):            # two workers, each on its own port
                port = servers.free_port()
                p = start([sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4",
                           "--bind", f"127.0.0.1:{port}", "app:wsgi()"], name)
                webs.append((f"http://127.0.0.1:{port}", p))
            for base, p in webs:
                servers.wait_ready(base + "/readyz", 180, p)
            yield {"twin_id": ready["twin_id"], "webs": [b for b, _ in webs], "token": token,
                   "pg": pg_url, "redis": redis_url, "logs": logs}
        finally:
            servers.stop_processes(procs)


def _api(deployment):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {deployment['token']}"
    return s


def test_every_worker_serves_the_same_twin(deployment):
    a, b = deployment["webs"]
    api = _api(deployment)                  # API calls with the operator's token
    ready_a, ready_b = (api.get(w + "/readyz", timeout=10).json() for w in (a, b))
    assert ready_a["twin_id"] == ready_b["twin_id"] == deployment["twin_id"]
    assert ready_a["ready"] and ready_b["ready"] and ready_a["snapshot_age_s"] < 5
    # the same fleet, not two replays: both show the twin's vessels at the twin's time
    va = api.get(a + "/api/v1/vessels", timeout=30).json()["vessels"]
    vb = api.get(b + "/api/v1/vessels", timeout=30).json()["vessels"]
    assert len(va) > 100 and abs(len(va) - len(vb)) < 20
    times = [api.get(w + "/readyz", timeout=10).json()["twin_time"] for w in (a, b)]
    assert abs(times[0] - times[1]) < 5           # one clock (two replays would drift apart)
    # the pages render in a stateless worker (the wall with its live layers) for a user
    # signed in on the other worker: one session key, one account store
    session = sign_in_http(a, OPERATOR)
    assert session.get(b + "/", timeout=30, allow_redirects=False).status_code == 200
    assert api.get(b + "/api/v1/vessels", timeout=30,
                   headers={"Authorization": "Bearer wrong"}).status_code == 401


def _ack_callback(session, base: str) -> dict:
    deps = session.get(base + "/_dash-dependencies", timeout=30).json()
    return next(d for d in deps if any(ids.ALERT_ACK in i["id"] for i in d["inputs"]))


def _acknowledge(session, base: str, alert_id: str) -> dict:
    dep = _ack_callback(session, base)
    outputs = callback_outputs(dep["output"])
    button = {"index": alert_id, "type": ids.ALERT_ACK}
    inputs = [[{"id": button, "property": "n_clicks", "value": 1}]
              if ids.ALERT_ACK in i["id"] else [] for i in dep["inputs"]]
    state = {ids.ALERT_COMMENT: "pilot informed", ids.LANG: "en"}
    body = {"output": dep["output"], "outputs": outputs, "inputs": inputs,
            "state": [{**s, "value": state.get(s["id"])} for s in dep["state"]],
            "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":"))
                               + ".n_clicks"]}
    reply = session.post(base + "/_dash-update-component", json=body, timeout=30)
    assert reply.status_code == 200, reply.text[:500]
    return reply.json()["response"]


def test_an_acknowledgement_on_one_worker_is_seen_on_the_other_and_stored(deployment):
    a, b = deployment["webs"]
    api = _api(deployment)
    deadline = time.monotonic() + 120
    alerts = []
    while time.monotonic() < deadline and not alerts:   # the replay raises its first alerts
        alerts = [x for x in api.get(a + "/api/v1/alerts", timeout=30).json()["alerts"]
                  if not x.get("acked_by")]
        time.sleep(1)
    assert alerts, "no open alert in 120 s of the NY replay"
    # a state alert stays open once acknowledged (an event alert closes): prefer one
    alert = next((x for x in alerts if x["kind"] == "state"), alerts[0])
    response = _acknowledge(sign_in_http(a, OPERATOR), a, alert["alert_id"])
    assert "acknowledged" in json.dumps(response[ids.ALERT_STATUS]).lower()

    def seen_on_b():
        if alert["kind"] == "state":
            rows = api.get(b + "/api/v1/alerts", timeout=30).json()["alerts"]
        else:
            rows = api.get(b + "/api/v1/alerts?state=all", timeout=30).json()["alerts"]
        row = next((r for r in rows if r["alert_id"] == alert["alert_id"]), None)
        return row is not None and row.get("acked_by") == OPERATOR
    deadline = time.monotonic() + 10
    while not seen_on_b():
        assert time.monotonic() < deadline, "worker b does not show the acknowledgement"
        time.sleep(0.25)
    # stored by the twin in PostgreSQL, with the operator's name and comment
    store = HistoryStore(deployment["pg"])
    rows = [r for r in store.alerts() if r["alert_id"] == alert["alert_id"]]
    store.close()
    assert rows and rows[0]["acked_by"] == OPERATOR and rows[0]["ack_comment"] == "pilot informed"


def test_a_command_for_an_alert_that_is_gone_says_so(deployment):
    a, _ = deployment["webs"]
    response = _acknowledge(sign_in_http(a, OPERATOR), a, "no-such-alert")
    # the worker finds no such open alert in the twin's image: nothing is sent, it says so
    assert "no longer open" in json.dumps(response[ids.ALERT_STATUS])


def test_garbage_on_the_command_stream_is_answered_or_passed_over_and_the_twin_reads_on(
        deployment):
    bus = RedisBus(deployment["redis"], "nynj")
    stream = bus.key("commands")
    for fields in ({"x": "y"}, {"command": "not json"}, {"command": "[1, 2]"},
                   {"command": json.dumps({"op": "silence", "reply": 7})}):
        bus.redis.xadd(stream, fields)
    with pytest.raises(CommandError, match="unknown command"):
        bus.call({"op": "format_disk", "operator": "Li Wei"})
    mmsi = _api(deployment).get(deployment["webs"][0] + "/api/v1/vessels",
                                timeout=30).json()["vessels"][0]["mmsi"]
    answer = bus.call({"op": "silence", "mmsis": [mmsi], "minutes": 5, "operator": "Li Wei"})
    assert answer == {"ok": True, "silenced": [mmsi]}
