# The service image: the package and its schemas on a slim Python.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY customer_async ./customer_async
COPY schemas ./schemas
# With the `otel` extra: tracing turns on by setting OTEL_EXPORTER_OTLP_ENDPOINT (README).
RUN pip install --no-cache-dir '.[otel]' && useradd --system --no-create-home customer-async

USER customer-async
# The operations port: /healthz, /readyz, /metrics (README "Operations").
EXPOSE 8081
ENTRYPOINT ["customer-async"]
CMD ["serve"]
