# The app image: gunicorn serving config.wsgi, static files collected at build time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The runtime lock only (no test, lint or browser tools): every package pinned and checked
# against its hash. requirements-dev.txt never enters the image (.dockerignore).
COPY requirements.txt .
RUN pip install --require-hashes -r requirements.txt
COPY . .
# STATIC_MANIFEST=true: the hashed names and manifest that production (DEBUG=false) serves.
RUN DEBUG=true STATIC_MANIFEST=true STATIC_ROOT=/app/staticfiles python manage.py collectstatic --no-input \
    && useradd --system --uid 10001 directory
USER directory

EXPOSE 8000
# Workers from WEB_CONCURRENCY, JSON access lines: config/gunicorn.py.
CMD ["gunicorn", "-c", "config/gunicorn.py", "--bind", "0.0.0.0:8000", "config.wsgi"]
