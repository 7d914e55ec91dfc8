"""Command line:

    python -m access agency add CODE --country ISO3 --name NAME
    python -m access agency list
    python -m access user add NAME --agency CODE --role ROLE [--password-stdin]
    python -m access user password NAME --password-stdin
    python -m access user disable NAME
    python -m access user list
    python -m access group add NAME --agencies CODE,CODE
    python -m access group list
    python -m access token create NAME [--expires 8h]     (prints a bearer token)
    python -m access token list                (ids, users, expiry; never the tokens)
    python -m access token revoke ID
    python -m access demo --password-stdin     (the DEMO agencies and a user of each role)
    python -m access audit verify              (exit 0 intact, 1 broken, naming the entry)
    python -m access audit show [--user NAME] [--since ISO]

Run by the node's operator (the person who holds the store file): what it does
is in the audit log under operator:<their system user name>.
"""

from __future__ import annotations

import argparse
import re
import sys

import pandas as pd

from model.i18n import _, command_line, number, said


def _hours(text: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([mhd])", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(_("'{value}' is not a duration like 30m, 8h or 7d",
                                           value=text))
    return float(m[1]) * {"m": 1 / 60, "h": 1, "d": 24}[m[2]]


def _password(args) -> str | None:
    """The password from the first line of standard input (never an argument:
    arguments show in the process list and the shell's history)."""
    if not args.password_stdin:
        return None
    return sys.stdin.readline().rstrip("\r\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m access")
    top = parser.add_subparsers(dest="what", required=True)

    agency = top.add_parser("agency").add_subparsers(dest="verb", required=True)
    a = agency.add_parser("add")
    a.add_argument("code")
    a.add_argument("--country", required=True, help=_("ISO 3166 alpha-3; INT for an "
                   "international organisation"))
    a.add_argument("--name", required=True)
    agency.add_parser("list")

    user = top.add_parser("user").add_subparsers(dest="verb", required=True)
    u = user.add_parser("add")
    u.add_argument("name")
    u.add_argument("--agency", required=True)
    u.add_argument("--role", required=True, help=_("viewer, analyst, coordinator or admin"))
    u.add_argument("--password-stdin", action="store_true",
                   help=_("read the password from standard input (none: OpenID Connect only)"))
    p = user.add_parser("password")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", required=True)
    d = user.add_parser("disable")
    d.add_argument("name")
    user.add_parser("list")

    group = top.add_parser("group").add_subparsers(dest="verb", required=True)
    g = group.add_parser("add")
    g.add_argument("name")
    g.add_argument("--agencies", required=True, help=_("agency codes, comma-separated"))
    group.add_parser("list")

    token = top.add_parser("token").add_subparsers(dest="verb", required=True)
    t = token.add_parser("create")
    t.add_argument("name")
    t.add_argument("--expires", type=_hours, help=_("e.g. 30m, 8h (default: the session "
                   "length, SAMON_SESSION_HOURS), 7d"))
    token.add_parser("list")
    r = token.add_parser("revoke")
    r.add_argument("id", type=int)

    demo = top.add_parser("demo")
    demo.add_argument("--password-stdin", action="store_true", required=True)

    audit = top.add_parser("audit").add_subparsers(dest="verb", required=True)
    audit.add_parser("verify")
    s = audit.add_parser("show")
    s.add_argument("--user")
    s.add_argument("--since", help=_("ISO time, e.g. 2026-11-29 or 2026-11-29T06:00Z"))
    return parser


def _table(frame: pd.DataFrame) -> None:
    print(frame.to_string(index=False) if len(frame) else _("(none)"))


def run(argv: list[str]) -> int:
    with command_line():  # its help, too, in the node's language
        return _run(_parser().parse_args(argv))


def _run(args) -> int:
    from data_sources.errors import DataSourceError
    from model.access import AccessError, MarkingError
    from service.access import AccessService

    access = AccessService()
    command = (args.what, getattr(args, "verb", None))
    try:
        if command == ("agency", "add"):
            access.add_agency(args.code, args.country, args.name)
            print(_("agency {code} ({country}) added", code=args.code,
                    country=args.country.upper()))
        elif command == ("agency", "list"):
            _table(access.agencies())
        elif command == ("user", "add"):
            access.add_user(args.name, args.agency, args.role, _password(args))
            print(_("user {name} added ({role}, {agency})", name=args.name, role=args.role,
                    agency=args.agency))
        elif command == ("user", "password"):
            access.set_password(args.name, _password(args) or "")
            print(_("password of {name} set", name=args.name))
        elif command == ("user", "disable"):
            access.disable_user(args.name)
            print(_("user {name} disabled", name=args.name))
        elif command == ("user", "list"):
            _table(access.users())
        elif command == ("group", "add"):
            agencies = [a.strip() for a in args.agencies.split(",") if a.strip()]
            access.add_group(args.name, agencies)
            print(_("sharing group {name} added: {agencies}", name=args.name,
                    agencies=", ".join(agencies)))
        elif command == ("group", "list"):
            _table(access.groups())
        elif command == ("token", "create"):
            print(access.create_token(args.name, args.expires))
        elif command == ("token", "list"):
            _table(access.tokens())
        elif command == ("token", "revoke"):
            access.revoke_token(args.id)
            print(_("token {id} revoked", id=args.id))
        elif command == ("demo", None):
            made = access.create_demo_accounts(_password(args) or "")
            print(_("DEMO users: {users}", users=", ".join(made)) if made
                  else _("DEMO users: all exist already"))
        elif command == ("audit", "verify"):
            n, broken = access.verify_audit()
            if broken:
                print(_("BROKEN after checking {count} entries: {problem}", count=number(n),
                        problem=broken))
                return 1
            print(_("intact: {count} entries", count=number(n)))
        elif command == ("audit", "show"):
            since = pd.Timestamp(args.since, tz="UTC") if args.since and \
                pd.Timestamp(args.since).tzinfo is None else \
                (pd.Timestamp(args.since) if args.since else None)
            _table(access.audit(args.user, since))
    except (AccessError, MarkingError, DataSourceError) as exc:
        print(_("error: {error}", error=said(exc)))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
