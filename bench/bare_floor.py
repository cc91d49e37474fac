"""The bare floor of the load benchmark: what Django itself does with a request, and no more.

A settings module and WSGI application in one file, sharing nothing with the project's
settings: no database, no apps, no cache, ``CommonMiddleware`` alone, one URL
(``/bench/floor/``) answering the same constant JSON body as the project floor
(``bench/floor_urls.py``: ``FLOOR_BYTES`` bytes). bench/soak.sh serves it with a second
gunicorn (the same worker count and options) beside the project's, and every ratio it prints
is against this floor; the project's floor (the same body through the project's whole
middleware stack) is a row of its own, so the table shows what the middleware costs.

    DJANGO_SETTINGS_MODULE=bench.bare_floor gunicorn bench.bare_floor:application
"""

import os
import secrets

from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

from bench.floor_body import floor_body

DEBUG = False
SECRET_KEY = secrets.token_urlsafe(50)  # signs nothing: no sessions, no CSRF here
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
DATABASES: dict = {}
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = __name__
USE_TZ = True

BODY = floor_body(int(os.environ.get("FLOOR_BYTES", "4096")))


def floor(request):
    return HttpResponse(BODY, content_type="application/json")


urlpatterns = [path("bench/floor/", floor)]

os.environ["DJANGO_SETTINGS_MODULE"] = __name__
application = get_wsgi_application()
