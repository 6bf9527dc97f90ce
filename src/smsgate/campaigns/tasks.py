"""Campaigns on Celery: the app, the chunk task, and :func:`enqueue`. Needs the ``celery`` extra.

Imported only by ``smsgate worker`` (and ``celery -A smsgate.campaigns.tasks worker``) and by
what enqueues a campaign; ``import smsgate`` never imports Celery. Each worker process reads the
config file named by ``$SMSGATE_CONFIG`` (or ``./smsgate.toml``) once, and shares state with every
other process through ``[campaigns] store`` (Redis). Chunks are acknowledged late and given back
when their worker is lost, so a killed worker's chunk runs again; its rows already claimed are
skipped; those it claimed and did not record are settled: looked up at the provider, then recorded
or sent (``_settle``), or where no lookup exists counted *unknown*, never resent.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache, partial
from typing import Any

from celery import Celery, Task

from .._config import Config, load_config
from .._errors import ConfigError
from .._gateway import Gateway
from ..stores.base import Store
from ._campaign import Campaign
from ._drive import drive
from ._flow import Chunk, Tally, chunk_flow, close_chunk
from ._settings import CampaignSettings
from ._sources import Reject, Row
from ._state import CampaignState, Keys

__all__ = ["app", "configure", "enqueue", "send_chunk"]

app = Celery("smsgate", set_as_current=False)
app.conf.update(
    task_acks_late=True,  # a chunk is acknowledged once sent: a lost worker's chunk is delivered again
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": 3600},  # above any chunk's run time
    worker_hijack_root_logger=False,
)
RETRY_BUSY = 2.0  # seconds before a chunk held by another live run is tried again
RETRY_PAUSED = 5.0


def configure(broker: str) -> Celery:
    """Point the app at ``broker`` (``redis://…``, ``amqp://…``)."""
    app.conf.broker_url = broker
    return app


@dataclass
class _Runtime:
    config: Config
    settings: CampaignSettings
    store: Store
    gateway: Gateway
    pool: ThreadPoolExecutor


@cache
def runtime() -> _Runtime:
    """This worker process's config, store and gateway, opened on its first chunk (after the fork)."""
    config = load_config(os.environ.get("SMSGATE_CONFIG") or None)
    settings = CampaignSettings.of(config)
    store = settings.open_store(config)
    gateway = settings.gateway(config, store)
    return _Runtime(config, settings, store, gateway, ThreadPoolExecutor(settings.concurrency))


@cache
def _campaign(campaign_id: str) -> Campaign:
    return Campaign.resume(campaign_id, runtime().store)


@app.task(name="smsgate.campaigns.send_chunk", bind=True, max_retries=None)  # type: ignore[untyped-decorator]
def send_chunk(
    self: Task, campaign_id: str, number: int, rows: list[list[Any]], rejects: list[list[Any]] | None = None
) -> dict[str, int]:
    """Send chunk ``number`` of a campaign: ``rows`` are ``[row number, E.164 phone, params]``,
    ``rejects`` the chunk's invalid rows ``[row number, reason, phone]`` (recorded when queued)."""
    run = runtime()
    campaign = _campaign(campaign_id)
    policy = campaign.policy(run.gateway, run.store)
    chunk = Chunk(number, tuple(Row(*row) for row in rows), tuple(Reject(*reject) for reject in rejects or ()))
    try:
        tally: Tally = drive(chunk_flow(campaign.spec, policy, chunk, Keys(campaign_id)), run.gateway, run.pool)
    except Exception as exc:  # the store failed: rows claimed stay claimed, the rest is tried again
        raise self.retry(exc=exc, countdown=RETRY_BUSY) from exc
    if tally.status == "busy":
        raise self.retry(countdown=RETRY_BUSY)
    if tally.status == "paused":
        raise self.retry(countdown=RETRY_PAUSED)
    if tally.status == "later":  # rows a killed worker claimed: looked up at the provider then
        raise self.retry(countdown=tally.wait)
    return tally.counts


def enqueue(campaign: Campaign, *, config: Config | None = None, on_chunk: Any = None) -> CampaignState:
    """Record ``campaign`` in the configured store and queue its chunks for the workers.

    Invalid rows are recorded here (a chunk of nothing but invalid rows is finished here too);
    returns the campaign's state once every chunk is queued.
    """
    config = config or load_config(os.environ.get("SMSGATE_CONFIG") or None)
    settings = CampaignSettings.of(config)
    if not settings.broker:
        raise ConfigError(f"{config.source}: [campaigns] broker is not set: campaigns run in-process")
    configure(settings.broker)
    store = settings.open_store(config)
    try:
        with settings.gateway(config, store) as gateway:
            flow = campaign.flow(gateway, store, partial(_queue, campaign, store), on_chunk=on_chunk, wait=False)
            return drive(flow, gateway, ThreadPoolExecutor(1))  # type: ignore[no-any-return]
    finally:
        store.close()


def _queue(campaign: Campaign, store: Store, chunk: Chunk) -> Generator[Any, Any, Tally]:
    if not chunk.rows:
        yield from close_chunk(store, Keys(campaign.id), chunk, campaign.spec.batch_size)
        return Tally(status="queued")
    eta = None if campaign.start_at is None else datetime.fromtimestamp(campaign.start_at, timezone.utc)
    rows = [[r.number, r.phone, r.params] for r in chunk.rows]
    rejects = [[r.number, r.reason, r.phone] for r in chunk.rejects]
    send_chunk.apply_async((campaign.id, chunk.number, rows, rejects), eta=eta)
    return Tally(status="queued")
