"""What an open socket keeps alive: only what it acts with.

A worker holds thousands of sockets for hours, so whatever each one keeps is multiplied
(BENCHMARK S3 measures memory per connection; docs/benchmarks.md has the figures).
"""

import asyncio
import gc

import pytest
from django.db.backends.base.base import BaseDatabaseWrapper

from chat.delivery import Delivery
from community.models import Person
from serving import heap
from tests.chat.conftest import connect

pytestmark = pytest.mark.django_db(transaction=True)


def alive(cls) -> list:
    """Every live instance of ``cls``, frozen ones included (``serving.heap`` freezes)."""
    reporting = heap._timed in gc.callbacks  # this pause is the test's, not a worker's
    if reporting:
        gc.callbacks.remove(heap._timed)
    gc.unfreeze()
    gc.collect()
    found = [obj for obj in gc.get_objects() if isinstance(obj, cls)]
    gc.freeze()
    if reporting:
        gc.callbacks.append(heap._timed)
    return found


async def test_an_open_socket_keeps_no_model_row_of_its_person(tcast):
    client = await connect(tcast.resident)
    rows = [p for p in alive(Person) if p.pk == tcast.resident.pk and p is not tcast.resident]
    assert rows == []
    await client.close()


async def test_open_sockets_make_no_database_connection_wrapper_each(tcast):
    first = await connect(tcast.resident)
    before = len(alive(BaseDatabaseWrapper))
    more = [await connect(tcast.neighbour) for _ in range(5)]
    assert len(alive(BaseDatabaseWrapper)) <= before + 1  # at most one for a new thread
    for client in [first, *more]:
        await client.close()


async def test_an_open_socket_runs_no_task_besides_its_own(tcast):
    first = await connect(tcast.resident)  # starts the process-wide tasks (hub, presence)
    before = len(asyncio.all_tasks())
    more = [await connect(tcast.neighbour) for _ in range(3)]
    assert len(asyncio.all_tasks()) == before + 3  # each socket's application instance
    for client in [first, *more]:
        await client.close()


def test_a_sockets_delivery_state_has_no_instance_dict():
    assert Delivery.__dictoffset__ == 0  # slotted: thousands per worker, for hours
