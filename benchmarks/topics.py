"""Creating the run's fresh topics before anything reads them, and removing them afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError


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
