"""Fuzzed configuration files and environments: a config, or one ConfigError naming the file or
variable; then a gateway, or a ConfigError naming what cannot be opened."""

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from smsgate import ConfigError, load_config

from .strategies import CONFIG_FILES, ENVIRON


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CONFIG_FILES, ENVIRON, st.sampled_from(["file", "file", "file", "directory", "missing"]))
def test_any_config_file_loads_or_is_a_config_error(content, environ, kind):
    with tempfile.TemporaryDirectory() as folder:
        here = os.getcwd()
        os.chdir(folder)
        try:
            path = Path(folder) / "smsgate.toml"
            if kind == "file":
                path.write_bytes(content)
            elif kind == "directory":
                path.mkdir()
            try:
                config = load_config(path, environ=environ)
            except ConfigError as exc:
                named = [p for p in exc.problems if p.startswith((f"{path}: ", "environment SMSGATE_"))]
                assert exc.problems and named == exc.problems, exc.problems  # each names its file or variable
                event("refused when loading")
                return
            try:
                config.gateway().close()
                event("loaded and opened")
            except ConfigError as exc:
                assert exc.problems
                event("refused when opening")
        finally:
            os.chdir(here)
