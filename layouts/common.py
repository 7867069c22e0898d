"""What every page shares: the navigation between the three views and playback, the language
switch (a link: the server remembers the choice in a cookie) and page headers."""
from __future__ import annotations

from dash import dcc, html

from .i18n import LANGUAGES, t

LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
PAGES = (("/", "nav_wall"), ("/vessels", "nav_vessels"), ("/reports", "nav_reports"),
         ("/playback", "nav_playback"))


PAGE_NEEDS = {"/": "wall", "/vessels": "vessels", "/reports": "reports",
              "/playback": "playback"}


def nav(lang: str, active: str, admin_links: bool = True) -> html.Nav:
    """Links to the pages the signed-in user may see (full page loads: each page starts
    clean, the wall keeps nothing of another page's state), who is signed in, and sign-out.
    ``admin_links``: the screens and audit pages too (not in the wall's full top bar)."""
    from callbacks.access import current_identity
    ident = current_identity()
    links = [html.A(t(key, lang), href=path, className="active" if path == active else "")
             for path, key in PAGES
             if ident is None or ident.may(PAGE_NEEDS[path])]
    if ident is not None and admin_links and ident.may("revoke"):
        links.append(html.A(t("nav_screens", lang), href="/screens"))
    if ident is not None and admin_links and ident.may("audit"):
        links.append(html.A(t("nav_audit", lang), href="/audit",
                            className="active" if active == "/audit" else ""))
    if ident is not None:
        links.append(account(ident, lang))
    return html.Nav(className="page-nav", children=links)


def account(ident, lang: str) -> html.Span:
    """Who is signed in, and the sign-out button (a POST with the CSRF token)."""
    from flask_wtf.csrf import generate_csrf
    return html.Span(className="account", children=[
        # the name only (the wall's top bar is full); the role shows on hover
        html.Span(ident.name, id="signed-in-as", className="signed-in",
                  title=t("signed_in_as", lang, who=ident.name,
                          role=t(f"role_{ident.role}", lang))),
        html.Form(action="/logout", method="POST", className="logout-form", children=[
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button(t("logout", lang), type="submit", id="logout", className="logout"),
        ]),
    ])


def lang_switch(lang: str) -> html.Nav:
    return html.Nav(className="lang-switch", title=t("language", lang), children=[
        html.A(LANGUAGE_NAMES[code], href=f"?lang={code}", id=f"lang-{code}",
               className="active" if code == lang else "")
        for code in LANGUAGES])


def page_header(port, lang: str, active: str, title_key: str, extra=None) -> html.Header:
    port_name = port.name_zh if lang == "zh" else port.name
    return html.Header(className="page-header", children=[
        html.Div(className="brand", children=[
            html.Span(t("app_title", lang), className="brand-name"),
            html.Span(f"{port_name} · {port.locode}", className="port-name"),
            html.H1(t(title_key, lang), className="page-title"),
        ]),
        nav(lang, active),
        *(extra or []),
        lang_switch(lang),
    ])
