"""``smsgate campaigns list|show|pause|resume`` and the bulk path of ``smsgate send --csv FILE``.

Without a ``[campaigns] broker`` the campaign runs here, with a progress bar; Ctrl-C stops it
between chunks, paused and resumable (``--resume ID``). With a broker its chunks are queued for
``smsgate worker`` processes and the command returns the campaign's id.
"""

from __future__ import annotations

import csv
import json
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from .._config import Config, load_config
from .._errors import SmsError
from ..campaigns import COUNTS, RECEIPTS, Campaign, Campaigns, CampaignSettings, CampaignState
from ..stores.base import Store
from ._output import ConfigOption, JsonOption, err, fail, out

__all__ = ["register", "send_campaign"]

INTERRUPTED = 130
group = typer.Typer(no_args_is_help=True, help="Bulk sends: list, show, pause and resume campaigns.")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="campaigns")


def _open(config_path: Path | None) -> tuple[Config, CampaignSettings, Store]:
    config = load_config(config_path)
    settings = CampaignSettings.of(config)
    return config, settings, settings.open_store(config)


def send_campaign(
    csv_file: Path | None,
    resume: str | None,
    *,
    template: str | None,
    text: str | None,
    params: dict[str, str],
    sign_name: str | None,
    param_columns: list[str] | None,
    phone_column: str,
    rejects: Path | None,
    name: str | None,
    config: Path | None,
) -> None:
    """``smsgate send --csv FILE`` / ``--resume ID``: exits 0 when every valid row was accepted."""
    campaign: Campaign | None = None
    try:
        cfg, settings, store = _open(config)
        if resume is not None:
            campaign = Campaign.resume(Campaigns(store).find(resume).id, store)
        else:
            assert csv_file is not None
            if not csv_file.is_file():
                raise fail(f"--csv {csv_file}: no such file")
            campaign = Campaign(
                csv_file, template=template, text=text, params=params, sign_name=sign_name, name=name,
                phone_column=phone_column, param_columns=param_columns or None, limits=settings.limits(cfg),
                chunk_size=settings.chunk_size, batch_size=settings.batch_size, concurrency=settings.concurrency,
                lease=settings.lease, settle_after=settings.settle_after,
            )  # fmt: skip
        state = _run(campaign, cfg, settings, store)
        if rejects is not None:
            _write_rejects(Campaigns(store), campaign.id, rejects)
    except SmsError as exc:
        raise fail(exc) from None
    except typer.Exit:
        raise
    except Exception as exc:  # the store or the broker failed: rows claimed and not recorded stay unknown
        hint = f"; resume with `smsgate send --resume {campaign.id}`" if campaign is not None else ""
        raise fail(f"stopped: {type(exc).__name__}: {exc}{hint}", code=1) from None
    _summary(state)
    if state.status == "paused":
        err.print(Text(f"paused: resume with `smsgate send --resume {state.id}`"), highlight=False)
        raise typer.Exit(INTERRUPTED)
    c = state.counts
    raise typer.Exit(0 if state.status == "running" or c["accepted"] == c["queued"] else 1)


def _run(campaign: Campaign, config: Config, settings: CampaignSettings, store: Store) -> CampaignState:
    total = _rows_in(campaign.source.path)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[rate]} rows/s"), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(f"campaign {campaign.id}", total=total, rate="-")

        def advance(chunk: Any, tally: Any) -> None:
            progress.advance(task, chunk.size)
            speed = progress.tasks[0].speed
            progress.update(task, rate=f"{speed:,.0f}" if speed else "-")

        if settings.broker:
            from ..campaigns.tasks import enqueue

            return enqueue(campaign, config=config, on_chunk=advance)
        with settings.gateway(config, store) as gateway, _interruptible() as stopped:
            return campaign.run(gateway, store=store, stop=stopped, on_chunk=advance)


class _interruptible:
    """Ctrl-C asks the campaign to stop after the current chunk; a second Ctrl-C interrupts at once."""

    def __enter__(self) -> Any:
        self.asked = False
        self.previous = signal.signal(signal.SIGINT, self._ask)
        return lambda: self.asked

    def _ask(self, signum: int, frame: Any) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
        err.print("stopping after this chunk (Ctrl-C again to interrupt now)", highlight=False)

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self.previous)


def _rows_in(path: str | None) -> int | None:
    if path is None:
        return None
    lines = 0
    with open(path, "rb") as src:
        while block := src.read(1 << 20):
            lines += block.count(b"\n")
    return max(0, lines - 1) if path.endswith(".csv") else lines


def _write_rejects(campaigns: Campaigns, campaign_id: str, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(["row", "phone", "reason"])
        for reject in campaigns.rejects(campaign_id):
            writer.writerow([reject.number, reject.phone, reject.reason])


def _summary(state: CampaignState) -> None:
    shown = [name for name in COUNTS if name not in RECEIPTS or state.counts[name]]  # receipts once some came
    counts = "  ".join(f"{name} {state.counts[name]:,}" for name in shown)
    out.print(Text(f"campaign {state.id} {state.status}: {counts}"), highlight=False, soft_wrap=True)


@group.command("list")
def list_(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The newest campaigns, with their status and counts."""
    try:
        _, _, store = _open(config)
        states = Campaigns(store).list()
    except SmsError as exc:
        raise fail(exc) from None
    if as_json:
        print(json.dumps([s.to_dict() for s in states], ensure_ascii=False, indent=2))
        return
    shown = ("total", "accepted", "rejected", "unknown")
    table = Table("id", "name", "status", *shown)
    for s in states:
        table.add_row(Text(s.id), Text(s.name), Text(s.status), *(f"{s.counts[n]:,}" for n in shown))
    out.print(table)


@group.command()
def show(
    campaign_id: Annotated[str, typer.Argument(help="the campaign's id or name")],
    rejects: Annotated[Path | None, typer.Option(help="write every rejected row to this CSV file")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """One campaign: status, counts, chunks; ``--rejects FILE`` writes its rejected rows."""
    try:
        _, _, store = _open(config)
        campaigns = Campaigns(store)
        state = campaigns.find(campaign_id)
        if rejects is not None:
            _write_rejects(campaigns, state.id, rejects)
    except SmsError as exc:
        raise fail(exc) from None
    if as_json:
        print(json.dumps(state.to_dict(), ensure_ascii=False, indent=2))
        return
    _summary(state)
    chunks = "?" if state.chunks is None else f"{state.chunks:,}"
    out.print(Text(f"chunks done {state.chunks_done:,} of {chunks}; template {state.spec.get('template')}"))


@group.command()
def pause(
    campaign_id: Annotated[str, typer.Argument(help="the campaign's id or name")], config: ConfigOption = None
) -> None:
    """Stop sending new rows; rows in flight finish."""
    try:
        _, _, store = _open(config)
        campaigns = Campaigns(store)
        _summary(campaigns.pause(campaigns.find(campaign_id).id))
    except SmsError as exc:
        raise fail(exc) from None


@group.command()
def resume(
    campaign_id: Annotated[str, typer.Argument(help="the campaign's id or name")],
    rejects: Annotated[Path | None, typer.Option(help="write every rejected row to this CSV file")] = None,
    config: ConfigOption = None,
) -> None:
    """Go on with a paused campaign: here (from its file), or, with a broker, on the workers."""
    try:
        _, settings, store = _open(config)
        campaigns = Campaigns(store)
        state = campaigns.resume(campaigns.find(campaign_id).id)
    except SmsError as exc:
        raise fail(exc) from None
    if settings.broker and state.chunks is not None:  # every chunk is queued: the workers go on
        _summary(state)
        return
    send_campaign(None, state.id, template=None, text=None, params={}, sign_name=None, param_columns=None,
                  phone_column="phone", rejects=rejects, name=None, config=config)  # fmt: skip


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run `smsgate campaigns`")
