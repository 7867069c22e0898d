"""The accounts on the command line, for operators' scripts (exact interface):

    python app.py users add NAME --role ROLE [--company ID] --password-stdin
    python app.py users list | revoke NAME | disable NAME | enable NAME | unlock NAME
    python app.py users passwd NAME --password-stdin
    python app.py companies add ID --name NAME --mmsi M1,M2,… [--imo I1,…]
    python app.py companies list
    python app.py tokens add --user NAME        (prints one API token, shown only now)
    python app.py audit [--since 2026-12-01|24h|7d] [--action login] [--format jsonl]

Each takes ``--config FILE`` (the deployment TOML) or ``--db URL`` (the store); by default the
port's store, as ``python app.py`` uses it. Every change is written to the audit trail as done
by ``cli:<login name>``.
"""
from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
import time
from datetime import datetime, timezone

from .accounts import ROLES, AccountError, Accounts


def _accounts(args) -> Accounts:
    from app import accounts_url
    from .config import Config, ConfigError
    from .port import Port
    if args.db:
        return Accounts(args.db)
    try:
        config = Config.load(args.config)
        port = Port.load(config.port_dir)
    except (ConfigError, ValueError) as exc:
        raise SystemExit(f"app.py: {exc}")
    config = config.for_port(port)
    return Accounts(accounts_url(config, port), max_failures=config.login_max_failures,
                    lockout_s=config.login_lockout_minutes * 60)


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:                       # no login name (a container)
        return "cli"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="deployment TOML (as python app.py --config)")
    p.add_argument("--db", help="the store's SQLAlchemy URL (default: the port's)")


def _password(stdin: bool) -> str:
    if not stdin:
        raise SystemExit("give the password on standard input: --password-stdin")
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _run(fn) -> int:
    try:
        fn()
    except AccountError as exc:
        print(f"app.py: {exc}", file=sys.stderr)
        return 2
    return 0


def users_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py users", description="user accounts")
    sub = parser.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--company", help="the company (role company)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    passwd = sub.add_parser("passwd", help="set a user's password (ends its sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    for name, text in (("revoke", "end every session (a wall's device login too) and revoke "
                                  "the user's API tokens"),
                       ("disable", "disable the user (ends its sessions)"),
                       ("enable", "enable a disabled user"),
                       ("unlock", "lift a lock after failed logins")):
        one = sub.add_parser(name, help=text)
        one.add_argument("name")
        _common(one)
    lst = sub.add_parser("list", help="list users")
    _common(lst)
    _common(add)
    _common(passwd)
    args = parser.parse_args(argv)
    accounts = _accounts(args)

    def run():
        who = _who()
        if args.cmd == "add":
            accounts.add_user(args.name, args.role, _password(args.password_stdin),
                              args.company)
            accounts.record("user_add", ok=True, user=who, target=args.name, role_given=args.role,
                            company=args.company)
            print(f"user {args.name} ({args.role}) added")
        elif args.cmd == "passwd":
            accounts.set_password(args.name, _password(args.password_stdin))
            accounts.record("password_set", ok=True, user=who, target=args.name)
            print(f"password of {args.name} set; its sessions ended")
        elif args.cmd == "revoke":
            n = accounts.revoke(args.name)
            accounts.record("revoke", ok=True, user=who, target=args.name, tokens=n)
            print(f"{args.name}: every session ended, {n} token(s) revoked")
        elif args.cmd in ("disable", "enable"):
            accounts.set_active(args.name, args.cmd == "enable")
            accounts.record(f"user_{args.cmd}", ok=True, user=who, target=args.name)
            print(f"{args.name} {args.cmd}d")
        elif args.cmd == "unlock":
            accounts.unlock(args.name)
            accounts.record("unlock", ok=True, user=who, target=args.name)
            print(f"{args.name} unlocked")
        else:
            for u in accounts.users():
                state = "active" if u["active"] else "disabled"
                if u["locked_until"] and u["locked_until"] > time.time():
                    state = "locked"
                print(f"{u['name']}\t{u['role']}\t{u['company_id'] or ''}\t{state}")
    return _run(run)


def companies_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py companies",
                                     description="shipping companies and their fleets")
    sub = parser.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="add a company (or replace its fleet)")
    add.add_argument("company_id", metavar="ID")
    add.add_argument("--name", required=True)
    add.add_argument("--mmsi", default="", help="comma-separated MMSIs of its fleet")
    add.add_argument("--imo", default="", help="comma-separated IMO numbers of its fleet")
    _common(add)
    lst = sub.add_parser("list")
    _common(lst)
    args = parser.parse_args(argv)
    accounts = _accounts(args)

    def run():
        if args.cmd == "add":
            fleet = accounts.add_company(args.company_id, args.name, _list(args.mmsi),
                                         _list(args.imo))
            accounts.record("company_add", ok=True, user=_who(), target=args.company_id,
                            mmsis=sorted(fleet.mmsis), imos=sorted(fleet.imos))
            print(f"company {fleet.company_id}: {len(fleet.mmsis)} MMSI, "
                  f"{len(fleet.imos)} IMO")
        else:
            for f in accounts.companies():
                print(f"{f.company_id}\t{f.name}\t{','.join(map(str, sorted(f.mmsis)))}\t"
                      f"{','.join(map(str, sorted(f.imos)))}")
    return _run(run)


def tokens_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py tokens", description="API tokens")
    sub = parser.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="make an API token for a user (printed once)")
    add.add_argument("--user", required=True)
    _common(add)
    args = parser.parse_args(argv)
    accounts = _accounts(args)

    def run():
        token = accounts.add_token(args.user)
        accounts.record("token_add", ok=True, user=_who(), target=args.user,
                        prefix=token[:10])
        print(token)
    return _run(run)


def audit_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py audit", description="the audit trail")
    parser.add_argument("--since", help="ISO date or time (UTC unless it says), or 24h, 7d")
    parser.add_argument("--action", help="only this action (login, acknowledge, export …)")
    parser.add_argument("--limit", type=int, help="at most this many, newest first")
    parser.add_argument("--format", choices=["text", "jsonl"], default="text")
    _common(parser)
    args = parser.parse_args(argv)
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        print(f"app.py audit: --since: {exc}", file=sys.stderr)
        return 2
    rows = _accounts(args).audit_rows(since=since, limit=args.limit, action=args.action)
    rows.reverse()                                   # oldest first, as a log reads
    for r in rows:
        when = datetime.fromtimestamp(r["time"], timezone.utc).isoformat(timespec="seconds")
        if args.format == "jsonl":
            print(json.dumps({**r, "time_utc": when}, ensure_ascii=False))
        else:
            detail = " ".join(f"{k}={v}" for k, v in r["detail"].items())
            print(f"{when}\t{'ok' if r['ok'] else 'REFUSED'}\t{r['action']}\t"
                  f"{r['user_name'] or '-'}\t{r['role'] or '-'}\t{r['target'] or '-'}\t"
                  f"{r['address'] or '-'}\t{detail}")
    return 0


def parse_since(text: str, now: float | None = None) -> float:
    now = time.time() if now is None else now
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hd])\s*", text)
    if m:
        return now - float(m.group(1)) * (3600 if m.group(2) == "h" else 86400)
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither an ISO date/time nor like 24h or 7d") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _list(text: str) -> list[str]:
    return [x for x in (p.strip() for p in (text or "").split(",")) if x]
