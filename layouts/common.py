"""What every page shares: the navigation between the three views and playback, the language
switch (a link: the server remembers the choice in a cookie) and page headers."""
from __future__ import annotations

from dash import html

from .i18n import LANGUAGES, t

LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
PAGES = (("/", "nav_wall"), ("/vessels", "nav_vessels"), ("/reports", "nav_reports"),
         ("/playback", "nav_playback"))


def nav(lang: str, active: str) -> html.Nav:
    """Links to the pages (full page loads: each page starts clean, the wall keeps nothing
    of another page's state)."""
    return html.Nav(className="page-nav", children=[
        html.A(t(key, lang), href=path, className="active" if path == active else "")
        for path, key in PAGES])


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
