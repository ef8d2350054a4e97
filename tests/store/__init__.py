"""Tests of `customer_async.store`: its pure parts directly, the store itself without a server."""
