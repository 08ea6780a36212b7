# The desk for production: `docker build -t m365-desk .` then run it with its settings in the environment (README,
# "Running it for real"). Only the runtime code is in the build context (.dockerignore is an allow-list): no
# devtenant (its seed secrets), no demo, tests, benchmarks or .demo/.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DESK_MODE=production \
    DESK_HOST=0.0.0.0 \
    DESK_PORT=3978

WORKDIR /app
COPY . .
# The production install: the desk's dependencies without the [dev] extras; the code stays owned by root, so the
# desk's own user cannot change it.
RUN pip install . \
    && rm -rf build ./*.egg-info \
    && useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin desk

USER desk
EXPOSE 3978
# slim has no curl; the standard library asks /healthz (alive, not ready: /readyz is for the load balancer).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('DESK_PORT', '3978'), timeout=4)"]
CMD ["python", "app.py", "serve"]
