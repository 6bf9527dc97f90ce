"""The ``smsgate`` command.

Exit codes: 0 every recipient accepted; 1 the send ran but some recipient was not accepted;
2 bad input or configuration (nothing sent). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

try:
    import typer
    from rich.console import Console
    from rich.table import Table
except ImportError:  # pragma: no cover - the cli extra is missing

    def main() -> None:
        sys.exit("the smsgate command needs its extra: pip install 'smsgate[cli]'")

else:
    from pydantic import SecretStr

    from ._config import load_config
    from ._errors import SmsError
    from ._models import Message, SendResult
    from ._phone import PhoneNumber
    from ._registry import available_providers, provider_class
    from .elements.cli import check_app, send_with_element

    app = typer.Typer(add_completion=False, no_args_is_help=True, help="Send SMS through any provider.")
    out = Console()
    err = Console(stderr=True)

    def _fail(error: SmsError | str, code: int = 2) -> typer.Exit:
        text = error if isinstance(error, str) else f"error {error.code}: {error}"
        err.print(f"[red]smsgate:[/red] {text}", markup=True, highlight=False, soft_wrap=True)
        return typer.Exit(code)

    def _params(pairs: list[str]) -> dict[str, str]:
        params = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise _fail(f"--param {pair!r}: expected key=value")
            params[key] = value
        return params

    @app.command()
    def send(
        to: Annotated[list[str], typer.Option("--to", help="recipient phone; repeat for more")],
        template: Annotated[str | None, typer.Option(help="template code, e.g. SMS_123456789")] = None,
        text: Annotated[str | None, typer.Option(help="text with ${name} params, for text providers")] = None,
        param: Annotated[list[str] | None, typer.Option("--param", help="template param key=value, repeatable")] = None,
        sign_name: Annotated[str | None, typer.Option(help="sign name (signature)")] = None,
        provider: Annotated[list[str] | None, typer.Option("--provider", help="only these, in order")] = None,
        config: Annotated[Path | None, typer.Option(help="TOML file (or $SMSGATE_CONFIG, ./smsgate.toml)")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
        app_dir: Annotated[Path | None, typer.Option("--app", help="send through an app folder's element")] = None,
        element: Annotated[str | None, typer.Option(help="the element, e.g. SMS.YourSmsName (with --app)")] = None,
    ) -> None:
        """Send one message and print what became of every recipient."""
        message = Message(to=to, template=template, text=text, params=_params(param or []), sign_name=sign_name)
        try:
            if app_dir is not None or element is not None:
                result = send_with_element(app_dir, element, message)
            else:
                with load_config(config).gateway() as gateway:
                    result = gateway.send(message, providers=provider or None)
        except SmsError as exc:
            raise _fail(exc) from None
        _show(result, as_json)
        raise typer.Exit(0 if result.ok else 1)

    def _show(result: SendResult, as_json: bool) -> None:
        if as_json:
            print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
            return
        table = Table("phone", "status", "provider", "message id / error")
        for row in result.recipients:
            detail = row.message_id or (f"{row.error.code} {row.error}" if row.error else "")
            colour = "green" if row.ok else "red"
            table.add_row(row.phone.e164, f"[{colour}]{row.status}[/{colour}]", row.provider or "-", detail)
        out.print(table)

    @app.command()
    def log(
        phone: Annotated[str | None, typer.Option(help="only records for this phone")] = None,
        message_id: Annotated[str | None, typer.Option(help="only this message and its requests")] = None,
        limit: Annotated[int, typer.Option(help="at most this many records")] = 50,
        config: Annotated[Path | None, typer.Option(help="TOML file (or $SMSGATE_CONFIG, ./smsgate.toml)")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print as JSON lines")] = False,
    ) -> None:
        """Show the send log: every message and every request, oldest first."""
        try:
            settings = load_config(config)
            if not settings.send_log:
                raise _fail(f"{settings.source}: no send_log is configured")
            from .stores.sqlite import SQLiteStore

            store = SQLiteStore(settings.send_log)
            e164 = PhoneNumber.parse(phone, settings.default_region).e164 if phone else None
            records = store.log_query(phone=e164, message_id=message_id, limit=limit)
            store.close()
        except SmsError as exc:
            raise _fail(exc) from None
        if as_json:
            for record in records:
                print(record.to_json())
            return
        table = Table("when", "kind", "message", "phones", "status", "provider")
        for r in records:
            when = datetime.fromtimestamp(r.created_at).isoformat(sep=" ", timespec="seconds")
            table.add_row(when, r.kind, r.message_id[:12], ", ".join(r.phones), r.status, r.provider or "")
        out.print(table)

    @app.command()
    def providers(as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False) -> None:
        """List installed providers and their settings."""
        described = []
        for name in available_providers():
            try:
                described.append(_describe(name))
            except Exception as exc:  # a broken third-party plugin must not hide the others
                described.append({"name": name, "error": f"cannot load: {type(exc).__name__}: {exc}"})
        if as_json:
            print(json.dumps(described, indent=2))
            return
        for info in described:
            if "error" in info:
                out.print(f"[bold]{info['name']}[/bold]  [red]{info['error']}[/red]")
                continue
            kinds = " + ".join(k for k in ("template", "text") if info[k])
            out.print(f"[bold]{info['name']}[/bold]  takes {kinds}, up to {info['max_recipients']} per request")
            table = Table("setting", "type", "required", "default", "about", box=None, pad_edge=False)
            for field in info["settings"]:
                required = "yes" if field["required"] else ""
                table.add_row(field["name"], field["type"], required, field["default"], field["about"])
            out.print(table)

    def _describe(name: str) -> dict[str, Any]:
        cls = provider_class(name)
        fields = []
        for key, field in cls.settings_model.model_fields.items():
            secret = field.annotation is SecretStr or "SecretStr" in str(field.annotation)
            value = None if field.is_required() or secret else field.get_default(call_default_factory=True)
            default = "" if value is None else str(value) if isinstance(value, Path) else repr(value)
            annotation = "secret" if secret else getattr(field.annotation, "__name__", str(field.annotation))
            fields.append(
                {
                    "name": field.alias or key,
                    "type": str(annotation).replace("typing.", ""),
                    "required": field.is_required(),
                    "default": default,
                    "about": field.description or "",
                }
            )
        return {
            "name": name,
            "template": cls.takes_template,
            "text": cls.takes_text,
            "max_recipients": cls.max_recipients,
            "settings": fields,
        }

    @app.command()
    def check(app_dir: Annotated[Path, typer.Argument(help="an app folder holding SMS/<Name>/ elements")]) -> None:
        """Validate an app folder's SMS elements; print every problem (exit 1 if any)."""
        elements, problems = check_app(app_dir)
        for problem in problems:
            err.print(problem, markup=False, highlight=False, soft_wrap=True)
        if problems:
            raise _fail(f"{len(problems)} problem(s) in {app_dir}", code=1)
        out.print(f"{app_dir}: {len(elements)} element(s) OK: {', '.join(elements)}", markup=False, soft_wrap=True)

    def main() -> None:
        app()


if __name__ == "__main__":  # pragma: no cover
    main()
