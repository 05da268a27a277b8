"""Running the service with uvicorn: in the foreground (``kpigov serve``) or in a background thread.

The thread form is what tests and the benchmark use, and what an application embedding kpigov
can use: ``with running(app) as url: ...`` serves on a free loopback port and stops on exit.

HTTP is parsed by httptools (llhttp, in C) when it is installed, as the ``service`` extra does: it
doubles the requests one core answers compared with h11. llhttp itself puts no bound on a request
head, so :class:`BoundedHttpToolsProtocol` counts the head's bytes and answers 431 past
``MAX_HEAD_BYTES``; without httptools, h11 is given the same bound.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from kpigov.service.limits import ASGIApp, Limits

_START_TIMEOUT = 10.0
#: Most bytes a request line and headers may take (h11's own default is 16 KiB).
MAX_HEAD_BYTES = 64 * 1024

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed: h11 serves, with its own head bound
    HttpToolsProtocol = None


def http_protocol() -> type[asyncio.Protocol] | str:
    """The protocol class uvicorn should serve with: bounded httptools when available, else h11."""
    return "h11" if BoundedHttpToolsProtocol is None else BoundedHttpToolsProtocol


def server(app: ASGIApp, host: str, port: int, limits: Limits | None = None, *, log_level: str = "warning") -> uvicorn.Server:
    """A configured uvicorn server: keep-alive and concurrency bounded, no access log (it is the hot path)."""
    limits = limits or Limits()
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False, lifespan="off",
                            http=http_protocol(), timeout_keep_alive=int(limits.keep_alive_timeout),
                            limit_concurrency=limits.max_concurrency, h11_max_incomplete_event_size=MAX_HEAD_BYTES)
    return uvicorn.Server(config)


if HttpToolsProtocol is not None:

    class BoundedHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc, valid-type]
        """uvicorn's httptools protocol with a bound on the request head, which llhttp does not have.

        Bytes are counted as they arrive from the end of one request's head to the end of the next
        one's, so a head sent in many small pieces is bounded as well as one sent at once.
        """

        _head_bytes = 0
        _in_head = True

        def data_received(self, data: bytes) -> None:
            if self.transport.is_closing():
                return  # refused (or closing): nothing more is parsed
            if not self._in_head:
                super().data_received(data)
                return
            budget = MAX_HEAD_BYTES - self._head_bytes
            if len(data) <= budget:
                self._head_bytes += len(data)
                super().data_received(data)
                return
            # More than the head may still take: parse what it may take, then look where the parser is.
            # One read often carries the head *and* a large body; only the head is bounded here (the
            # body has its own bound, a 413 from the limits middleware).
            self._head_bytes = MAX_HEAD_BYTES
            super().data_received(data[:budget])
            if self._in_head and not self.transport.is_closing():
                self._refuse_head()  # the budget is spent and the head has not ended
                return
            self.data_received(data[budget:])  # a body, or the next pipelined request's head

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head, self._head_bytes = True, 0

        def _refuse_head(self) -> None:
            body = b'{"error":"request head exceeds %d bytes","detail":null}' % MAX_HEAD_BYTES
            self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
                                 b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body))
            self.transport.close()

else:
    BoundedHttpToolsProtocol = None


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


__all__ = ["MAX_HEAD_BYTES", "BoundedHttpToolsProtocol", "http_protocol", "running", "server"]
