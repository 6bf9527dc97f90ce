"""``Receipts``: pushes for a set of providers, recorded in the send log, handed to hooks, and
STOP replies turned into blocklist entries when the operator asks for it."""

from __future__ import annotations

import asyncio
import logging
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from .._errors import ConfigError, InvalidPhone, SmsError
from .._reports import DeliveryReport, InboundMessage
from ..policy.lists import Blocklist
from ..stores.base import Store
from ..stores.memory import MemoryStore
from ._base import Push, ReceiptParser, Reply
from ._push import UNAVAILABLE, parse_push, receipt_parser, replay_ttl, replayed, reply_for

if TYPE_CHECKING:
    from .._gateway import _GatewayCore

__all__ = ["STOP_KEYWORDS", "Handled", "Receipts", "is_stop"]

logger = logging.getLogger("smsgate.receipts")


class ReportLog(Protocol):
    """What a send log offers for receipts: each returns ``False`` for what it holds already."""

    def record_report(self, report: DeliveryReport) -> bool: ...
    def record_inbound(self, message: InboundMessage) -> bool: ...
    async def arecord_report(self, report: DeliveryReport) -> bool: ...
    async def arecord_inbound(self, message: InboundMessage) -> bool: ...


STOP_KEYWORDS: tuple[str, ...] = ("STOP", "UNSUBSCRIBE", "退订", "TD")


def is_stop(text: str, keywords: Iterable[str] = STOP_KEYWORDS) -> bool:
    """Whether ``text`` is one of ``keywords`` (case, width, spaces and end punctuation ignored)."""
    word = unicodedata.normalize("NFKC", text).strip().strip(".!。！ ").casefold()
    return bool(word) and word in {unicodedata.normalize("NFKC", k).casefold() for k in keywords}


@dataclass(slots=True)
class Handled:
    """The outcome of :meth:`Receipts.handle`: the answer to give, and what was received or why not."""

    reply: Reply
    push: Push | None = None
    error: SmsError | None = None


class Receipts:
    """Receives pushed receipts and inbound messages for named providers.

    ``providers`` maps an alias to its receipt settings, with ``provider`` naming the type when
    it differs from the alias (``{"backup": {"provider": "tencent", "path_token": "…"}}``).
    Reports are recorded with ``send_log.record_report`` (matched there to the message and phone),
    inbound messages with ``send_log.record_inbound``; ``on_delivery`` and ``on_inbound`` hooks see
    each new one once. With ``blocklist=True``, an inbound STOP (``stop_keywords``) adds its sender
    to the blocklist in ``store``, which also remembers signed requests to refuse replays.
    """

    def __init__(
        self,
        providers: Mapping[str, Mapping[str, Any]],
        *,
        send_log: Store | None = None,
        store: Store | None = None,
        on_delivery: Sequence[Callable[[DeliveryReport], Any]] = (),
        on_inbound: Sequence[Callable[[InboundMessage], Any]] = (),
        stop_keywords: Iterable[str] = STOP_KEYWORDS,
        blocklist: bool = False,
        region: str = "CN",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.parsers: dict[str, ReceiptParser] = {}
        for alias, settings in providers.items():
            options = dict(settings)
            kind = str(options.pop("provider", alias))
            options.setdefault("default_region", region)
            self.parsers[alias] = receipt_parser(kind, options, alias=alias)
        self.send_log = send_log
        self.store: Store = store if store is not None else MemoryStore(clock=clock)
        self.on_delivery = list(on_delivery)
        self.on_inbound = list(on_inbound)
        self.stop_keywords = tuple(stop_keywords)
        self.blocklist = Blocklist(self.store, region=region) if blocklist else None
        self.clock = clock

    @classmethod
    def for_gateway(
        cls, gateway: _GatewayCore, receipts: Mapping[str, Mapping[str, Any]] | None = None, **options: Any
    ) -> Receipts:
        """Receipts for every provider of ``gateway`` that has receipt support, sharing its send
        log, store, blocklist setting and region; ``receipts`` adds settings per alias (path tokens,
        signature secrets), over the provider's own (its credentials)."""
        from ._push import PARSERS

        extra = dict(receipts or {})
        providers: dict[str, dict[str, Any]] = {}
        for alias, provider in gateway.providers.items():
            kind = PARSERS.get(provider.name)
            if kind is not None and (alias in extra or (kind.pushes and not kind.needs_token)):
                providers[alias] = {**provider.settings.model_dump(), **extra.get(alias, {}), "provider": provider.name}
        options.setdefault("send_log", gateway.send_log)
        options.setdefault("store", gateway.store)
        options.setdefault("blocklist", gateway.blocklist_enabled)
        options.setdefault("region", gateway.default_region)
        return cls(providers, **options)

    def parser(self, alias: str) -> ReceiptParser:
        try:
            return self.parsers[alias]
        except KeyError:
            raise ConfigError(f"receipts: no provider {alias!r} (known: {', '.join(self.parsers)})") from None

    def parse(self, alias: str, method: str, url: str, headers: Mapping[str, str], body: bytes | str) -> Push:
        """Verify and parse one push (replays refused), without recording it."""
        return parse_push(self.parser(alias), method, url, headers, body, seen=self.store, clock=self.clock)

    def handle(self, alias: str, method: str, url: str, headers: Mapping[str, str], body: bytes | str) -> Handled:
        """Verify, parse and record one push; never raises for what the provider (or anyone) sent."""
        try:
            push = self.parse(alias, method, url, headers, body)
        except SmsError as error:
            return Handled(reply_for(error), error=error)
        try:
            self.accept(push)
        except Exception as exc:  # not recorded: let the provider push it again
            logger.warning("could not record a push from %s", alias, exc_info=True)
            if push.replay_key:
                self.store.delete(push.replay_key)
            return Handled(UNAVAILABLE, push, SmsError(f"could not record the push: {type(exc).__name__}"))
        return Handled(push.reply, push)

    async def ahandle(
        self, alias: str, method: str, url: str, headers: Mapping[str, str], body: bytes | str
    ) -> Handled:
        """:meth:`handle` for asyncio servers (the store's async twins)."""
        try:
            parser = self.parser(alias)
            args = (parser, method, url, headers, body)
            if parser.blocking:  # a certificate fetch must not stall the event loop
                push = await asyncio.to_thread(parse_push, *args, clock=self.clock)
            else:
                push = parse_push(*args, clock=self.clock)
            if push.replay_key and await self.store.aadd(push.replay_key, "1", replay_ttl(parser)) is not None:
                raise replayed(parser)
        except SmsError as error:
            return Handled(reply_for(error), error=error)
        try:
            await self.aaccept(push)
        except Exception as exc:
            logger.warning("could not record a push from %s", alias, exc_info=True)
            if push.replay_key:
                await self.store.adelete(push.replay_key)
            return Handled(UNAVAILABLE, push, SmsError(f"could not record the push: {type(exc).__name__}"))
        return Handled(push.reply, push)

    # -- recording ------------------------------------------------------------------------------

    def accept(self, push: Push) -> None:
        """Record every report and inbound message of ``push``; hooks and STOP for the new ones."""
        log = cast(ReportLog | None, self.send_log)
        for report in push.reports:
            if log is None or log.record_report(report):
                self._delivered(report)
        for message in push.inbound:
            if log is None or log.record_inbound(message):
                self._inbound(message)

    async def aaccept(self, push: Push) -> None:
        log = cast(ReportLog | None, self.send_log)
        for report in push.reports:
            if log is None or await log.arecord_report(report):
                self._delivered(report)
        for message in push.inbound:
            if log is None or await log.arecord_inbound(message):
                self._inbound(message)

    def _delivered(self, report: DeliveryReport) -> None:
        for hook in self.on_delivery:
            _run(hook, report)

    def _inbound(self, message: InboundMessage) -> None:
        if self.blocklist is not None and is_stop(message.text, self.stop_keywords):
            try:
                self.blocklist.add(message.sender)
            except InvalidPhone:
                logger.warning("STOP from %s: not a phone number, not blocklisted", message.provider)
        for hook in self.on_inbound:
            _run(hook, message)


def _run(hook: Callable[[Any], Any], value: Any) -> None:
    try:
        hook(value)
    except Exception:  # recorded already: a failing hook must not make the provider push again
        logger.exception("receipt hook %r failed", hook)
