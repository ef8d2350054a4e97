"""A run's topics: the deployment's as its clients name them plus the run's own reply topic,
created before anything reads them and deleted afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from customer_async.client.topics import Topics
from customer_async.types import Operation


class RunTopics(Topics):
    """The topics of the deployment with `prefix`, the run's reply topic and the dead letters."""

    @property
    def run_reply(self) -> str:
        """The run's own reply channel (allowed: it ends in `.commandReply`)."""
        return f"{self.prefix}.customerManagement.v5.run.commandReply"

    @property
    def dead_letter(self) -> str:
        """Where the service puts a record it cannot answer."""
        return f"{self.prefix}.customerManagement.v5.deadLetter"

    @property
    def requests(self) -> list[str]:
        return [self.request(operation) for operation in Operation]

    @property
    def replies(self) -> list[str]:
        """Every reply a run may get: on its own topic, and on the default reply topics (where
        a refused Reply-Channel is answered)."""
        return [self.run_reply, *(self.default_reply(operation) for operation in Operation)]

    @property
    def all(self) -> list[str]:
        return [*self.requests, *self.replies, self.notification, self.dead_letter]


async def create_topics(bootstrap_servers: str, names: Sequence[str], partitions: int) -> None:
    """Create `names` with `partitions` partitions each (one replica: a local broker)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
            )
    finally:
        await admin.close()


async def delete_topics(bootstrap_servers: str, names: Sequence[str]) -> None:
    """Remove `names`; a failure only leaves them behind, so it is not an error."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        await admin.start()
        try:
            await admin.delete_topics(list(names))
        finally:
            await admin.close()
    except KafkaError:
        return
