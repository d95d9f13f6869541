"""HEAD answered like GET for every route, without the body.

Litestar matches the method while routing, before any middleware runs, and its `@get` handlers
take GET only: a HEAD would be 405. So the app (app.PengaduanApp) turns a HEAD into a GET
before routing and sends only what the GET would answer up to its body: status and headers,
Content-Length included. The answer ends as soon as its headers are sent, so a stream (the
live events) ends there too: the app's next read of the request is the client's disconnect.
"""

from __future__ import annotations

from litestar.types import Message, Receive, Scope, Send


def as_get(scope: Scope, receive: Receive, send: Send) -> tuple[Scope, Receive, Send]:
    """The scope, receive and send that serve a HEAD request as its GET without a body."""
    finished = False

    async def head_send(message: Message) -> None:
        nonlocal finished
        if finished or message["type"] != "http.response.start":
            return
        await send(message)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        finished = True

    async def head_receive() -> Message:
        if finished:
            return {"type": "http.disconnect"}
        return await receive()

    return {**scope, "method": "GET"}, head_receive, head_send  # type: ignore[return-value]
