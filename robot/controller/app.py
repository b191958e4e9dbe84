"""The controller's HTTP API (FastAPI): health, metrics, the active policy, the hand's state, deploy, rollback.

Mutating endpoints need `Authorization: Bearer <token>` (compared in constant time). Refusals are
JSON {"error": reason, "check": name} with a 4xx status: 401/403 auth, 413 size, 409 rollback with
nothing to return to, 422 any other check. A deploy body is the raw bundle archive
(application/x-tar); it is read with the size limit enforced while streaming, so an oversize upload
is cut off rather than buffered.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from robot.bundle import BundleRejected
from robot.bundle.archive import SIZE_CHECK
from robot.controller.deployer import ROLLBACK_CHECK
from robot.controller.service import Controller

AUTH_CHECK = "auth"
_STATUS_BY_CHECK = {SIZE_CHECK: 413, ROLLBACK_CHECK: 409}


class _Refused(Exception):
    def __init__(self, status: int, check: str, error: str):
        self.status, self.check, self.error = status, check, error


def _refusal(exc: BundleRejected) -> _Refused:
    return _Refused(_STATUS_BY_CHECK.get(exc.check, 422), exc.check, exc.reason)


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
    expected = f"Bearer {controller.token}".encode()

    def authorise(request: Request) -> None:
        header = request.headers.get("authorization")
        if not header:
            controller.metrics.refusals.labels(AUTH_CHECK).inc()
            raise _Refused(401, AUTH_CHECK, "missing Authorization: Bearer <token> header")
        if not hmac.compare_digest(header.encode(), expected):
            controller.metrics.refusals.labels(AUTH_CHECK).inc()
            raise _Refused(403, AUTH_CHECK, "the bearer token is not the controller's")

    async def read_body(request: Request) -> bytes:
        limit = controller.config.deploy.max_bundle_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BundleRejected(SIZE_CHECK, f"bundle is {declared} bytes, more than the limit of {limit}")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise BundleRejected(SIZE_CHECK, f"bundle is more than the limit of {limit} bytes")
        return bytes(body)

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

    @app.post("/deploy")
    async def deploy(request: Request) -> dict[str, Any]:
        authorise(request)
        try:
            data = await read_body(request)
        except BundleRejected as exc:
            controller.metrics.refusals.labels(exc.check).inc()
            raise _refusal(exc) from exc
        try:
            await run_in_threadpool(controller.deployer.deploy, data)
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
