"""Customer 1140 of the seed (TMF629 v5 Async, "Retrieves a Customer by ID"), before any patch.

Taken from the seed's retrieve reply (`examples/customer-1140.json`); its patch examples start
from this state.
"""

from __future__ import annotations

import copy

import pytest

from customer_async.types import Document
from tests.support import examples

CUSTOMER_1140: Document = examples.CUSTOMER_1140


@pytest.fixture
def customer_1140() -> Document:
    """A fresh copy of customer 1140, so no test sees another's changes."""
    return copy.deepcopy(CUSTOMER_1140)
