"""The web application: API routes, limits and error mapping. The console mounts onto it (main.py)."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from handoff.api.limits import BodyLimitMiddleware
from handoff.api.routes import router
from handoff.api.security_headers import SecurityHeadersMiddleware
from handoff.api.timing import RequestTimer
from handoff.core import Core
from handoff.errors import Conflict, Forbidden, HandoffError, Invalid, NotFound, Unauthorized
from handoff.login_throttle import TooManyAttempts
from handoff.metrics import CONTENT_TYPE
from handoff.streams import TooManyStreams

STATUS: dict[type[HandoffError], int] = {
    NotFound: 404,
    Unauthorized: 401,
    Forbidden: 403,
    Invalid: 422,
    Conflict: 409,
    TooManyAttempts: 429,
    TooManyStreams: 429,
}


def create_app(core: Core, *, manage_core: bool = True) -> FastAPI:
    """The FastAPI app serving API v1, `/healthz` and the OpenAPI docs at `/docs`.

    With `manage_core`, the app's lifespan starts and stops the core.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_core:
            await core.start()
        try:
            yield
        finally:
            if manage_core:
                await core.stop()

    app = FastAPI(title="Handoff API", version="1", lifespan=lifespan)
    app.state.core = core
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=core.settings.max_body_bytes,
        timeout_seconds=core.settings.body_timeout_seconds,
    )
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=core.widget.frame_ancestors)
    app.add_middleware(RequestTimer, histogram=core.metrics.http)
    app.add_exception_handler(HandoffError, _handoff_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.include_router(router)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """Ready to serve: the database answers and its schema is current (503 with what is not)."""
        checks: dict[str, str] = {}
        try:
            await core.db.ping()
            checks["database"] = "ok"
            current = await core.db.schema_is_current()
            checks["migrations"] = "current" if current else "behind: start main.py serve to migrate"
        except (OSError, SQLAlchemyError) as error:
            checks["database"] = f"unreachable: {type(error).__name__}"
        ready = checks == {"database": "ok", "migrations": "current"}
        return JSONResponse(
            {"status": "ready" if ready else "not ready"} | checks, status_code=200 if ready else 503
        )

    token = core.settings.metrics_token
    if token:

        @app.get("/metrics", tags=["health"], include_in_schema=False)
        async def metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
            """Prometheus text format, with `Authorization: Bearer <HANDOFF_METRICS_TOKEN>` only."""
            if not hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode()):
                return JSONResponse({"detail": "a valid metrics token is needed"}, status_code=401)
            return Response(await core.metrics.render(), media_type=CONTENT_TYPE)

    return app


async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 without the `input` it echoes: an input of NaN, Infinity or a lone surrogate half cannot
    be written as JSON (it was a 500), and what was sent need not come back."""
    issues = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
    return JSONResponse({"detail": issues}, status_code=422)


async def _handoff_error(_request: Request, error: HandoffError) -> JSONResponse:
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    return JSONResponse({"detail": str(error)}, status_code=status)
