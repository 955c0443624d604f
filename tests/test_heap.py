"""Long-lived objects are frozen out of collections, and reclaimed by the periodic full one."""

import gc
import weakref

from serving import heap


class Node:
    pass


def frozen_cycle() -> weakref.ref:
    node = Node()
    node.me = node  # a cycle: only the collector can free it
    ref = weakref.ref(node)
    gc.freeze()
    return ref


def test_a_frozen_cycle_survives_ordinary_collections():
    ref = frozen_cycle()
    gc.collect()
    assert ref() is not None
    heap.collect_all()


def test_the_full_collection_reclaims_what_was_frozen():
    ref = frozen_cycle()
    heap.collect_all()
    assert ref() is None


def test_what_survives_the_full_collection_is_frozen_again():
    heap.collect_all()
    assert gc.get_freeze_count() > 0


def test_a_connect_storm_freezes_as_it_goes(settings):
    settings.LINLI_GC_FREEZE_INTERVAL = 10
    heap.collect_all()
    sockets_state = [Node() for _ in range(100)]
    before = gc.get_freeze_count()
    for _ in range(heap.FREEZE_EVERY_CONNECTS):
        heap.connected()
    assert gc.get_freeze_count() >= before + len(sockets_state)
