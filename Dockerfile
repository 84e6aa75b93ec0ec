# The Task API image: REST API and MCP endpoint on port 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY pyproject.toml README.md ./
COPY shared ./shared
COPY task_api ./task_api
COPY mcp_server ./mcp_server
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 app

USER 10001

ENV TASK_API_HOST=0.0.0.0 \
    TASK_API_PORT=8000

EXPOSE 8000

# Liveness: is the process answering? /health never waits on S3, so an S3 outage does not make an orchestrator
# kill a container that restarting cannot fix. Compose checks readiness instead (docker-compose.yml).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]

CMD ["python", "-m", "task_api.main"]
