"""Topic names of one service deployment, as the wire contract spells them from a prefix."""

from __future__ import annotations

from dataclasses import dataclass

from customer_async.types import Operation

_API = "customerManagement.v5"


@dataclass(frozen=True, slots=True)
class Topics:
    """Every topic a client of the deployment with `prefix` talks to."""

    prefix: str

    def request(self, operation: Operation) -> str:
        """Where an operation's commands go: `{prefix}.customerManagement.v5.{op}Customer.
        commandRequest`."""
        return f"{self.prefix}.{_API}.{operation}Customer.commandRequest"

    def default_reply(self, operation: Operation) -> str:
        """The operation's default reply topic (where a refused Reply-Channel gets its 403)."""
        return f"{self.prefix}.{_API}.{operation}Customer.commandReply"

    @property
    def notification(self) -> str:
        """Where the service publishes the four customer events."""
        return f"{self.prefix}.{_API}.customer.notificationEvent"

    @property
    def client_reply(self) -> str:
        """The reply topic clients share by default; it ends in `.commandReply`, as the service's
        default reply-channel allow-list requires."""
        return f"{self.prefix}.{_API}.client.commandReply"
