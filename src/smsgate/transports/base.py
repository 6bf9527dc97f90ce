"""The transport contract: the only place smsgate does network I/O."""

from __future__ import annotations

from types import TracebackType

from .._http import HttpRequest, HttpResponse

__all__ = ["AsyncTransport", "Transport"]


class Transport:
    """Sends one request and returns its response, blocking.

    Raises :class:`~smsgate.Unreachable` when the request never left (connect failure) and
    :class:`~smsgate.OutcomeUnknown` when it may have arrived (read timeout, reset).
    """

    def handle_request(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    def close(self) -> None:
        """Release pooled connections."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncTransport:
    """The asyncio twin of :class:`Transport`."""

    async def handle_async_request(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release pooled connections."""

    async def __aenter__(self) -> AsyncTransport:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
