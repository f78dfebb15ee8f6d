# jointuse: the API on uvicorn, migrating its database at start.
# Build: docker build -t jointuse .
# Run:   docker run -p 8000:8000 -v jointuse-data:/data -e JOINTUSE_ADMIN_KEY=... jointuse
# tests/ops/test_dockerfile.py runs this file's install and start commands in a clean venv.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/jointuse.db \
    JOINTUSE_LOG_LEVEL=INFO \
    PORT=8000 \
    WEB_CONCURRENCY=1

RUN groupadd --system --gid 10001 jointuse \
    && useradd --system --uid 10001 --gid jointuse --home-dir /data --no-create-home jointuse \
    && mkdir /data \
    && chown jointuse:jointuse /data

WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir .

# Run from the data volume, not the source tree: the installed package is what runs.
WORKDIR /data
VOLUME ["/data"]
USER jointuse
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"

# Migrations first (the server never changes the schema), then uvicorn as PID 1.
CMD ["sh", "-c", "jointuse migrate && exec jointuse serve --host 0.0.0.0 --port \"$PORT\" --workers \"$WEB_CONCURRENCY\""]
