"""gunicorn's settings for the image (``gunicorn -c config/gunicorn.py config.wsgi``).

Workers from ``WEB_CONCURRENCY``; access lines as JSON, like the app's own log, when
``LOG_FORMAT`` is json (the default), each with the request id the app returned.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
if os.environ.get("LOG_FORMAT", "json") == "json":
    logger_class = "config.observability.GunicornJSONLogger"
# Slow clients never hold a worker for ever; a deploy lets requests in flight finish.
timeout = 30
graceful_timeout = 30
# The app answers an overlong URL itself, as JSON naming its limit (config.errors.MAX_URL_LENGTH,
# 16,384): gunicorn's own ceiling is 8,190 bytes, and its refusal a plain-text 400. 0 = no limit
# here (the only value above 8,190 gunicorn takes); the 30 s timeout still bounds a slow client.
limit_request_line = 0
# The same for header fields (config.errors.MAX_HEADER_FIELD_SIZE, 16,384 bytes, and
# MAX_HEADER_FIELDS, 100, answered as a 431 naming them): 0 = no size limit here, and the most
# fields gunicorn takes.
limit_request_field_size = 0
limit_request_fields = 32768
