"""RFC 9457 ``application/problem+json`` for every error the service answers.

Each problem carries smsgate's ``code`` (46001 bad input, 46004 refused by smsgate's own policy…)
and, where one field is at fault, ``field``. Callers' mistakes get 4xx; a 500 means a bug in smsgate
and says nothing of its internals.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from .._errors import ConfigError, InvalidRequest, PolicyRefused, SmsError

__all__ = ["MEDIA_TYPE", "Problem", "install", "problem_response", "unexpected"]

MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("smsgate.server")

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}
_POLICY_STATUS = {
    "idempotency": 409,
    "not_pending": 409,
    "blocklist": 403,
    "country_allowlist": 403,
    "api_key": 401,
    "scope": 403,
}


class Problem(Exception):
    """An error answered as problem+json: ``status``, ``detail`` and smsgate's ``code`` and ``field``."""

    def __init__(self, status: int, detail: str, *, code: int, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code
        self.headers = headers or {}
        self.extra = {k: v for k, v in extra.items() if v is not None}

    @classmethod
    def of(cls, error: SmsError) -> Problem:
        """The problem for an error raised by a send: 422 for bad input, 409/403/429 for refusals."""
        if isinstance(error, InvalidRequest):
            return cls(422, error.message, code=error.code, field=error.field)
        if isinstance(error, ConfigError):  # the tenant's own provider settings
            return cls(422, "the tenant's provider settings: " + error.message, code=error.code)
        if isinstance(error, PolicyRefused):
            status = _POLICY_STATUS.get(error.rule, 429)
            return cls(status, error.message, code=error.code, rule=error.rule)
        return cls(502, str(error), code=error.code)


def problem_response(problem: Problem, request: Request) -> Response:
    body = {
        "type": f"urn:smsgate:error:{problem.code}",
        "title": _TITLES.get(problem.status, "Error"),
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.url.path,
        "code": problem.code,
        **problem.extra,
    }
    return Response(orjson.dumps(body), problem.status, problem.headers, media_type=MEDIA_TYPE)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "body")


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))} for e in exc.errors()]
    malformed = any(e.get("type") == "json_invalid" for e in exc.errors())
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    detail = f"{first['field']}: {first['message']}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
    status = 400 if malformed else 422
    return problem_response(Problem(status, detail, code=46001, field=first["field"], errors=errors), request)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    problem = Problem(exc.status_code, str(exc.detail), code=46001, headers=dict(exc.headers or {}))
    return problem_response(problem, request)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc, request)


async def _sms_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SmsError)
    return problem_response(Problem.of(exc), request)


async def unexpected(request: Request, exc: Exception) -> Response:
    """A 500 problem for an error nobody expected (logged with its traceback)."""
    logger.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(Problem(500, "an internal error; it has been logged", code=46000), request)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem+json."""
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(SmsError, _sms_error)
    app.add_exception_handler(Exception, unexpected)
