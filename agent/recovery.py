"""The recovery sweep: answers messages whose handler died, even if nobody redelivers them."""

from __future__ import annotations

import logging
import threading

from agent.service import Resolver

logger = logging.getLogger("threadline.agent")


class RecoverySweeper:
    """Runs `Resolver.recover` at start-up and then every `interval` seconds, in the background,
    so a message whose handler died is answered even if nobody redelivers it."""

    def __init__(self, resolver: Resolver, *, interval: float) -> None:
        self.resolver = resolver
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, *, everything: bool) -> None:
        """`everything`: this is the database's only process, so every lease is a dead one's."""
        self._thread = threading.Thread(
            target=self._loop, args=(everything,), name="threadline-recovery", daemon=True
        )
        self._thread.start()

    def _loop(self, everything: bool) -> None:
        first = True
        while not self._stop.is_set():
            try:
                self.resolver.recover(everything=everything and first)
            except Exception:  # the sweep must survive a bad moment of the database
                logger.exception("recovery sweep failed")
            first = False
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
