"""The local playground (extra ``web``: FastAPI + uvicorn): one page and a JSON API.

The page needs no external network (no CDN): its script, styles and the 2-D map (SVG) are in
``static/index.html``. The API serves only the vectors the app was created with; no request
value ever reaches the filesystem. Work per request is bounded: words are at most
``MAX_WORD`` characters, ``topn`` at most ``MAX_TOPN``, texts at most ``MAX_TEXT`` characters.

Under load: BLAS runs one thread per request (many concurrent requests would otherwise start
a BLAS thread per core each and oversubscribe the cores), and two worker threads per core
computes (requests beyond it wait in the event loop instead of fighting for the GIL). Only
requests whose ``Host`` names the bound address are answered (a page on another site cannot
reach the API by DNS rebinding), a connection whose next request (headers and body) is not
complete within ``HEADER_TIMEOUT`` seconds is closed, and at most ``MAX_CONNECTIONS``
connections are served at once (others get 503 at once).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import AsyncIterator, Sequence
from typing import Any

from tokenvec._optional import require
from tokenvec.app.web.limits import MAX_MAP, MAX_TEXT, MAX_TOPN, MAX_WORD, STATIC
from tokenvec.tokenizers import Tokenizer

__all__ = ["MAX_MAP", "MAX_TEXT", "MAX_TOPN", "MAX_WORD", "STATIC", "create_app", "server_config"]

HEADER_TIMEOUT = 10.0
MAX_CONNECTIONS = 512  # open connections and requests in progress, together
WORKER_THREADS = 2 * (os.cpu_count() or 1)  # two per core: one in numpy, one in Python
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def _limit_blas_threads() -> None:
    """One BLAS thread per request: the server's parallelism is its requests."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


def create_app(
    vectors: Any,
    *,
    name: str = "vectors",
    tokenizer: Tokenizer | None = None,
    allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
) -> Any:
    """A FastAPI app serving ``vectors`` (a :class:`tokenvec.Vectors`); its routes are
    :mod:`tokenvec.app.web.routes`.

    ``allowed_hosts`` are the ``Host`` header values answered (``"*"`` allows any).
    """
    require("fastapi", "web")
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import JSONResponse
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from tokenvec import __version__
    from tokenvec.app.web import routes

    app = FastAPI(
        lifespan=_lifespan,
        title="tokenvec playground",
        version=__version__,
        docs_url=None,  # the Swagger page loads scripts from a CDN; /openapi.json documents the API
        redoc_url=None,
    )
    app.state.served = routes.Served(vectors, name, tokenizer)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.include_router(routes.page)
    app.include_router(routes.api)

    @app.exception_handler(HTTPException)
    def http_error(request: Any, exc: Any) -> Any:
        body = exc.detail if isinstance(exc.detail, dict) else {"error": str(exc.detail)}
        return JSONResponse(status_code=exc.status_code, content=body)

    return app


@contextlib.asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    # Requests run in worker threads; with anyio's default of 40, dozens of threads fight for
    # the GIL between numpy calls and throughput collapses under many clients. A few workers
    # (two per core) keep the cores busy; other requests wait in the event loop.
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    yield


def allowed_hosts_for(host: str, extra: Sequence[str] = ()) -> list[str]:
    """Host header values to answer when bound to ``host``: it and the loopback names.

    >>> allowed_hosts_for("127.0.0.1")
    ['127.0.0.1', 'localhost', '::1', '[::1]']
    """
    if host in ("0.0.0.0", "::") and not extra:
        return ["*"]  # every address of the machine; the CLI warns
    names = [host, *LOOPBACK_HOSTS, *extra]
    return list(dict.fromkeys(names))


def _protocol() -> Any:
    """uvicorn's h11 protocol, closing a connection whose request (headers and body) is not
    complete ``HEADER_TIMEOUT`` seconds after the connection opened or its previous response
    went out: a client sending a byte every few seconds cannot hold a connection open."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Protocol(H11Protocol):  # type: ignore[misc]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._deadline: Any = None
            self._arm()

        def _arm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(HEADER_TIMEOUT, self._too_slow)

        def _too_slow(self) -> None:
            # IDLE: the request line or headers are not all here; SEND_BODY: the body is not.
            # DONE: the request is whole and the app is answering it: not the client's delay.
            waiting = self.conn.their_state in (h11.IDLE, h11.SEND_BODY)
            if waiting and not self.transport.is_closing():
                self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request on this connection gets the same time

        def connection_lost(self, exc: Exception | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            super().connection_lost(exc)

    return Protocol


def serve(
    vectors: Any,
    *,
    name: str = "vectors",
    host: str = "127.0.0.1",
    port: int = 8000,
    allowed_hosts: Sequence[str] = (),
    sock: socket.socket | None = None,
) -> None:
    """Run the playground with uvicorn until interrupted. ``sock``: a socket already bound
    by :func:`bind` (so a port in use is reported before anything is announced)."""
    uvicorn = require("uvicorn", "web")
    _limit_blas_threads()  # this process serves requests: one BLAS thread each
    app = create_app(vectors, name=name, allowed_hosts=allowed_hosts_for(host, allowed_hosts))
    listening = sock if sock is not None else bind(host, port)
    uvicorn.Server(server_config(app, host, port)).run(sockets=[listening])


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port``; an ``OSError`` in one line when the port
    is out of range, in use, or the address is not this machine's."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise OSError(f"port {port!r} is out of range: choose a port from 1 to 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise OSError(f"cannot listen on {host}:{port}: unknown address ({exc.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # not a port in use
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        in_use = exc.errno == errno.EADDRINUSE
        reason = "the port is in use (choose another --port)" if in_use else exc.strerror
        raise OSError(f"cannot listen on {host}:{port}: {reason}") from None
    return sock


def server_config(app: Any, host: str = "127.0.0.1", port: int = 8000) -> Any:
    """uvicorn's configuration for the playground: idle and half-open connections time out."""
    uvicorn = require("uvicorn", "web")
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=_protocol(),
        timeout_keep_alive=5,
        backlog=1024,
        limit_concurrency=MAX_CONNECTIONS,  # beyond it: an immediate 503, not an open file
    )
