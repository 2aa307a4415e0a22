# Misinformation-risk scoring service: gunicorn running service:create_app() with the bundled model.
#
#   docker build -t misinfo-risk .
#   docker run -p 8000:8000 -e MISINFO_API_KEYS='<key>:admin' misinfo-risk
#
# Configuration is by MISINFO_* environment variables (README, "Deployment").
# tests/test_dockerfile.py lints this file with hadolint and replays its install
# and entry point in a clean virtual environment, since no Docker engine runs in CI.

# ---- build: install the project and its runtime dependencies into /opt/venv
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY model ./model
COPY service ./service
COPY training ./training
# runtime dependencies only (no [test] extra); the model artifact is package data
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir /src

# ---- runtime: the virtual environment, the gunicorn settings, a non-root user
FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MISINFO_BIND=0.0.0.0:8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/misinfo-metrics \
    MISINFO_DATABASE_URL=sqlite:////var/lib/misinfo/misinfo.sqlite3 \
    MISINFO_SPOOL_DIR=/var/lib/misinfo/spool
RUN groupadd --system --gid 10001 misinfo \
    && useradd --system --uid 10001 --gid misinfo --home-dir /var/lib/misinfo --shell /usr/sbin/nologin misinfo \
    && mkdir -p /var/lib/misinfo /etc/misinfo \
    && chown misinfo:misinfo /var/lib/misinfo
COPY --from=build /opt/venv /opt/venv
COPY service/gunicorn.conf.py /etc/misinfo/gunicorn.conf.py
WORKDIR /var/lib/misinfo
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('MISINFO_BIND', ':8000').rsplit(':', 1)[1]; urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=4)"]
ENTRYPOINT ["gunicorn", "--config", "/etc/misinfo/gunicorn.conf.py"]
CMD ["service:create_app()"]
