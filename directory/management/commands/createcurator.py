"""Create (or re-role) a staff account that curates the directory."""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from directory.roles import CURATOR, ROLES, sync_role_groups

PASSWORD_ENV = "CURATOR_PASSWORD"  # noqa: S105 - the variable's name, not a password


class Command(BaseCommand):
    help = (
        "Create a curator (view/add/change) or editor (also delete and publish) account. "
        f"The password is asked for, or read from ${PASSWORD_ENV}."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=ROLES, default=CURATOR)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--no-input",
            action="store_true",
            help=f"Never prompt; take the password from ${PASSWORD_ENV} (required for new users).",
        )

    def handle(self, *args, username, role, email, no_input, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        password = os.environ.get(PASSWORD_ENV)
        if user is None and not password:
            if no_input:
                raise CommandError(f"Set ${PASSWORD_ENV} to create {username} without prompting.")
            password = self._ask_password()
        if password:
            try:
                validate_password(password, user or User(username=username, email=email))
            except ValidationError as error:
                raise CommandError("Password refused: " + " ".join(error.messages)) from None
        with transaction.atomic():
            created = user is None
            if created:
                user = User(username=username, email=email)
            user.is_staff = True
            if email:
                user.email = email
            if password:
                user.set_password(password)
            user.save()
            sync_role_groups()
            user.groups.remove(*Group.objects.filter(name__in=ROLES))
            user.groups.add(Group.objects.get(name=role))
        action = "Created" if created else "Updated"
        rights = "view, add, change" if role == CURATOR else "view, add, change, delete, publish"
        self.stdout.write(self.style.SUCCESS(f"{action} {role} {username} ({rights})."))

    def _ask_password(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return first
