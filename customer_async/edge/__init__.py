"""The Kafka edge: records in, commands out; replies and events in, records out."""
