"""``smsgate worker``: a Celery worker that sends campaign chunks (needs the ``celery`` extra)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from .._config import load_config
from .._errors import SmsError
from ._output import ConfigOption, fail

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(worker)


def worker(
    config: ConfigOption = None,
    concurrency: Annotated[int, typer.Option(help="worker processes", min=1)] = os.cpu_count() or 1,
    loglevel: Annotated[str, typer.Option(help="Celery's log level")] = "warning",
    queue: Annotated[str, typer.Option(help="the queue to consume")] = "celery",
) -> None:
    """Run a Celery worker pool sending the chunks of campaigns queued on ``[campaigns] broker``."""
    try:
        from ..campaigns import CampaignSettings

        settings = CampaignSettings.of(load_config(config))
    except SmsError as exc:
        raise fail(exc) from None
    if not settings.broker:
        raise fail("[campaigns] broker is not set: without a broker campaigns run in `smsgate send --csv`")
    try:
        from ..campaigns.tasks import configure
    except ImportError:
        raise fail("smsgate worker needs its extra: pip install 'smsgate[celery]'") from None
    if config is not None:
        os.environ["SMSGATE_CONFIG"] = str(Path(config).resolve())  # read by every worker process
    argv = ["worker", f"--concurrency={concurrency}", "--pool=prefork", f"--loglevel={loglevel}", f"--queues={queue}"]
    configure(settings.broker).worker_main([*argv, "--without-gossip", "--without-mingle"])
