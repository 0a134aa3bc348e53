"""Administration from the command line: accounts and migrations.

    python -m chalicelib.cli user add NAME --role user [--projects a,b] [--password-stdin]
    python -m chalicelib.cli user passwd NAME --role user [--password-stdin]
    python -m chalicelib.cli user projects NAME --role user --projects a,b|all
    python -m chalicelib.cli user role NAME --role user --to master
    python -m chalicelib.cli user revoke NAME [--role user]
    python -m chalicelib.cli user remove NAME [--role user]
    python -m chalicelib.cli user list
    python -m chalicelib.cli migrate

The database comes from ``DOUGAL_DATABASE_URL`` (or ``DOUGAL_DATABASE_SECRET_ID``
in AWS). ``passwd``, ``projects``, ``role``, ``remove`` and ``revoke`` end the
account's tokens (every API container notices within a minute). Passwords are
read from a prompt or one line of standard input, never from the command line,
and are never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from chalicelib import errors
from chalicelib.models.auth import ROLES


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise errors.BadRequestError("The passwords differ")
    return first


def _projects(value: str | None) -> list[str] | None:
    if value is None or value == "all":
        return None
    return [p.strip() for p in value.split(",") if p.strip()]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="Dougal administration")
    commands = parser.add_subparsers(dest="command", required=True)
    user = commands.add_parser("user", help="manage accounts").add_subparsers(dest="action", required=True)
    add = user.add_parser("add")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--projects", help="comma-separated project ids the account is limited to (default: all)")
    add.add_argument("--password-stdin", action="store_true")
    passwd = user.add_parser("passwd")
    passwd.add_argument("name")
    passwd.add_argument("--role", required=True, choices=list(ROLES))
    passwd.add_argument("--password-stdin", action="store_true")
    limit = user.add_parser("projects")
    limit.add_argument("name")
    limit.add_argument("--role", required=True, choices=list(ROLES))
    limit.add_argument("--projects", required=True, help="comma-separated project ids, or 'all'")
    change_role = user.add_parser("role")
    change_role.add_argument("name")
    change_role.add_argument("--role", required=True, choices=list(ROLES))
    change_role.add_argument("--to", required=True, choices=list(ROLES))
    revoke = user.add_parser("revoke", help="end every token issued to the account(s)")
    revoke.add_argument("name")
    revoke.add_argument("--role", choices=list(ROLES))
    remove = user.add_parser("remove")
    remove.add_argument("name")
    remove.add_argument("--role", choices=list(ROLES))
    user.add_parser("list")
    commands.add_parser("migrate", help="apply pending database migrations")
    args = parser.parse_args(argv)

    from chalicelib import db
    from chalicelib.models.audit import Actor
    from chalicelib.services import accounts

    # The audit trail names the command and the operating-system user who ran it.
    actor = Actor(name=f"cli:{_os_user()}", route=f"cli {args.command} {getattr(args, 'action', '')}".strip())
    try:
        if args.command == "migrate":
            from chalicelib.db.migrate import migrate

            with db.translated():
                applied = migrate(db.connection())
            print("applied: " + (", ".join(applied) if applied else "nothing pending"))
        elif args.action == "add":
            accounts.add_account(args.name, args.role, _password(args.password_stdin), _projects(args.projects), actor)
            print(f"added {args.name} ({args.role})")
        elif args.action == "passwd":
            accounts.set_password(args.name, args.role, _password(args.password_stdin), actor)
            print(f"password changed for {args.name} ({args.role})")
        elif args.action == "projects":
            accounts.set_projects(args.name, args.role, _projects(args.projects), actor)
            print(f"projects set for {args.name} ({args.role})")
        elif args.action == "role":
            accounts.set_role(args.name, args.role, args.to, actor)
            print(f"role of {args.name} changed from {args.role} to {args.to}")
        elif args.action == "revoke":
            count = accounts.revoke_tokens(args.name, args.role, actor)
            print(f"tokens revoked for {count} account(s) named {args.name}")
        elif args.action == "remove":
            count = accounts.remove_account(args.name, args.role, actor)
            print(f"removed {count} account(s) named {args.name}")
        elif args.action == "list":
            for row in accounts.list_accounts():
                limited = ",".join(row["projects"]) if row["projects"] is not None else "all projects"
                print(f"{row['name']}\t{row['role']}\t{limited}")
    except errors.DougalError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
