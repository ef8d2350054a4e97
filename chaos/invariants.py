"""The delivery contract, checked on everything the run saw; each check names what broke it."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chaos.final_state import FinalState
from chaos.ledger import Ledger, Request, SeenEvent, SeenReply
from chaos.leftovers import Leftovers
from chaos.workload import PATCHES, STATUS_PATCH, Customer, final_document

_EXAMPLES = 8


@dataclass(frozen=True, slots=True)
class Check:
    """One invariant: whether it held, how much it covered, and examples of what broke it."""

    name: str
    ok: bool
    detail: str
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EndFacts:
    """What the run knew about its processes at the end."""

    completed: bool
    problems: list[str]
    alive_at_end: dict[str, bool]
    sigterm_exits: list[int | None]
    leftovers: Leftovers | None = None
    """The store's bookkeeping, read until clean or 30 s after the last fault (None: not read)."""
    last_fault_over: float | None = None
    """Wall time the last fault was over."""


def _check(name: str, checked: int, failures: list[str], what: str) -> Check:
    detail = f"{checked} {what}" if not failures else f"{len(failures)} of {checked} {what} failed"
    return Check(name, not failures, detail, failures[:_EXAMPLES])


def _canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True)


def expected_events(request: Request) -> set[str]:
    """The event types an applied write request must publish."""
    if request.kind == "create":
        return {"CustomerCreateEvent"}
    if request.kind == "delete":
        return {"CustomerDeleteEvent"}
    if request.kind == f"patch {STATUS_PATCH}":
        return {"CustomerAttributeValueChangeEvent", "CustomerStateChangeEvent"}
    if request.kind.startswith("patch"):
        return {"CustomerAttributeValueChangeEvent"}
    return set()


def _applied(request: Request) -> bool:
    return request.final is not None and 200 <= request.final.status < 300


def check_all(
    ledger: Ledger, customers: list[Customer], state: FinalState | None, end: EndFacts
) -> list[Check]:
    """Every invariant, in the order the report lists them."""
    requests = list(ledger.requests.values())
    unique = _unique_events(ledger.events)
    return [
        Check(
            "the run completed in its budget",
            end.completed,
            "completed" if end.completed else "; ".join(end.problems),
            end.problems[:_EXAMPLES],
        ),
        _every_request_answered(requests),
        _one_final_answer(ledger),
        _no_server_error(ledger),
        _answers_as_owed(requests),
        _one_customer_per_create(requests, customers, state),
        _final_state(customers, state),
        _deleted_gone(customers, state),
        _events_consistent(ledger.events),
        _no_event_invented(ledger, unique.values()),
        _no_event_lost(requests, unique.values()),
        _events_in_write_order(ledger, unique.values()),
        _no_outbox_left(end),
        _no_lease_left(end),
        _check(
            "instances alive at the end",
            len(end.alive_at_end),
            [f"instance {n} was not running" for n, alive in end.alive_at_end.items() if not alive],
            "instances",
        ),
        _check(
            "SIGTERM exits clean (status 0)",
            len(end.sigterm_exits),
            [f"exit status {code}" for code in end.sigterm_exits if code != 0],
            "SIGTERMs",
        ),
    ]


def _every_request_answered(requests: list[Request]) -> Check:
    failures = [
        f"{r.correlation_id} ({r.kind}): "
        + ("never sent" if not r.sends else f"sent {len(r.sends)}x, no final answer")
        for r in requests
        if r.final is None
    ]
    return _check("every request answered", len(requests), failures, "requests")


def _one_final_answer(ledger: Ledger) -> Check:
    """Per request (request topic + correlation id), in the order the service produced them:
    once a 2xx or 4xx has gone out, every later reply is that same answer (a 503 is not)."""
    failures = []
    for correlation, replies in ledger.replies_by_correlation.items():
        request = ledger.requests.get(correlation)
        identity = f"{request.record.topic if request else '?'} {correlation}"
        ordered = sorted(replies, key=lambda r: (r.produced, r.received))
        final: SeenReply | None = None
        for reply in ordered:
            if final is None:
                final = reply if reply.status != 503 else None
            elif reply.status == 503:
                failures.append(f"{identity}: 503 after {final.status} ({_statuses(ordered)})")
                break
            elif (reply.status, _canonical(reply.body)) != (final.status, _canonical(final.body)):
                failures.append(
                    f"{identity}: {reply.status} differs from {final.status} ({_statuses(ordered)})"
                )
                break
    return _check(
        "one final answer per request: after a 2xx/4xx the same answer, never a 503",
        len(ledger.replies_by_correlation),
        failures,
        "requests",
    )


def _statuses(replies: list[SeenReply]) -> str:
    return ", ".join(str(r.status) for r in replies)


def _no_server_error(ledger: Ledger) -> Check:
    """A 503 asks for a resend; any other 5xx is a failure of the service."""
    failures = []
    for reply in ledger.replies:
        if reply.status >= 500 and reply.status != 503:
            request = ledger.requests.get(reply.correlation_id)
            body = reply.body if isinstance(reply.body, dict) else {}
            failures.append(
                f"{reply.correlation_id} ({request.kind if request else '?'}): {reply.status} "
                f"{body.get('reason', '')}: {str(body.get('message', ''))[:160]}"
            )
    return _check("no 500 at all (no 5xx but 503)", len(ledger.replies), failures, "replies")


def _answers_as_owed(requests: list[Request]) -> Check:
    failures = []
    for r in requests:
        if r.final is None:
            continue
        status = r.final.status
        owed = (400 <= status < 500) if r.expected == "4xx" else status == r.expected
        if not owed:
            failures.append(f"{r.correlation_id} ({r.kind}): {status}, owed {r.expected}")
    return _check(
        "each final answer the status its request is owed (malformed: 4xx)",
        sum(r.final is not None for r in requests),
        failures,
        "answers",
    )


def _one_customer_per_create(
    requests: list[Request], customers: list[Customer], state: FinalState | None
) -> Check:
    failures: list[str] = []
    creates = [r for r in requests if r.kind == "create" and r.customer_id is not None]
    ids: dict[str, str] = {}
    for r in creates:
        assert r.customer_id is not None
        if r.customer_id in ids:
            failures.append(f"{r.correlation_id} and {ids[r.customer_id]} made {r.customer_id}")
        ids[r.customer_id] = r.correlation_id
    if state is None or state.listed is None:
        failures.append(
            f"the store could not be listed: {state.list_error if state else 'no state'}"
        )
    else:
        listed = state.listed
        survivors = {c.customer_id for c in customers if c.customer_id and not c.deleted}
        if len(listed) != len(set(listed)):
            failures.append(f"the list repeats ids: {len(listed)} items, {len(set(listed))} ids")
        failures += [f"{i} is stored but no create made it" for i in sorted(set(listed) - set(ids))]
        failures += [f"{i} survived but is not listed" for i in sorted(survivors - set(listed))]
        failures += [
            f"{i} was deleted but is listed" for i in sorted(set(listed) - survivors) if i in ids
        ]
    return _check("one customer per create", len(creates), failures, "creates")


def _final_state(customers: list[Customer], state: FinalState | None) -> Check:
    failures: list[str] = []
    survivors = [c for c in customers if c.customer_id and not c.deleted]
    for c in survivors:
        if state is None:
            failures.append("the final state was not read")
            break
        if c.number in state.unreadable:
            failures.append(f"{c.customer_id}: not readable: {state.unreadable[c.number]}")
            continue
        found = state.retrieved.get(c.number)
        if found is None:
            failures.append(f"{c.customer_id} (customer {c.number}): 404, never deleted")
            continue
        wanted = {**final_document(c.number), "name": f"chaos customer {c.number}"}
        wrong = {k: found.get(k) for k, v in wanted.items() if found.get(k) != v}
        if wrong:
            failures.append(f"{c.customer_id}: {wrong}, wanted {wanted}")
    return _check(
        f"final state of each surviving customer = its last patch (of {PATCHES}) in order",
        len(survivors),
        failures,
        "surviving customers",
    )


def _deleted_gone(customers: list[Customer], state: FinalState | None) -> Check:
    deleted = [c for c in customers if c.deleted]
    failures = []
    for c in deleted:
        if state is None or c.number in state.unreadable:
            failures.append(f"{c.customer_id}: not readable")
        elif state.retrieved.get(c.number) is not None:
            failures.append(f"{c.customer_id}: still retrievable after its 204")
    return _check("deleted customers gone (retrieve: 404)", len(deleted), failures, "deleted")


def _unique_events(events: list[SeenEvent]) -> dict[str, SeenEvent]:
    first: dict[str, SeenEvent] = {}
    for event in events:
        first.setdefault(event.event_id, event)
    return first


def _events_consistent(events: list[SeenEvent]) -> Check:
    """Copies of an event (same eventId) are allowed, but they must be the same event."""
    copies: dict[str, set[str]] = defaultdict(set)
    for event in events:
        copies[event.event_id].add(
            _canonical([event.event_type, event.customer_id, event.version, event.body])
        )
    failures = [
        f"eventId {i}: {len(bodies)} different events"
        for i, bodies in copies.items()
        if len(bodies) > 1
    ]
    return _check("no two different events with one eventId", len(copies), failures, "eventIds")


def _no_event_invented(ledger: Ledger, events: Iterable[SeenEvent]) -> Check:
    failures = []
    checked = 0
    for event in events:
        checked += 1
        name = f"{event.event_type} {event.event_id}"
        request = ledger.requests.get(event.correlation_id)
        if request is None:
            failures.append(f"{name}: unknown correlation id {event.correlation_id!r}")
        elif not _applied(request):
            failures.append(f"{name}: for {event.correlation_id}, not applied")
        elif event.event_type not in expected_events(request):
            failures.append(f"{name}: not owed by {request.kind} {event.correlation_id}")
        elif event.customer_id != request.customer_id:
            failures.append(f"{name}: keyed {event.customer_id}, not {request.customer_id}")
    return _check(
        "every event belongs to an applied request (none invented)", checked, failures, "events"
    )


def _no_event_lost(requests: list[Request], events: Iterable[SeenEvent]) -> Check:
    seen: dict[str, set[str]] = defaultdict(set)
    for event in events:
        seen[event.correlation_id].add(event.event_type)
    applied = [r for r in requests if _applied(r) and expected_events(r)]
    failures = [
        f"{r.correlation_id} ({r.kind}): missing {sorted(missing)}"
        for r in applied
        if (missing := expected_events(r) - seen[r.correlation_id])
    ]
    return _check(
        "every applied write published its events (none lost)",
        len(applied),
        failures,
        "applied writes",
    )


_ORDER = {"create": 0, **{f"patch {i}": i for i in range(1, PATCHES + 1)}, "delete": PATCHES + 1}


def _events_in_write_order(ledger: Ledger, events: Iterable[SeenEvent]) -> Check:
    """Each customer's events, by `X-Resource-Version`, follow its requests' order, and were
    first published in that order."""
    by_customer: dict[str, list[tuple[int, SeenEvent]]] = defaultdict(list)
    for arrival, event in enumerate(events):
        by_customer[event.customer_id].append((arrival, event))
    failures = []
    for customer_id, seen in by_customer.items():
        kinds = []
        for _, event in seen:
            request = ledger.requests.get(event.correlation_id)
            if request is None or event.version is None:
                continue
            kinds.append((event.version, _ORDER.get(request.kind, -1), request.kind))
        by_version = sorted(kinds)
        if [k[1] for k in by_version] != sorted(k[1] for k in by_version):
            failures.append(f"{customer_id}: by version {[(v, k) for v, _, k in by_version]}")
        elif [k[0] for k in kinds] != sorted(k[0] for k in kinds):
            failures.append(f"{customer_id}: first published as versions {[k[0] for k in kinds]}")
    return _check(
        "each customer's events in its write order (versions, first publication)",
        len(by_customer),
        failures,
        "customers",
    )


def _leftover_check(name: str, end: EndFacts, left: list[str], what: str) -> Check:
    found = end.leftovers
    if found is None or found.read_at is None:
        return Check(name, False, "the store was not read", [])
    when = (
        f"{found.read_at - end.last_fault_over:.0f} s after the last fault"
        if end.last_fault_over is not None
        else "at the end"
    )
    read = f"{found.readings} readings, the last {when}"
    if found.first_reading is not None and found.readings > 1:
        outbox, leases = found.first_reading
        read += f"; the first found {outbox} outboxes, {leases} leases"
    failures = [f"the store could not be read: {found.error}"] if found.error else []
    failures += left
    if not failures:
        return Check(name, True, f"none left ({read})")
    return Check(name, False, f"{len(left)} {what} left ({read})", failures[:_EXAMPLES])


def _no_outbox_left(end: EndFacts) -> Check:
    """Every event written with a customer was published (its ledger says so)."""
    return _leftover_check(
        "no customer left with an unpublished outbox (30 s after the last fault)",
        end,
        end.leftovers.outbox if end.leftovers else [],
        "customers with unpublished events",
    )


def _no_lease_left(end: EndFacts) -> Check:
    """Every lease taken for a write was given back."""
    return _leftover_check(
        "no document left in customer_lease (30 s after the last fault)",
        end,
        end.leftovers.leases if end.leftovers else [],
        "leases",
    )
