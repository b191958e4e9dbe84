"""The controller's HTTP API (FastAPI): health, metrics, the active policy, the hand's state, deploy, rollback.

Mutating endpoints need `Authorization: Bearer <token>` (compared in constant time). Refusals are
JSON {"error": reason, "check": name} with a 4xx status: 401/403 auth, 413 size, 409 rollback with
nothing to return to or a bundle older than the active one, 422 any other check. A deploy body is the
raw bundle archive (application/x-tar), at most `deploy.max_bundle_bytes`; no other endpoint takes more
than MAX_OTHER_BODY_BYTES. `BodyLimit` enforces both before any endpoint runs: a declared
Content-Length over the limit is refused unread, a chunked body is cut off as soon as it passes it, and
the connection is closed, so a huge upload is never buffered.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from robot.bundle import BundleRejected
from robot.bundle.archive import SIZE_CHECK
from robot.controller.deployer import ROLLBACK_CHECK, VERSION_CHECK
from robot.controller.service import Controller

AUTH_CHECK = "auth"
_STATUS_BY_CHECK = {SIZE_CHECK: 413, ROLLBACK_CHECK: 409, VERSION_CHECK: 409}
DEPLOY_PATH = "/deploy"
MAX_OTHER_BODY_BYTES = 64 * 1024  # only /deploy takes a body; this is slack for clients that send one anyway


class _Refused(Exception):
    def __init__(self, status: int, check: str, error: str):
        self.status, self.check, self.error = status, check, error


def _refusal(exc: BundleRejected) -> _Refused:
    return _Refused(_STATUS_BY_CHECK.get(exc.check, 422), exc.check, exc.reason)


class BodyLimit:
    """ASGI middleware: read a request's body up to `limit(path)` bytes before the app sees it, answering 413
    with a reason (and `Connection: close`, the rest left unread) when the body is larger."""

    def __init__(self, app: ASGIApp, limit: Callable[[str], int], on_refusal: Callable[[], None]):
        self.app, self.limit, self.on_refusal = app, limit, on_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, limit = scope["path"], self.limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await self._refuse(scope, receive, send, f"request body is {int(declared)} bytes, more than the "
                                                            f"limit of {limit} for {path}")
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                return await self._refuse(scope, receive, send, f"request body is more than the limit of {limit} "
                                                                f"bytes for {path}")
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        return await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: str) -> None:
        self.on_refusal()
        response = JSONResponse({"error": error, "check": SIZE_CHECK}, status_code=413, headers={"connection": "close"})
        await response(scope, receive, send)


def create_app(controller: Controller) -> FastAPI:
    """The API of `controller`; the app's lifespan starts and stops the controller's threads."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        controller.start()
        try:
            yield
        finally:
            controller.stop()

    app = FastAPI(title="VITRA hand controller", lifespan=lifespan)
    max_bundle_bytes = controller.config.deploy.max_bundle_bytes
    app.add_middleware(BodyLimit, limit=lambda path: max_bundle_bytes if path == DEPLOY_PATH else MAX_OTHER_BODY_BYTES,
                       on_refusal=controller.metrics.refusals.labels(SIZE_CHECK).inc)
    expected = f"Bearer {controller.token}".encode()

    def authorise(request: Request) -> None:
        header = request.headers.get("authorization")
        if not header:
            controller.metrics.refusals.labels(AUTH_CHECK).inc()
            raise _Refused(401, AUTH_CHECK, "missing Authorization: Bearer <token> header")
        if not hmac.compare_digest(header.encode(), expected):
            controller.metrics.refusals.labels(AUTH_CHECK).inc()
            raise _Refused(403, AUTH_CHECK, "the bearer token is not the controller's")

    @app.exception_handler(_Refused)
    async def refused(_: Request, exc: _Refused) -> JSONResponse:
        return JSONResponse({"error": exc.error, "check": exc.check}, status_code=exc.status)

    @app.get("/health")
    def health() -> JSONResponse:
        report = controller.health()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(controller.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/policy")
    def policy() -> dict[str, Any]:
        return controller.policy()

    @app.get("/state")
    def state() -> dict[str, Any]:
        return controller.state()

    @app.post(DEPLOY_PATH)
    async def deploy(request: Request, force: bool = False) -> dict[str, Any]:
        """Deploy the bundle in the body; `?force=true` also deploys one older than the active bundle."""
        authorise(request)
        data = await request.body()
        try:
            await run_in_threadpool(controller.deployer.deploy, data, force)
        except BundleRejected as exc:
            raise _refusal(exc) from exc
        return controller.policy()

    @app.post("/rollback")
    async def rollback(request: Request) -> dict[str, Any]:
        authorise(request)
        try:
            await run_in_threadpool(controller.deployer.rollback)
        except BundleRejected as exc:
            raise _refusal(exc) from exc
        return controller.policy()

    return app
