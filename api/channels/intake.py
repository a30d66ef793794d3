"""Taking in a message from a channel webhook: record it at once, answer the provider, and run
the turn on a background thread; the reply leaves through the outbox.

The provider is answered as soon as the message is recorded (Meta and Twilio want an answer
within seconds and retry otherwise). Recording first is what makes this safe: a message recorded
but not yet answered carries a lease, so if this process dies its turn is completed by the
recovery sweep of any process, and the reply is queued by the turn itself. A redelivery of a
recorded message is acknowledged and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from agent.service import InboundRequest, Resolution, Resolver
from inbox.models import Message

logger = logging.getLogger("threadline.channels")


class ChannelIntake:
    def __init__(
        self,
        resolver: Resolver,
        *,
        on_reply: Callable[[], None] | None = None,
        workers: int = 4,
    ) -> None:
        self.resolver = resolver
        self.on_reply = on_reply
        """Called after each turn (wakes the outbox worker so the reply goes at once)."""
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="channel-turn")

    def take(self, request: InboundRequest) -> Message | None:
        """Record `request` and start its turn; None for a message recorded before."""
        message = self.resolver.accept(request)
        if message is not None:
            self._pool.submit(self._finish, message)
        return message

    def answer(self, request: InboundRequest) -> Resolution:
        """Record and answer `request` now (a voice call waits for what to say)."""
        resolution = self.resolver.handle(request)
        if self.on_reply is not None:
            self.on_reply()
        return resolution

    def _finish(self, message: Message) -> None:
        try:
            self.resolver.finish(message)
        except Exception:  # the lease runs out and the recovery sweep tries again
            logger.exception("turn failed for channel message %s", message.id)
            return
        if self.on_reply is not None:
            self.on_reply()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
