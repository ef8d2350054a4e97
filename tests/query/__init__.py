"""Tests of `customer_async.query`, and the reference, model and strategies other tests reuse."""
