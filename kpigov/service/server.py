"""Running the service with uvicorn: in the foreground (``kpigov serve``) or in a background thread.

The thread form is what tests and the benchmark use, and what an application embedding kpigov
can use: ``with running(app) as url: ...`` serves on a free loopback port and stops on exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from kpigov.service.limits import ASGIApp, Limits

_START_TIMEOUT = 10.0


def server(app: ASGIApp, host: str, port: int, limits: Limits | None = None, *, log_level: str = "warning") -> uvicorn.Server:
    """A configured uvicorn server: keep-alive and concurrency bounded, no access log (it is the hot path)."""
    limits = limits or Limits()
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False, lifespan="off",
                            timeout_keep_alive=int(limits.keep_alive_timeout),
                            limit_concurrency=limits.max_concurrency, h11_max_incomplete_event_size=64 * 1024)
    return uvicorn.Server(config)


@contextmanager
def running(app: ASGIApp, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None) -> Iterator[str]:
    """Serve ``app`` in a thread; yields the base URL (``port=0``: a free port); stops and joins on exit."""
    instance = server(app, host, port, limits)
    thread = threading.Thread(target=instance.run, name="kpigov-service", daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not instance.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            instance.should_exit = True
            raise RuntimeError(f"the service did not start on {host}:{port}")
        time.sleep(0.01)
    bound = instance.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        instance.should_exit = True
        thread.join(_START_TIMEOUT)


__all__ = ["running", "server"]
