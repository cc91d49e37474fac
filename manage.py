#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # manage.py is the developer's tool: development mode unless DEBUG is set. Deployments set
    # DEBUG=false explicitly (docker-compose does), and gunicorn (config/wsgi.py) never
    # defaults it, so a server without SECRET_KEY still refuses to start.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
