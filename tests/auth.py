"""Signing test clients in as the product's users (accounts in the app's own store)."""
from __future__ import annotations

import re

PASSWORD = "harbour-pilot-42"


def accounts_of(app_or_client):
    server = getattr(app_or_client, "application", None) or \
        getattr(app_or_client, "server", None) or app_or_client
    return server.config["PORTTWIN"]["accounts"]


def ensure_user(accounts, name: str, role: str, company: str | None = None) -> None:
    if accounts.identity(name) is None:
        accounts.add_user(name, role, PASSWORD, company)


def sign_in(client, name: str = "test-admin", role: str = "admin",
            company: str | None = None, password: str = PASSWORD):
    """Log ``client`` in through /login (the real form, CSRF token included) and have it send
    the CSRF header Dash's renderer sends on every later POST. Returns the client."""
    ensure_user(accounts_of(client), name, role, company)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": name, "password": password,
                                       "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get_cookie("_csrf_token").value
    return client


def bearer(app, name: str, role: str, company: str | None = None) -> dict:
    """Headers with an API token of that user (made if needed)."""
    accounts = accounts_of(app)
    ensure_user(accounts, name, role, company)
    return {"Authorization": f"Bearer {accounts.add_token(name)}"}


def sign_in_http(base: str, name: str, password: str = PASSWORD):
    """A ``requests`` session signed in to a served PortTwin through its /login form, sending
    the CSRF header on later POSTs as Dash's renderer does."""
    import requests
    s = requests.Session()
    page = s.get(base + "/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = s.post(base + "/login", data={"username": name, "password": password,
                                         "csrf_token": token},
                  allow_redirects=False, timeout=30)
    assert resp.status_code == 302, resp.text[:300]
    s.headers["X-CSRFToken"] = s.cookies["_csrf_token"]
    return s


def _cli(env: dict, args: list[str], stdin: str | None = None) -> str:
    """``python app.py ARGS`` as an operator's script runs it; its standard output."""
    import subprocess
    import sys
    from pathlib import Path
    done = subprocess.run([sys.executable, "app.py", *args], input=stdin, text=True,
                          capture_output=True, cwd=Path(__file__).resolve().parent.parent,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cli_user(env: dict, name: str, role: str, company: str | None = None,
             password: str = PASSWORD) -> None:
    _cli(env, ["users", "add", name, "--role", role, "--password-stdin",
               *(["--company", company] if company else [])], password + "\n")


def cli_token(env: dict, name: str) -> str:
    return _cli(env, ["tokens", "add", "--user", name]).strip()
