"""Issue an API token to a user (operators: a script's or a partner's first token)."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api import tokens


class Command(BaseCommand):
    help = (
        "Issue an API token to a user and print its key: on standard output alone, so that "
        "TOKEN=$(manage.py issue_token --user bob --name ci) works; what it is goes to "
        "standard error. The key is printed this once: only its digest is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The username the token acts as.")
        parser.add_argument(
            "--name", required=True, help="What the token is for (script, service, device)."
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days until it expires (default and most: API_TOKEN_TTL_DAYS).",
        )

    def handle(self, *args, user, name, days, **options):
        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"No user {user!r}.")
        if not owner.is_active:
            raise CommandError(f"{user} is deactivated: a token would not authenticate.")
        if not name.strip() or len(name.strip()) > tokens.NAME_MAX_LENGTH:
            raise CommandError(f"--name must be 1 to {tokens.NAME_MAX_LENGTH} characters.")
        most = tokens.max_ttl().days
        if days is not None and not 1 <= days <= most:
            raise CommandError(f"--days must be from 1 to {most} (API_TOKEN_TTL_DAYS).")
        try:
            token, key = tokens.issue(
                owner, name, expires_in=datetime.timedelta(days=days) if days else None
            )
        except tokens.TooManyTokens as refused:
            raise CommandError(str(refused)) from None
        self.stderr.write(
            f"Issued token “{token.name}” ({token.token_key}…) to {user}, expiring "
            f"{token.expiry:%Y-%m-%d %H:%M} UTC. Its key (below) is shown this once."
        )
        self.stdout.write(key)
