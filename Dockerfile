# Daiban: gunicorn web nodes and the timer worker (scripts/serve runs both, or one: `scripts/serve web`).
# Front-end libraries are built from the pinned package-lock.json in a node stage,
# so the image serves everything itself (county networks are often offline).
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY scripts/copy_assets.py scripts/
COPY web/assets web/assets
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 >/dev/null \
    && python3 scripts/copy_assets.py && npm run --silent build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DAIBAN_HOME=/srv/daiban DAIBAN_VAR_DIR=/var/lib/daiban DAIBAN_BIN=/opt/venv/bin PATH=/opt/venv/bin:$PATH \
    BIND=0.0.0.0:8000 WEB_WORKERS=2
RUN python -m venv /opt/venv && useradd --system --home /srv/daiban --uid 10001 daiban \
    && mkdir -p /var/lib/daiban && chown daiban /var/lib/daiban
WORKDIR /srv/daiban
# Exact versions and hashes from the lock (scripts/lock), in their own layer.
COPY requirements/run.txt requirements/run.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/run.txt
COPY pyproject.toml README.md babel.cfg ./
COPY engine engine
COPY web web
COPY --from=assets /src/web/static/vendor web/static/vendor
# Compile the message catalogs and bring the vendored assets into the installed package.
RUN pybabel compile -d web/translations >/dev/null \
    && pip install --no-cache-dir --no-deps --no-build-isolation .
COPY bpmn bpmn
COPY config config
COPY migrations migrations
COPY scripts/serve scripts/serve
COPY Procfile Procfile
USER daiban
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
# SECRET_KEY and DATABASE_URL come from the environment; without SECRET_KEY it refuses to start.
CMD ["scripts/serve"]
