import re
from pathlib import Path

import smsgate

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_all_is_sorted_and_unique():
    assert smsgate.__all__ == sorted(set(smsgate.__all__))


def test_public_names_live_at_the_top():
    for name in smsgate.__all__:
        obj = getattr(smsgate, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__module__ == "smsgate", name


def test_docs_list_exactly_the_public_names():
    documented = set(re.findall(r"^\| `(\w+)` \|", DOC.read_text(encoding="utf-8"), re.M)) | {"__version__"}
    assert documented == set(smsgate.__all__)


def test_a_plain_import_loads_no_gateway_provider_or_transport() -> None:
    """``import smsgate`` loads the values and errors only: pydantic, phonenumbers, the HTTP clients and
    the gateways load when first named, and every public name still resolves."""
    import subprocess
    import sys

    code = (
        "import sys, smsgate\n"
        "heavy = ('pydantic', 'phonenumbers', 'aiohttp', 'urllib3', 'pyreqwest', 'smsgate._gateway')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "from smsgate import Gateway, AsyncGateway, ProviderSettings\n"
        "print(Gateway.__module__, 'pydantic' in sys.modules, all(hasattr(smsgate, n) for n in smsgate.__all__))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.splitlines() == ["[]", "smsgate True True"]
