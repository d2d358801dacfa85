# The production image: runtime dependencies only (requirements.lock; the test,
# lint and benchmark tools are in requirements-dev.lock and never installed
# here), run as the unprivileged user `app`. Health checks are declared per
# service in docker-compose.yml (web, worker and beat share this image).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-ipaexfont-mincho fonts-ipaexfont-gothic \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
# The code stays owned by root (read-only to the app); only media/ is writable.
COPY . .
RUN DJANGO_SECRET_KEY=build python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown app:app /app/media
USER app
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
