"""The filter the store sends: equalities where FerretDB pushes them down, and nowhere else."""

from __future__ import annotations

from customer_async.query.shadow import EQUALITY_PATHS
from customer_async.schemas import attribute_types
from customer_async.store.pushdown import flat, shape

TYPES = attribute_types()


def test_equalities_go_to_the_top_level_as_plain_values() -> None:
    query = {"$and": [{"name": {"$eq": "x"}}, {"engagedParty.id": {"$eq": "p1"}}]}
    assert flat(query, TYPES) == {"name": "x", "engagedParty.id": "p1"}


def test_a_path_into_an_array_stays_inside_and_where_nothing_is_pushed_down() -> None:
    """FerretDB's `#>` is NULL through an array: pushed down, the equality would miss matches."""
    query = {"$and": [{"contactMedium.city": {"$eq": "Paris"}}, {"status": {"$in": ["A", "B"]}}]}
    assert flat(query, TYPES) == {
        "status": {"$in": ["A", "B"]},
        "$and": [{"contactMedium.city": "Paris"}],
    }


def test_an_equality_on_a_shadowed_path_reads_its_flat_values() -> None:
    query = {"$and": [{"contactMedium.emailAddress": {"$eq": "a@example.com"}}]}
    assert flat(query, TYPES, EQUALITY_PATHS) == {
        "_dt._eq.contactMedium.emailAddress": "a@example.com"
    }
    # Not an equality: the path as it is, not pushed down.
    regex = {"$and": [{"contactMedium.emailAddress": {"$regex": "^a"}}]}
    assert flat(regex, TYPES, EQUALITY_PATHS) == regex


def test_a_shape_names_the_conditions_and_their_operators() -> None:
    assert shape({"name": "x"}) == ("name",)
    assert shape({"name": {"$regex": "^x"}}) == ("name $regex",)
    assert shape({"status": "A", "$and": [{"contactMedium.city": "P"}]}) == (
        "$and contactMedium.city",
        "status",
    )
    assert shape({}) == ()
