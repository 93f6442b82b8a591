"""Keep a worker alive when its Redis broker restarts.

kombu's Redis channel (kombu 5.7, the newest release) reads the pending BRPOP reply first when
it closes. With Redis gone that read raises a connection error, the close stops halfway, and a
later close, after the connection has dropped its transport's client, reaches `_connparams`,
which reads `.hostname` on None. Celery reports that AttributeError as an unrecoverable error
and the worker exits (seen in 6 of 17 Redis restarts under load). Two guards:

- a connection error from that last BRPOP read no longer stops the close, so pools are released
  and unacknowledged messages restored as on any close;
- a channel used after its connection is gone raises a connection error, which Celery recovers
  from by reconnecting, instead of the AttributeError.

`apply()` is called once by the workers' Celery app; it is idempotent.
"""

from __future__ import annotations

from queue import Empty
from typing import Any

import redis
from kombu.transport import redis as kombu_redis

_APPLIED = "_qa_guarded"


def apply() -> None:
    """Install both guards on kombu's Redis channel (once per process)."""
    channel = kombu_redis.Channel
    if getattr(channel, _APPLIED, False):
        return
    close, connparams = channel.close, channel._connparams

    def guarded_close(self: Any) -> None:
        if self._in_poll:
            try:
                self._brpop_read()
            except Empty:
                pass
            except self.connection_errors:
                pass  # the broker is gone: finish closing rather than stop halfway
            self._in_poll = None
        close(self)

    def guarded_connparams(self: Any, asynchronous: bool = False) -> Any:
        transport = self.connection
        if transport is None or getattr(transport, "client", None) is None:
            raise redis.exceptions.ConnectionError("the broker connection was closed")
        return connparams(self, asynchronous)

    setattr(channel, "close", guarded_close)  # noqa: B010  (replacing a method)
    setattr(channel, "_connparams", guarded_connparams)  # noqa: B010
    setattr(channel, _APPLIED, True)
