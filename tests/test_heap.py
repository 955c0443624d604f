"""Long-lived objects are frozen out of collections, and reclaimed by the periodic full one."""

import gc
import weakref

from server import heap


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
