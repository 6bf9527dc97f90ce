"""Element provider classes come only from installed modules or the element's own folder."""

import pytest

from smsgate import ConfigError
from smsgate.elements import App

from .helpers import write_element

META = {"title": "t", "type": "SMS.Meta", "backendBundleEntry": "."}
EVIL = "import pathlib\npathlib.Path(__file__).with_name('ran').write_text('yes')\n"


def refused(root) -> list[str]:
    with pytest.raises(ConfigError) as info:
        App(root)
    return info.value.problems


@pytest.fixture
def outside(tmp_path_factory):
    """A module outside the app folder that leaves a mark if anything imports it."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "evil.py").write_text(EVIL)
    return folder


@pytest.mark.parametrize(
    "ref",
    [
        ".tmp.x.evil:P",
        "..evil:P",
        "/tmp/evil:P",
        "../../evil:P",
        "evil/../x:P",
        "evil.py:P",
        "evil:P.Q",
        "ev il:P",
        "evil:",
    ],
)
def test_paths_and_relative_names_are_refused_naming_file_and_field(tmp_path, ref):
    write_element(tmp_path / "app", "Bad", {**META, "providerClass": ref})
    (found,) = refused(tmp_path / "app")
    assert found.startswith(f"SMS/Bad/e.json: providerClass: {ref!r}: ")


def test_the_absolute_path_spelled_as_a_module_never_loads(tmp_path, outside):
    ref = "." + str(outside / "evil").replace("/", ".").lstrip(".") + ":P"
    write_element(tmp_path, "Bad", {**META, "providerClass": ref})
    (found,) = refused(tmp_path)
    assert "SMS/Bad/e.json: providerClass: " in found
    assert not (outside / "ran").exists()


def test_a_link_out_of_the_element_folder_is_refused(tmp_path, outside):
    folder = write_element(tmp_path, "Linked", {**META, "providerClass": "evil:P"})
    (folder / "evil.py").symlink_to(outside / "evil.py")
    (found,) = refused(tmp_path)
    assert found == "SMS/Linked/e.json: providerClass: 'evil:P': evil.py leads outside the element's folder"
    assert not (outside / "ran").exists()


def test_installed_modules_still_load(tmp_path):
    write_element(tmp_path, "Mem", {**META, "providerClass": "smsgate.providers.memory:MemoryProvider"})
    assert "SMS.Mem" in App(tmp_path).types
