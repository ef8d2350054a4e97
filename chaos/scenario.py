"""What one chaos run does: its size, its pace, its group membership, and the faults in the order
they are injected."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Membership(StrEnum):
    """How the instances join their consumer group."""

    DEFAULT = "default"
    """Dynamic members (no `CUSTOMER_ASYNC_GROUP_INSTANCE_ID`): what most deployments run."""
    STATIC = "static"
    """Static members `<run>-a` and `<run>-b`: a restarted instance takes its partitions back."""


class FaultKind(StrEnum):
    """The faults the run can inject; the value is how the report names it."""

    KILL_RESTART = "SIGKILL + restart"
    KILL_TAKEOVER = "SIGKILL, no restart"
    BROKER_RESTART = "broker restart"
    STORE_FREEZE = "store frozen (SIGSTOP)"
    STORE_KILL = "store SIGKILL + restart"
    DATABASE_KILL = "database SIGKILL + restart"
    CRASH_AFTER_WRITE = "crash between write and publish"
    SIGTERM = "SIGTERM under load"


@dataclass(frozen=True, slots=True)
class PlannedFault:
    """One fault, injected once `at_progress` of the customers are done. Customers beyond that
    share plus what is in flight wait for the fault to end, so it always meets load."""

    kind: FaultKind
    at_progress: float
    instance: str = "a"
    """The instance it hits (instance faults only)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything that shapes a run; `full` and `small` build the two standard ones."""

    customers: int
    faults: tuple[PlannedFault, ...]
    seed: int = 629
    timeout: float = 1500.0
    """Seconds for the whole run, stack start-up and teardown included."""
    in_flight: int = 64
    delete_share: float = 0.3
    resend_after: float = 10.0
    """An unanswered request is sent again (same correlation id) after this many seconds."""
    malformed_every: int = 10
    """One malformed record for every this many customers."""
    freeze_seconds: float = 20.0
    small: bool = False
    membership: Membership = Membership.DEFAULT
    session_timeout: float = 10.0
    """The instances' group session timeout (seconds)."""
    restart_target: float = 5.0
    """Static members: a restarted instance answers for its partitions within this many seconds
    of its restart."""
    takeover_margin: float = 5.0
    """A killed member's partitions answer again within the session timeout plus this."""

    def kill_target(self, kind: FaultKind) -> tuple[float, str]:
        """The fail-over target of a SIGKILL: seconds, and from what (`kill` or `restart`).
        A static member's restart reclaims its partitions at once; anything else waits for the
        group to drop the dead member (its session timeout), whether or not it is restarted."""
        if self.membership is Membership.STATIC and kind is FaultKind.KILL_RESTART:
            return self.restart_target, "restart"
        return self.session_timeout + self.takeover_margin, "kill"

    def fault_threshold(self, fault: PlannedFault) -> int:
        """How many customers must be done before `fault` is injected."""
        return min(self.customers, round(fault.at_progress * self.customers))

    def faults_before(self, customer: int) -> int:
        """How many faults must be over before customer number `customer` may start: those
        whose threshold lies more than a window of customers behind it."""
        return sum(1 for f in self.faults if self.fault_threshold(f) + self.in_flight <= customer)


@dataclass(frozen=True, slots=True)
class Size:
    """A standard run's default size and time budget."""

    customers: int
    timeout: float


FULL = Size(customers=1_000, timeout=1500.0)
SMALL = Size(customers=150, timeout=240.0)


def full(
    customers: int = FULL.customers, *, seed: int = 629, timeout: float = FULL.timeout
) -> Scenario:
    """Three SIGKILL+restarts, a SIGKILL without restart, a broker restart, the store frozen and
    killed, the database under it killed, a crash between write and publish and a SIGTERM,
    spread over the workload."""
    plan = [
        (FaultKind.KILL_RESTART, "a"),
        (FaultKind.BROKER_RESTART, ""),
        (FaultKind.KILL_RESTART, "b"),
        (FaultKind.STORE_FREEZE, ""),
        (FaultKind.KILL_TAKEOVER, "a"),
        (FaultKind.SIGTERM, "b"),
        (FaultKind.DATABASE_KILL, ""),
        (FaultKind.CRASH_AFTER_WRITE, "a"),
        (FaultKind.STORE_KILL, ""),
        (FaultKind.KILL_RESTART, "b"),
    ]
    step = 0.8 / (len(plan) - 1)
    faults = tuple(
        PlannedFault(kind, round(0.05 + i * step, 3), instance or "a")
        for i, (kind, instance) in enumerate(plan)
    )
    return Scenario(customers=customers, faults=faults, seed=seed, timeout=timeout)


def small(
    customers: int = SMALL.customers, *, seed: int = 629, timeout: float = SMALL.timeout
) -> Scenario:
    """For the test suite: one SIGKILL+restart, one broker restart, one store outage (10 s) and
    one database restart, each early enough that customers still wait for it to end (150
    customers, 64 in flight: at most 0.57 of them done), so that each meets load."""
    faults = (
        PlannedFault(FaultKind.KILL_RESTART, 0.1, "a"),
        PlannedFault(FaultKind.BROKER_RESTART, 0.25),
        PlannedFault(FaultKind.STORE_FREEZE, 0.4),
        PlannedFault(FaultKind.DATABASE_KILL, 0.55),
    )
    return Scenario(
        customers=customers,
        faults=faults,
        seed=seed,
        timeout=timeout,
        malformed_every=6,
        freeze_seconds=10.0,
        small=True,
    )
