"""The ``smsgate`` command.

Exit codes: 0 every recipient accepted; 1 the send ran but some recipient was not accepted;
2 bad input or configuration (nothing sent). Errors are one line on stderr, never a traceback.

Each command group is a public module of this package with a ``register(app)`` function; the
modules are found and registered in name order, so a new group is one new file
(``cli/verify.py``) and nothing else. Import optional extras inside the command, not at the top of
the module, so that ``smsgate --help`` works without them.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

try:
    import typer
except ImportError:  # pragma: no cover - the cli extra is missing

    def main() -> None:
        sys.exit("the smsgate command needs its extra: pip install 'smsgate[cli]'")

else:
    import importlib
    import pkgutil
    from importlib.metadata import version
    from typing import Annotated

    from ._output import err, one_line

    app = typer.Typer(
        no_args_is_help=True,
        help="Send SMS through any provider.",
        pretty_exceptions_show_locals=False,  # locals may hold secrets
    )

    def _version(shown: bool) -> None:
        if shown:
            print(f"smsgate {version('smsgate')}")
            raise typer.Exit()

    @app.callback()
    def _options(
        _: Annotated[
            bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
        ] = False,
    ) -> None:
        """Send SMS through any provider."""

    def _register_all(target: typer.Typer) -> None:
        for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}").register(target)

    _register_all(app)

    def main() -> None:
        try:
            code = app(standalone_mode=False)
        except typer.TyperException as exc:  # typer's own (click) errors: a bad option or value
            text = str(getattr(exc, "format_message", exc.__str__)())
            if type(exc).__name__ == "NoArgsIsHelpError":  # no command: the help, as before
                print(text, file=sys.stderr)
                sys.exit(2)
            line = one_line(" ".join(f"{text} (see smsgate --help)".split()))  # one line, as every error
            err.print(f"smsgate: {line}", markup=False, highlight=False, soft_wrap=True)
            sys.exit(int(getattr(exc, "exit_code", 2)))
        except typer.Abort:  # Ctrl-C
            sys.exit(130)
        except Exception as exc:  # a bug: still one line, never a traceback that may hold secrets
            err.print(f"smsgate: internal error ({type(exc).__name__}); please report it", markup=False)
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)
