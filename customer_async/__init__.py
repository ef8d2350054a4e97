"""TMF629 v5 Customer Management Async API: commands in on Kafka, replies and events out."""

__version__ = "0.1.0"
