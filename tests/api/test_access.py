"""Who may see and do what (issue 17), on the served NY scenario: anonymous requests get
nothing; two shipping companies, each with two real NY vessels, see exactly their own through
every API route and every Dash callback, by login and by token; acknowledging is for the
command centre's roles and is audited with the signed-in name."""
import json
import re

import pytest

from bench.load import callback_outputs
from tests.auth import PASSWORD, bearer, sign_in

PAGES = ("/", "/vessels", "/reports", "/playback", "/audit", "/nowhere")


def _fresh(api_app):
    return api_app.server.test_client()


@pytest.fixture(scope="module")
def fleets(api_app):
    """Companies A and B, two vessels each: real NY ships at berth in the replay (so they
    have port calls, tracks and positions)."""
    ctx = api_app.server.config["PORTTWIN"]
    query, accounts = ctx["query"], ctx["accounts"]
    ships = [v for v in query.vessels("at_berth") if v.get("name")]
    assert len(ships) >= 4, "the NY replay has ships at berth after half an hour"
    a, b = ships[:2], ships[2:4]
    out = {}
    for cid, fleet in (("fleet-a", a), ("fleet-b", b)):
        accounts.add_company(cid, f"Company {cid}", [str(v["mmsi"]) for v in fleet])
        accounts.add_user(f"{cid}-user", "company", PASSWORD, cid)
        out[cid] = {"mmsis": {v["mmsi"] for v in fleet},
                    "names": {v["name"] for v in fleet}}
    return out


def leaks(text: str, other: dict) -> list[str]:
    """The other company's MMSIs (as whole numbers) and names found in a response."""
    found = [str(m) for m in other["mmsis"] if re.search(rf"(?<!\d){m}(?!\d)", text)]
    found += [n for n in other["names"] if n in text]
    return found


def api_urls(api_app, mmsi: int) -> list[str]:
    """Every API route the server has, with a vessel id where the route takes one."""
    urls = []
    for rule in api_app.server.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            urls.append(re.sub(r"<[^>]+>", str(mmsi), rule.rule))
    return sorted(set(urls))


# ---- anonymous ---------------------------------------------------------------------------
def test_anonymous_pages_go_to_login_and_every_api_route_says_401(api_app, fleets):
    client = _fresh(api_app)
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 302, path
        assert resp.headers["Location"].startswith("/login"), path
    urls = api_urls(api_app, next(iter(fleets["fleet-a"]["mmsis"])))
    assert len(urls) >= 12                     # 11 operations, the document and its page
    for url in urls + [u + "?format=csv" for u in urls]:
        resp = client.get(url)
        assert resp.status_code == 401, url
        assert resp.get_json() == {"error": "login required"}, url
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 401
    assert client.post("/_dash-update-component", json={"output": "page.children"}
                       ).status_code == 401
    # open for monitoring and the sign-in page itself
    for path in ("/healthz", "/login"):
        assert client.get(path).status_code == 200
    assert client.get("/readyz").status_code in (200, 503)


def test_a_bad_or_revoked_token_is_401_and_audited(api_app, fleets):
    accounts = api_app.server.config["PORTTWIN"]["accounts"]
    client = _fresh(api_app)
    assert client.get("/api/v1/vessels", headers={"Authorization": "Bearer nope"}
                      ).status_code == 401
    headers = bearer(api_app, "fleet-a-user", "company", "fleet-a")
    assert client.get("/api/v1/vessels", headers=headers).status_code == 200
    accounts.revoke("fleet-a-user")
    accounts._forget()
    assert client.get("/api/v1/vessels", headers=headers).status_code == 401
    refused = accounts.audit_rows(action="token_use")
    assert any(not r["ok"] for r in refused) and any(r["ok"] for r in refused)


# ---- two companies -----------------------------------------------------------------------
@pytest.mark.parametrize("how", ["login", "token"])
@pytest.mark.parametrize("me,them", [("fleet-a", "fleet-b"), ("fleet-b", "fleet-a")])
def test_a_company_sees_exactly_its_two_vessels_in_every_api_answer(api_app, fleets, me,
                                                                     them, how):
    mine, other = fleets[me], fleets[them]
    client = _fresh(api_app)
    headers = {}
    if how == "login":
        sign_in(client, f"{me}-user", "company", me)
    else:
        headers = bearer(api_app, f"{me}-user", "company", me)

    def get(url):
        resp = client.get(url, headers=headers)
        assert resp.status_code in (200, 404), (url, resp.status_code)
        if resp.status_code == 404:           # "no vessel with MMSI … " (the id asked for)
            assert set(resp.get_json()) == {"error"}
            return resp
        text = resp.get_data(as_text=True)
        assert not leaks(text, other), (url, leaks(text, other))
        return resp

    vessels = get("/api/v1/vessels").get_json()["vessels"]
    assert {v["mmsi"] for v in vessels} == mine["mmsis"]
    csv_text = get("/api/v1/vessels?format=csv").get_data(as_text=True)
    assert all(str(m) in csv_text for m in mine["mmsis"])
    features = get("/api/v1/positions").get_json()["features"]
    assert {f["id"] for f in features} == mine["mmsis"]
    for m in mine["mmsis"]:
        assert get(f"/api/v1/vessels/{m}").status_code == 200
        track = get(f"/api/v1/vessels/{m}/track").get_json()
        assert track["geometry"]["coordinates"]
    for m in other["mmsis"]:                        # the other company's ship: no such vessel
        assert get(f"/api/v1/vessels/{m}").status_code == 404
        assert get(f"/api/v1/vessels/{m}/track").status_code == 404
        assert get(f"/api/v1/port-calls?mmsi={m}").get_json()["port_calls"] == []
    live = get("/api/v1/port-calls?source=live:ais-replay").get_json()["port_calls"]
    calls = get("/api/v1/port-calls").get_json()["port_calls"]
    assert {c["mmsi"] for c in calls + live} <= mine["mmsis"]
    # every route the API has, each with the other company's ship where it takes one
    for url in api_urls(api_app, next(iter(other["mmsis"]))):
        get(url)
        if "{" not in url:
            get(url + "?format=csv")


def _callback_request(key: str, spec: dict, values: dict) -> dict:
    def item(dep):
        cid, prop = dep["id"], dep["property"]
        if cid.startswith("{"):                    # pattern-matching (ALL): no rows
            return []
        return {"id": cid, "property": prop, "value": values.get((cid, prop))}
    inputs = [item(d) for d in spec["inputs"]]
    first = spec["inputs"][0]
    outputs = callback_outputs(key)
    return {"output": key, "outputs": outputs if key.startswith("..") else outputs[0],
            "inputs": inputs, "state": [item(d) for d in spec.get("state", [])],
            "changedPropIds": [f"{first['id']}.{first['property']}"]}


def _values(target: int, path: str) -> dict:
    """Inputs a page could hold, each pointing at ``target`` (another company's ship)."""
    return {
        ("url", "pathname"): path, ("lang", "data"): "en",
        ("v-search", "value"): str(target), ("v-status", "value"): "all",
        ("v-tick", "n_intervals"): 1, ("v-selected", "data"): target,
        ("v-grid", "cellClicked"): {"rowId": str(target)},
        ("v-grid", "rowData"): [{"mmsi_key": str(target), "mmsi": target}],
        ("selected-vessel", "data"): target, ("tick", "n_intervals"): 1,
        ("colour-mode", "value"): "type", ("alert-sectors", "value"): [],
        ("map", "clickInfo"): {"layer": "vessels", "index": 0},
        ("slow-tick", "n_intervals"): 1, ("tour-tick", "n_intervals"): 1,
        ("tour-views", "data"): [], ("r-period", "value"): "week",
        ("r-date", "date"): "2020-12-06", ("r-pdf", "n_clicks"): 1,
        ("p-window", "data"): 0, ("p-head", "data"): {"t": 3600, "playing": False},
        ("alert-comment", "value"): "",
    }


def _server_callbacks(api_app) -> dict:
    return {k: v for k, v in api_app.callback_map.items() if "callback" in v}


def test_every_callback_is_in_the_permission_table(api_app):
    from callbacks.access import callback_permission
    unknown = [k for k in _server_callbacks(api_app) if not callback_permission(k)[0]]
    assert not unknown


@pytest.mark.parametrize("me,them", [("fleet-a", "fleet-b"), ("fleet-b", "fleet-a")])
def test_no_callback_gives_a_company_another_companys_vessel(api_app, fleets, me, them):
    other = fleets[them]
    target = next(iter(other["mmsis"]))
    company = sign_in(_fresh(api_app), f"{me}-user", "company", me)
    admin = sign_in(_fresh(api_app), "access-admin", "admin")
    answered, admin_saw = [], []
    for path in PAGES:
        for key, spec in _server_callbacks(api_app).items():
            body = _callback_request(key, spec, _values(target, path))
            resp = company.post("/_dash-update-component", json=body)
            assert resp.status_code in (200, 204, 403), (key, resp.status_code,
                                                          resp.get_data(as_text=True)[:300])
            text = json.dumps(resp.get_json(silent=True), ensure_ascii=False) \
                if resp.status_code == 200 else resp.get_data(as_text=True)
            # the export links repeat the search typed (the other ship's MMSI): an echo
            text = text.replace(f"q={target}", "q=")
            assert not leaks(text, other), (path, key, leaks(text, other))
            if resp.status_code == 200:
                answered.append(key)
            seen = admin.post("/_dash-update-component", json=body)
            if seen.status_code == 200 and leaks(json.dumps(seen.get_json(),
                                                            ensure_ascii=False), other):
                admin_saw.append(key)
    # the company's own pages answered, and the same requests show the other ship to the
    # command centre: the test can see a leak when there is one
    assert any(k.startswith("..v-grid") for k in answered)
    assert any(k.startswith("..v-card") for k in answered)
    assert any(k.startswith("..v-grid") or k.startswith("..v-card") for k in admin_saw)
    assert any(k.startswith("..map.layerData") for k in admin_saw)


def test_a_company_is_sent_to_its_own_page(api_app, fleets):
    client = sign_in(_fresh(api_app), "fleet-a-user", "company", "fleet-a")
    for path in ("/", "/reports", "/playback", "/audit"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"] == "/vessels", path
    assert client.get("/vessels").status_code == 200


# ---- acknowledging -----------------------------------------------------------------------
def _ack_request(alert_id: str, comment: str) -> dict:
    return {"output": "set by the caller", "outputs": [{"id": "alert-status", "property": "children"},
                                       {"id": "alert-signature", "property": "data"}],
            "inputs": [[{"id": {"type": "alert-ack", "index": alert_id},
                         "property": "n_clicks", "value": 1}],
                       []],
            "state": [{"id": "alert-comment", "property": "value", "value": comment},
                      {"id": "lang", "property": "data", "value": "en"}],
            "changedPropIds": [json.dumps({"index": alert_id, "type": "alert-ack"},
                                          separators=(",", ":")) + ".n_clicks"]}


def test_an_acknowledgement_carries_the_signed_in_operator_and_others_get_403(api_app,
                                                                              fleets):
    ctx = api_app.server.config["PORTTWIN"]
    accounts, engine = ctx["accounts"], ctx["engine"]
    key = next(k for k in api_app.callback_map if k.startswith("..alert-status.children"))
    alerts = engine.activity.alerts.open_alerts(engine.now())
    assert alerts, "the NY replay has open alerts after half an hour"
    alert = next(a for a in alerts if a.kind == "event") if any(
        a.kind == "event" for a in alerts) else alerts[0]

    def ack(client):
        body = _ack_request(alert.alert_id, "pilot informed")
        body["output"] = key
        return client.post("/_dash-update-component", json=body)

    for name, role, company in (("fleet-a-user", "company", "fleet-a"),
                                ("wall-east", "wall", None)):
        resp = ack(sign_in(_fresh(api_app), name, role, company))
        assert resp.status_code == 403, (role, resp.get_data(as_text=True)[:200])
        assert engine.activity.alerts.by_id[alert.alert_id].acked_by is None
    # a hand-made POST without the CSRF header is refused too
    op = sign_in(_fresh(api_app), "zhang.wei", "operator")
    forged = _fresh(api_app)
    forged.set_cookie("porttwin_session", op.get_cookie("porttwin_session").value)
    assert ack(forged).status_code == 400
    resp = ack(op)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    acked = engine.activity.alerts.by_id[alert.alert_id]
    assert acked.acked_by == "zhang.wei" and acked.ack_comment == "pilot informed"
    stored = [a for a in ctx["store"].alerts() if a["alert_id"] == alert.alert_id]
    assert stored and stored[0]["acked_by"] == "zhang.wei"
    rows = accounts.audit_rows(action="acknowledge")
    refused = {r["user_name"] for r in rows if not r["ok"]}
    assert {"fleet-a-user", "wall-east"} <= refused
    done = [r for r in rows if r["ok"] and r["target"] == alert.alert_id]
    assert done and done[0]["user_name"] == "zhang.wei" and done[0]["role"] == "operator"
    assert any(r["action"] == "csrf_rejected" for r in accounts.audit_rows())


def test_logins_are_audited_and_repeated_failures_lock_the_account(api_app):
    accounts = api_app.server.config["PORTTWIN"]["accounts"]
    accounts.add_user("li.na", "leadership", PASSWORD)
    client = _fresh(api_app)

    def attempt(password):
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return client.post("/login", data={"username": "li.na", "password": password,
                                           "csrf_token": token})
    for _ in range(accounts.max_failures):
        assert attempt("wrong password").status_code == 401
    # locked: the right password is refused too, until the lock ends
    resp = attempt(PASSWORD)
    assert resp.status_code == 401 and "locked" in resp.get_data(as_text=True)
    logins = [r for r in accounts.audit_rows(action="login") if r["user_name"] == "li.na"]
    assert len(logins) == accounts.max_failures + 1 and not any(r["ok"] for r in logins)
    assert all(r["address"] == "127.0.0.1" for r in logins)
    assert accounts.audit_rows(action="lockout")
    accounts.unlock("li.na")
    assert attempt(PASSWORD).status_code == 302
    assert any(r["ok"] for r in accounts.audit_rows(action="login") if r["user_name"] == "li.na")


def test_pages_carry_the_security_headers(api_app):
    client = sign_in(_fresh(api_app), "headers-admin", "admin")
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self' 'sha256-" in csp
    assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1] \
        .split(";")[0]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Server"] == "PortTwin"
    cookie = resp.headers.get("Set-Cookie", "")
    assert "_csrf_token=" in cookie and "SameSite=Strict" in cookie
    login = _fresh(api_app).get("/login")
    session = login.headers.get("Set-Cookie", "")
    assert "HttpOnly" in session and "porttwin_session=" in session


def test_an_idle_session_ends_and_a_revoked_one_at_once(api_app):
    client = sign_in(_fresh(api_app), "idle.operator", "operator")
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:        # 31 minutes without a request
        session["seen"] -= 31 * 60
    resp = client.get("/")
    assert resp.status_code == 302 and "expired=1" in resp.headers["Location"]
    assert client.get("/api/v1/vessels").status_code == 401
    # a wall's device login does not idle out; revoking it ends it at once
    accounts = api_app.server.config["PORTTWIN"]["accounts"]
    wall = sign_in(_fresh(api_app), "screen-9", "wall")
    with wall.session_transaction() as session:
        session["seen"] -= 7 * 86400
    assert wall.get("/").status_code == 200
    accounts.revoke("screen-9")
    accounts._forget()
    assert wall.get("/").status_code == 302
    assert any(r["user_name"] == "idle.operator"
               for r in accounts.audit_rows(action="session_expired"))


def test_the_admin_reads_the_audit_trail_on_its_page(api_app):
    from tests.conftest import routed_page
    admin = sign_in(_fresh(api_app), "audit-admin", "admin")
    page = routed_page(admin, "/audit", "en")
    assert "audit-grid" in page
    assert '"action": "login"' in page and '"user": "audit-admin"' in page   # its own login
    lead = sign_in(_fresh(api_app), "audit-lead", "leadership")
    assert lead.get("/audit").status_code == 302          # not a leadership page
    assert "audit-grid" not in routed_page(lead, "/audit", "en")


def test_metrics_can_require_a_token(api_app):
    import dataclasses
    access = api_app.server.config["PORTTWIN"]["access"]
    client = _fresh(api_app)
    assert client.get("/metrics").status_code == 200        # open by default
    before = access.config
    access.config = dataclasses.replace(before, metrics_token="s3cret-metrics")
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"}
                          ).status_code == 200
    finally:
        access.config = before


def test_a_supervisor_revokes_a_wall_screen_on_the_screens_page(api_app):
    wall = sign_in(_fresh(api_app), "screen-12", "wall")
    assert wall.get("/").status_code == 200
    sup = sign_in(_fresh(api_app), "chief.zhou", "supervisor")
    page = sup.get("/screens").get_data(as_text=True)
    assert "screen-12" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    # not a wall screen: refused (a supervisor ends screens' logins, not people's)
    assert sup.post("/screens", data={"user": "chief.zhou", "csrf_token": token}
                    ).status_code == 400
    done = sup.post("/screens", data={"user": "screen-12", "csrf_token": token})
    assert done.status_code == 200 and "every session ended" in done.get_data(as_text=True)
    api_app.server.config["PORTTWIN"]["accounts"]._forget()
    assert wall.get("/").status_code == 302              # the screen is signed out
    op = sign_in(_fresh(api_app), "op.sun", "operator")
    assert op.get("/screens").status_code == 302          # an operator may not
    rows = api_app.server.config["PORTTWIN"]["accounts"].audit_rows(action="revoke")
    assert any(r["ok"] and r["user_name"] == "chief.zhou" and r["target"] == "screen-12"
               for r in rows)
