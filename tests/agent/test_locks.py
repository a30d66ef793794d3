"""A customer's turns are serialised, across processes on PostgreSQL."""

import threading
import time

import pytest
from sqlalchemy import text

from agent.locks import CustomerLocks
from inbox.db import make_engine


def test_one_holder_at_a_time_within_a_process(database_url: str) -> None:
    engine = make_engine(database_url)
    locks = CustomerLocks(engine)
    inside: list[int] = []
    overlaps: list[int] = []

    def turn() -> None:
        with locks.hold("customer:c1"):
            inside.append(1)
            if len(inside) > 1:
                overlaps.append(1)
            time.sleep(0.05)
            inside.pop()

    threads = [threading.Thread(target=turn) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    engine.dispose()


@pytest.mark.postgres
def test_another_process_cannot_take_a_held_customer(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    other = make_engine(postgres_url)  # stands for a second API process: its own connections
    try_lock = text("SELECT pg_try_advisory_lock(hashtextextended(:k, 0))")
    with CustomerLocks(engine).hold("customer:c2"), other.connect() as conn:
        assert conn.execute(try_lock, {"k": "customer:c2"}).scalar() is False
        assert conn.execute(try_lock, {"k": "customer:c3"}).scalar() is True
    with other.connect() as conn:
        assert conn.execute(try_lock, {"k": "customer:c2"}).scalar() is True
    engine.dispose()
    other.dispose()
