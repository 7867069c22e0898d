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
