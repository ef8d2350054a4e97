"""Who in the service's consumer group owns which partitions, read from the broker."""

from __future__ import annotations

import asyncio
import time

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from customer_async.settings import Settings

GROUP_SETTLE_TIMEOUT = 60.0


async def partitions_by_member(settings: Settings, topic: str) -> list[set[int]] | None:
    """The partitions of `topic` each member of the service's group owns; None unless Stable."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([settings.group_id])
    finally:
        await admin.close()
    [group] = response.groups
    # DescribeGroups: (error_code, group_id, state, protocol_type, protocol, members, ...)
    error_code, _, state, _, _, members = group[:6]
    if error_code != 0 or state != "Stable":
        return None
    owned: list[set[int]] = []
    for member in members:
        # Member: (member_id, [group_instance_id,] client_id, client_host, metadata, assignment)
        assignment = ConsumerProtocolMemberAssignment.decode(member[-1])
        owned.append(
            {
                partition
                for name, partitions in assignment.assignment
                if name == topic
                for partition in partitions
            }
        )
    return owned


async def wait_until_members_share(settings: Settings, topic: str, members: int) -> None:
    """Waits until the group is stable with `members` members, each owning part of `topic`."""
    deadline = time.monotonic() + GROUP_SETTLE_TIMEOUT
    owned: list[set[int]] | None = None
    while time.monotonic() < deadline:
        owned = await partitions_by_member(settings, topic)
        if owned is not None and len(owned) == members and all(owned):
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"the group did not share {topic} among {members} members: {owned}")
