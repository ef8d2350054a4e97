"""The operations surface: what a platform team reads from a running instance.

`http.py` serves `/healthz`, `/readyz` and `/metrics` on the operations port; `readiness.py`
decides when the instance is ready; `metrics.py` keeps the Prometheus metrics of one instance;
`json_logs.py` writes logs as one JSON object a line.
"""
