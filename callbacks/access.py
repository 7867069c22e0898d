"""Login, roles and the gate every request passes (GB/T 22239-2019 level 3: identification,
access control, security audit, session control).

- Flask-Login keeps who is logged in (a signed session cookie; the key is the deployment's,
  ``twin.accounts``); ``Authorization: Bearer TOKEN`` speaks for a token's user instead.
- ``gate`` runs before every request: open are only the login page, health checks, static
  files and (unless ``metrics_token`` is set) ``/metrics``. Anonymous page requests are sent
  to ``/login``; anonymous API and Dash requests get 401 JSON. A page, an API route and each
  Dash callback need a permission (``twin.accounts.PERMISSIONS``): a callback's is looked up
  from its outputs (``CALLBACK_PERMISSIONS``) — a callback not in that table is refused, so a
  new one cannot be reachable by accident (tests/test_access.py enumerates them).
- Every state-changing request with a session cookie carries a CSRF token (Flask-WTF): the
  login form a hidden field, Dash's callbacks the ``X-CSRFToken`` header that Dash's renderer
  sends from the ``_csrf_token`` cookie set here. Token requests have no cookie to forge.
- A session ends after ``session_idle_minutes`` without a request (a ``wall`` device login
  does not idle out; a supervisor ends it with ``python app.py users revoke NAME``), after
  ``session_max_hours`` in any case, and at once when its user is revoked or disabled.
- Headers: CSP (Dash's inline scripts by hash), frame-ancestors 'none' / X-Frame-Options,
  nosniff, no server version; secure cookies and HSTS when served over TLS
  (``behind_tls_proxy``; docs/deployment.md).
"""
from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode, urlparse

import flask
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from layouts import ids
from layouts.i18n import normalise_language, t
from twin.accounts import Accounts, Identity
from twin.store_guard import StoreUnavailable
from twin.query import Scope

log = logging.getLogger(__name__)

CSRF_COOKIE = "_csrf_token"           # the name Dash's renderer reads
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/", "/static/")
OPEN_PATHS = {"/login", "/logout", "/healthz", "/readyz", "/_favicon.ico", "/favicon.ico"}
PAGE_PERMISSION = {"/": "wall", "/vessels": "vessels", "/reports": "reports",
                   "/playback": "playback", "/audit": "audit", "/screens": "revoke"}
NOBODY = Scope(mmsis=frozenset(), name="nobody")

# the permission each callback needs, by the component ids of its outputs (a callback needs
# the strictest of its outputs'); ``None`` = any logged-in user (the router checks the page)
CALLBACK_PERMISSIONS = {
    ids.PAGE: None,
    # the wall
    ids.MAP: "wall", ids.LEGEND: "wall", ids.LAYER_VERSION: "wall", ids.SELECTED: "wall",
    ids.CARD: "wall", ids.CARD_BODY: "wall", ids.KPI_STRIP: "wall", ids.FEED_HEALTH: "wall",
    ids.SOURCE_BANNER: "wall", ids.CLOCK: "wall", ids.PORT_PANEL: "wall",
    ids.ALERT_TICKER: "wall", ids.ALERT_LIST: "wall", ids.ALERT_SIG: "wall",
    ids.PANEL_SIG: "wall", ids.BERTH_TIMELINE: "wall", ids.QUEUE_PANEL: "wall",
    ids.FORECAST_PANEL: "wall", ids.STALE_BANNER: "wall", ids.HYDROMET_PANEL: "wall",
    ids.ALERT_STATUS: "acknowledge",          # acknowledge / silence
    # vessels page
    ids.V_GRID: "vessels", ids.V_EXPORT_CSV: "vessels", ids.V_EXPORT_GEOJSON: "vessels",
    ids.V_SELECTED: "vessels", ids.V_CARD: "vessels", ids.V_MAP: "vessels",
    # reports page
    ids.R_BODY: "reports", ids.R_DOWNLOAD: "export", ids.R_PROGRESS: "export",
    # playback
    ids.P_DATA: "playback", ids.P_WINDOW: "playback", ids.P_HEAD: "playback",
    ids.P_CLOCK: "playback", ids.P_STATE: "playback", ids.P_MAP: "playback",
    ids.P_SLIDER: "playback", ids.P_PLAY: "playback",
}
STRICTNESS = ("wall", "vessels", "playback", "reports", "export", "acknowledge", "audit")


def output_ids(output_key: str) -> list[str]:
    """The component ids of a Dash callback's outputs, from the key Dash posts
    (``id.prop``, ``..id.prop...id2.prop2..``, pattern ids as JSON, ``@hash`` suffixes)."""
    key = output_key.strip(".")
    parts = key.split("...") if output_key.startswith("..") else [key]
    out = []
    for part in parts:
        part = part.split("@", 1)[0]
        comp = part.rsplit(".", 1)[0]
        if comp.startswith("{"):
            try:
                comp = json.loads(comp).get("type", comp)
            except (ValueError, AttributeError):
                pass
        out.append(comp)
    return out


def callback_permission(output_key: str) -> tuple[bool, str | None]:
    """(known, permission) of the callback with that output key; unknown callbacks are
    refused by the gate."""
    need = []
    for comp in output_ids(output_key):
        if comp not in CALLBACK_PERMISSIONS:
            return False, None
        if CALLBACK_PERMISSIONS[comp] is not None:
            need.append(CALLBACK_PERMISSIONS[comp])
    if not need:
        return True, None
    return True, max(need, key=STRICTNESS.index)


class User:
    """Flask-Login's view of an ``Identity``."""

    is_active = True
    is_anonymous = False

    def __init__(self, identity: Identity):
        self.identity = identity

    @property
    def is_authenticated(self) -> bool:
        return True

    def get_id(self) -> str:
        return f"{self.identity.name}|{self.identity.session_version}"


def current_identity() -> Identity | None:
    """The identity of the request in progress (None outside one, or anonymous)."""
    if not flask.has_request_context():
        return None
    user = current_user
    return getattr(user, "identity", None) if user and user.is_authenticated else None


def operator_name() -> str | None:
    ident = current_identity()
    return ident.name if ident is not None else None


def may(permission: str) -> bool:
    ident = current_identity()
    return ident is not None and ident.may(permission)


def audit(action: str, *, ok: bool, target: str | None = None, **detail) -> None:
    """One audit record for the request in progress, by its signed-in user."""
    accounts = flask.current_app.config["PORTTWIN"].get("accounts")
    if accounts is None:
        return
    ident = current_identity()
    accounts.record(action, ok=ok, user=ident.name if ident else None,
                    role=ident.role if ident else None, target=target,
                    address=client_address(), **detail)


def client_address() -> str:
    """The client's address (with ``behind_tls_proxy``, ProxyFix has put the proxy's
    X-Forwarded-For there)."""
    return (flask.request.remote_addr or "")[:64]


class Access:
    """The gate of one Dash app's server."""

    def __init__(self, app, accounts: Accounts, config, query, port):
        self.app, self.accounts, self.config, self.port = app, accounts, config, port
        self.server = server = app.server
        server.secret_key = config.secret_key or accounts.secret_key()
        tls = bool(config.behind_tls_proxy)
        if tls:
            from werkzeug.middleware.proxy_fix import ProxyFix
            server.wsgi_app = ProxyFix(server.wsgi_app, x_for=1, x_proto=1, x_host=1)
        server.config.update(
            SESSION_COOKIE_NAME="porttwin_session", SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=tls,
            PERMANENT_SESSION_LIFETIME=config.wall_session_days * 86400,
            SESSION_REFRESH_EACH_REQUEST=False,
            WTF_CSRF_CHECK_DEFAULT=False,            # checked in the gate (not for tokens)
            WTF_CSRF_TIME_LIMIT=None,                # valid for the session's life
            WTF_CSRF_SSL_STRICT=tls)
        self.csrf = CSRFProtect(server)
        self.login_manager = LoginManager(server)
        self.login_manager.session_protection = None     # idle/absolute limits below
        self.login_manager.user_loader(self._load_user)
        self.login_manager.request_loader(self._load_from_token)
        # when each token's use, and each address's bad tokens, were last audited
        self._audited: dict[str, float] = {}
        self.csp = None       # made on the first page: after every inline script is known
        query.scope_source = self.scope
        server.before_request(self.gate)
        server.after_request(self.headers)
        server.register_error_handler(CSRFError, self._csrf_failed)
        server.register_error_handler(StoreUnavailable, self._store_unavailable)
        server.add_url_rule("/login", "login", self.login, methods=["GET", "POST"])
        server.add_url_rule("/logout", "logout", self.logout, methods=["GET", "POST"])
        server.add_url_rule("/screens", "screens", self.screens, methods=["GET", "POST"])

    # ---- who ------------------------------------------------------------------------------
    def _load_user(self, user_id: str):
        name, _, version = user_id.rpartition("|")
        ident = self.accounts.identity(name)
        if ident is None or str(ident.session_version) != version:
            return None
        return User(ident)

    def _load_from_token(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = header[7:].strip()
        ident = self.accounts.token_identity(token)
        if ident is None:
            # one record a minute per address: a client spamming bad tokens cannot grow the
            # audit trail by a row a request
            if self._once_a_minute("bad:" + client_address()):
                self.accounts.record("token_use", ok=False, address=client_address(),
                                     target=request.path, reason="unknown or revoked token")
            return None
        if self._once_a_minute(ident.name + token[:10]):
            self.accounts.touch_token(token)
            self.accounts.record("token_use", ok=True, user=ident.name, role=ident.role,
                                 target=request.path, address=client_address())
        return User(ident)

    def _once_a_minute(self, key: str) -> bool:
        """True the first time ``key`` is seen in a minute (bounded: forgotten wholesale past
        10,000 keys)."""
        now = time.monotonic()
        last = self._audited.get(key)
        if last is not None and now - last <= 60:
            return False
        if len(self._audited) > 10_000:
            self._audited.clear()
        self._audited[key] = now
        return True

    def scope(self) -> Scope:
        """The query layer's scope for the request in progress: everything for the port's own
        roles, its fleet for a company, nothing for an unknown caller (fail closed). Outside
        a request (the engine, command-line tools, tests) the twin is seen whole."""
        if not flask.has_request_context():
            return Scope()
        ident = current_identity()
        if ident is None:
            return NOBODY
        if ident.role != "company":
            return Scope()
        fleet = self.accounts.fleet(ident.company_id)
        if fleet is None:
            return NOBODY
        mmsis = set(fleet.mmsis)
        if fleet.imos:           # a listed IMO brings the MMSI it uses in the live picture
            mmsis |= self._mmsis_of_imos(fleet.imos)
        return Scope(mmsis=frozenset(mmsis), name=f"company:{fleet.company_id}")

    def _mmsis_of_imos(self, imos: frozenset) -> set:
        engine = self.server.config["PORTTWIN"]["engine"]
        v = engine.snapshot().vessels
        if v.empty or "imo" not in v:
            return set()
        hit = v[v["imo"].isin(list(imos))]
        return {int(m) for m in hit["mmsi"]}

    # ---- the gate -------------------------------------------------------------------------
    def gate(self):
        req = flask.request
        path = req.path
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return None
        if path == "/metrics":
            if not self.config.metrics_token:
                return None
            if req.headers.get("Authorization", "") == f"Bearer {self.config.metrics_token}":
                return None
            return _json_error("a metrics token is required", 401)
        ident = current_identity()
        if ident is None:
            if path.startswith("/api/") or path.startswith("/_"):
                return _json_error("login required", 401)
            return flask.redirect("/login?" + urlencode({"next": _local(req.full_path)}))
        if not ident.via_token and not self._session_fresh(ident):
            logout_user()
            flask.session.clear()
            self.accounts.record("session_expired", ok=True, user=ident.name, role=ident.role,
                                 address=client_address())
            if path.startswith("/api/") or path.startswith("/_"):
                return _json_error("session expired", 401)
            return flask.redirect("/login?" + urlencode({"next": _local(req.full_path),
                                                         "expired": 1}))
        if req.method not in ("GET", "HEAD", "OPTIONS") and not ident.via_token:
            self.csrf.protect()                   # raises CSRFError -> 400
        if path.startswith("/api/"):
            if not ident.may("api"):
                return self._deny(ident, "api", path)
            return None
        if path == "/_dash-update-component":
            return self._gate_callback(ident)
        if path.startswith("/_"):                 # Dash's layout, dependencies, reload hash
            return None
        # a page the role may not see: its own instead (every role may see its home)
        if not ident.may(PAGE_PERMISSION.get(path.rstrip("/") or "/", "wall")):
            return flask.redirect(ident.home)
        return None

    def _gate_callback(self, ident: Identity):
        body = flask.request.get_json(silent=True)
        output = body.get("output") if isinstance(body, dict) else None
        if not isinstance(output, str):
            return _json_error("not a Dash callback request", 400)
        known, need = callback_permission(output)
        if not known:
            log.warning("callback %r is in no permission table: refused", output[:200])
            return self._deny(ident, "unknown callback", output[:200])
        if need is not None and not ident.may(need):
            return self._deny(ident, need, output[:200])
        return None

    def _deny(self, ident: Identity, need: str, target: str):
        action = "acknowledge" if need == "acknowledge" else "access_denied"
        self.accounts.record(action, ok=False, user=ident.name, role=ident.role,
                             target=target, address=client_address(),
                             reason=f"role {ident.role} lacks {need}")
        return _json_error(f"role {ident.role} may not do this ({need})", 403)

    def _session_fresh(self, ident: Identity) -> bool:
        """Idle and absolute session limits (a wall's device login: only the absolute one,
        ``wall_session_days``). The last-seen time is written at most once a minute."""
        now = time.time()
        session = flask.session
        started, seen = session.get("started", now), session.get("seen", now)
        if ident.role != "wall":
            if now - seen > self.config.session_idle_minutes * 60:
                return False
            if now - started > self.config.session_max_hours * 3600:
                return False
        if now - seen > 60:
            session["seen"] = now
        return True

    # ---- responses ------------------------------------------------------------------------
    def _content_security_policy(self) -> str:
        scripts = " ".join(self.app.csp_hashes())       # quoted already
        return ("default-src 'self'; "
                f"script-src 'self' {scripts}; "
                # Plotly and AG Grid write <style> elements; no script can come from them
                "style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data: blob:; font-src 'self' data:; "
                "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
                "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

    def headers(self, response: flask.Response) -> flask.Response:
        h = response.headers
        h["X-Frame-Options"] = "DENY"
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "same-origin"
        h["Server"] = "PortTwin"
        if response.mimetype == "text/html":
            if self.csp is None:
                self.csp = self._content_security_policy()
            h["Content-Security-Policy"] = self.csp
        if self.config.behind_tls_proxy:
            h["Strict-Transport-Security"] = "max-age=31536000"
        path = flask.request.path
        if not path.startswith(OPEN_PREFIXES):
            h.setdefault("Cache-Control", "no-store")
        ident = current_identity()
        if ident is not None and not ident.via_token and response.mimetype == "text/html":
            # Dash's renderer sends this cookie's value back as X-CSRFToken on each callback
            response.set_cookie(CSRF_COOKIE, generate_csrf(), samesite="Strict",
                                secure=bool(self.config.behind_tls_proxy), httponly=False)
        return response

    def _csrf_failed(self, exc):
        ident = current_identity()
        self.accounts.record("csrf_rejected", ok=False,
                             user=ident.name if ident else None,
                             role=ident.role if ident else None,
                             target=flask.request.path, address=client_address(),
                             reason=exc.description)
        if flask.request.path == "/login":
            return self._login_page(error="login_expired_form", status=400)
        return _json_error(f"CSRF check failed: {exc.description}", 400)

    def _store_unavailable(self, exc: StoreUnavailable):
        """A request that needed a store that does not answer (``twin.store_guard``): 503
        with Retry-After — JSON for the API and the page's callbacks (a wall keeps its last
        picture and asks again on its next refresh), else a page that reloads itself."""
        log.warning("%s %s: %s", flask.request.method, flask.request.path, exc)
        path = flask.request.path
        headers = {"Retry-After": "10", "Cache-Control": "no-store"}
        if path.startswith("/api/") or path.startswith("/_"):
            body = json.dumps({"error": str(exc), "store": exc.store, "retry_after_s": 10})
            return flask.Response(body, status=503, mimetype="application/json",
                                  headers=headers)
        lang = self._lang()
        body = flask.render_template_string(UNAVAILABLE_PAGE, lang=lang, t=t,
                                            store=t(f"store_{exc.store}", lang))
        return flask.Response(body, status=503, mimetype="text/html", headers=headers)

    # ---- login / logout -------------------------------------------------------------------
    def login(self):
        req = flask.request
        if req.method == "GET":
            if current_identity() is not None:
                return flask.redirect(self._next(current_identity()))
            return self._login_page(error="login_expired" if req.args.get("expired") else None)
        self.csrf.protect()
        name = (req.form.get("username") or "").strip()[:64]
        password = req.form.get("password") or ""
        try:
            ident, why = self.accounts.authenticate(name, password)
        except StoreUnavailable:                 # nobody signs in while it is away
            self.accounts.record("login", ok=False, user=name or None,
                                 address=client_address(), reason="store_unavailable")
            return self._login_page(error="login_unavailable", status=503, username=name)
        if ident is None:
            self.accounts.record("login", ok=False, user=name or None,
                                 address=client_address(), reason=why)
            if why == "locked_now":
                self.accounts.record("lockout", ok=True, user=name, address=client_address(),
                                     minutes=self.accounts.lockout_s / 60)
            key = "login_locked" if why in ("locked", "locked_now") else "login_failed"
            return self._login_page(error=key, status=401, username=name)
        flask.session.clear()                    # a fresh session: no fixation
        flask.session.permanent = True
        flask.session["started"] = flask.session["seen"] = time.time()
        login_user(User(ident))
        self.accounts.record("login", ok=True, user=ident.name, role=ident.role,
                             address=client_address())
        return flask.redirect(self._next(ident))

    def logout(self):
        ident = current_identity()
        if flask.request.method == "POST":
            self.csrf.protect()
            if ident is not None:
                self.accounts.record("logout", ok=True, user=ident.name, role=ident.role,
                                     address=client_address())
            logout_user()
            flask.session.clear()
            return flask.redirect("/login")
        return self._login_page(logout=ident is not None)

    def screens(self):
        """The wall screens' device logins, each with Revoke (supervisor, admin): ends every
        session of that screen at once (it shows the sign-in page on its next refresh)."""
        ident = current_identity()                # the gate has checked "revoke"
        done = None
        if flask.request.method == "POST":
            name = (flask.request.form.get("user") or "")[:64]
            target = self.accounts.identity(name)
            if target is None or target.role != "wall":
                self.accounts.record("revoke", ok=False, user=ident.name, role=ident.role,
                                     target=name, address=client_address(),
                                     reason="not a wall screen")
                return _json_error("not a wall screen's login", 400)
            n = self.accounts.revoke(name)
            self.accounts.record("revoke", ok=True, user=ident.name, role=ident.role,
                                 target=name, address=client_address(), tokens=n)
            done = name
        lang = self._lang()
        walls = [u for u in self.accounts.users() if u["role"] == "wall"]
        body = flask.render_template_string(SCREENS_PAGE, lang=lang, t=t, walls=walls,
                                            done=done, csrf_token=generate_csrf(),
                                            when=lambda e: time.strftime(
                                                "%Y-%m-%d %H:%M UTC", time.gmtime(e))
                                            if e else "—")
        return flask.Response(body, mimetype="text/html")

    def _lang(self) -> str:
        return normalise_language(
            flask.request.args.get("lang") or flask.request.cookies.get("porttwin_lang"),
            normalise_language(self.config.language, self.port.language))

    def _next(self, ident: Identity) -> str:
        target = _local(flask.request.args.get("next") or "")
        page = urlparse(target).path.rstrip("/") or "/"
        if target and ident.may(PAGE_PERMISSION.get(page, "wall")):
            return target
        return ident.home

    def _login_page(self, error: str | None = None, status: int = 200, username: str = "",
                    logout: bool = False):
        lang = self._lang()
        port_name = self.port.name_zh if lang == "zh" else self.port.name
        body = flask.render_template_string(LOGIN_PAGE, lang=lang, t=t, error=error,
                                            username=username, port_name=port_name,
                                            locode=self.port.locode, logout=logout,
                                            csrf_token=generate_csrf(),
                                            next=_local(flask.request.args.get("next") or ""))
        return flask.Response(body, status=status, mimetype="text/html")


def _local(target: str) -> str:
    """``target`` if it is a path on this server (never another site: an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc:
        return ""
    return target.rstrip("?")


def _json_error(message: str, status: int) -> flask.Response:
    return flask.Response(json.dumps({"error": message}), status=status,
                          mimetype="application/json")


UNAVAILABLE_PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="15">
<title>PortTwin · {{ t('store_unavailable_title', lang) }}</title>
<link rel="stylesheet" href="/assets/fonts.css">
<link rel="stylesheet" href="/assets/login.css"></head>
<body class="login-body"><main class="login-box">
<div class="brand-name">{{ t('app_title', lang) }}</div>
<p class="login-error" id="store-unavailable" role="alert">{{ t('store_unavailable', lang).format(store=store) }}</p>
</main></body></html>
"""

LOGIN_PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PortTwin · {{ t('login_title', lang) }}</title>
<link rel="stylesheet" href="/assets/fonts.css">
<link rel="stylesheet" href="/assets/login.css"></head>
<body class="login-body"><main class="login-box">
<div class="brand-name">{{ t('app_title', lang) }}</div>
<div class="port-name">{{ port_name }} · {{ locode }}</div>
{% if logout %}
<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<button type="submit" id="logout-confirm">{{ t('logout', lang) }}</button></form>
{% else %}
<h1>{{ t('login_title', lang) }}</h1>
{% if error %}<p class="login-error" id="login-error">{{ t(error, lang) }}</p>{% endif %}
<form method="post" action="/login{{ '?next=' ~ (next|urlencode) if next else '' }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<label>{{ t('login_username', lang) }}
<input name="username" id="username" autocomplete="username" value="{{ username }}" required
 autofocus></label>
<label>{{ t('login_password', lang) }}
<input name="password" id="password" type="password" autocomplete="current-password"
 required></label>
<button type="submit" id="login-submit">{{ t('login_submit', lang) }}</button>
</form>
{% endif %}
<nav class="lang-switch"><a href="?lang=en">English</a> <a href="?lang=zh">中文</a></nav>
</main></body></html>"""


SCREENS_PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<title>PortTwin · {{ t('screens_title', lang) }}</title>
<link rel="stylesheet" href="/assets/fonts.css">
<link rel="stylesheet" href="/assets/login.css"></head>
<body class="login-body"><main class="login-box screens-box">
<div class="brand-name">{{ t('app_title', lang) }}</div>
<h1>{{ t('screens_title', lang) }}</h1>
{% if done %}<p class="login-done" id="revoked">{{ t('screens_revoked', lang, who=done) }}</p>
{% endif %}
<table class="screens">
<tr><th>{{ t('login_username', lang) }}</th><th>{{ t('screens_last_login', lang) }}</th><th></th></tr>
{% for w in walls %}<tr><td>{{ w.name }}</td><td>{{ when(w.last_login) }}</td><td>
<form method="post" action="/screens"><input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<input type="hidden" name="user" value="{{ w.name }}">
<button type="submit" id="revoke-{{ w.name }}">{{ t('screens_revoke', lang) }}</button></form>
</td></tr>{% endfor %}
</table>
<p><a href="/">{{ t('nav_wall', lang) }}</a></p>
</main></body></html>"""
