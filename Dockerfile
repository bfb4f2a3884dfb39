# Journey's production image (compose.yaml runs it; the commands are the Procfile's).
# Build stage: a virtualenv from the locked, hashed requirements. Every package is a wheel,
# so nothing is compiled and neither stage needs build tools.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv \
    && /venv/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: \
        -r /tmp/requirements.txt

# Final stage: the virtualenv and the application, run as an unprivileged user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/venv/bin:$PATH \
    JOURNEY_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
RUN groupadd --system --gid 10001 journey \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin journey
WORKDIR /app
COPY --from=build /venv /venv
COPY . /app
# The app writes nothing but instance/ (the SQLite queue file when REDIS_URL is unset).
RUN mkdir -p /app/instance && chown 10001:10001 /app/instance
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# Migrations are not run here: `flask --app wsgi db upgrade` runs once per deploy (compose's
# migrate service, the Procfile's release), never by each web process or worker.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
