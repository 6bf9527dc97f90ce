"""``smsgate serve``: the HTTP service on uvicorn (needs the ``server`` extra)."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Annotated

import typer

from .._config import ENV_FILE, load_config
from .._errors import SmsError
from ._output import ConfigOption, err, fail

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(serve)


def serve(
    config: ConfigOption = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes", min=1, max=256)] = 1,
) -> None:
    """Serve the /v1 API, /healthz, /readyz, /metrics and /docs until SIGTERM or Ctrl-C.

    On shutdown, sends still running finish and are recorded before the process exits. With
    several workers, /metrics reports them all (from a metrics directory made for this run and
    removed after it).
    """
    try:
        import uvicorn

        import smsgate.server  # noqa: F401  (fail here, not in a worker, when the extra is missing)
    except ImportError:
        raise fail("smsgate serve needs its extra: pip install 'smsgate[server]'") from None
    try:
        settings = load_config(config)
    except SmsError as exc:
        raise fail(exc) from None
    if config is not None:  # the workers load the same file
        os.environ[ENV_FILE] = str(config.resolve())
    err.print(f"smsgate: serving {settings.source} on http://{host}:{port} ({workers} worker(s))", markup=False)
    shared = tempfile.mkdtemp(prefix="smsgate-metrics-") if workers > 1 else None
    if shared is not None:  # the workers start after this and keep their metrics there
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = shared
    try:
        uvicorn.run(
            "smsgate.server:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
        )
    finally:
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)
