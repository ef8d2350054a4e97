"""TMF629 v5 Customer Management Async API: commands in on Kafka, replies and events out."""

__version__ = "0.1.0"
"""The package's version, written only here: the wheel's metadata (hatch), `--version` and the
traces' `service.version` read it. asyncapi.yaml's `info.version` is the TMF API's, not this."""
