# Reintegrasi: multi-stage build; the runtime image runs as a non-root user.
FROM python:3.11-slim AS build
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY pyproject.toml uv.lock ./
# Exactly the locked versions, without the test tools.
RUN uv sync --frozen --no-dev --no-install-project

FROM python:3.11-slim AS runtime
RUN groupadd --system app && useradd --system --gid app --home /app --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=app:app alembic.ini ./
COPY --chown=app:app migrations ./migrations
COPY --chown=app:app app ./app
# Each uvicorn worker also delivers webhooks (SKIP LOCKED keeps them from sending one twice);
# set REINTEGRASI_WEBHOOK_WORKER=false and run `python -m app worker` in a container of its own instead.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    REINTEGRASI_ENVIRONMENT=production \
    REINTEGRASI_MFA_REQUIRED=true \
    REINTEGRASI_WEBHOOK_WORKER=true
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=4).status != 200)"
# Migrate, load reference data, then serve; REINTEGRASI_DATABASE_URL and the keys come from the environment.
CMD ["sh", "-c", "alembic upgrade head && python -m app bootstrap && exec uvicorn app.main:create_app --factory --host 0.0.0.0 --port 8000 --no-access-log --no-proxy-headers --workers ${WEB_CONCURRENCY:-2}"]
