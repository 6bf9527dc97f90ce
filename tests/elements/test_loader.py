import pytest

from smsgate import ConfigError
from smsgate.elements import App, TypeElement
from smsgate.providers.aliyun import AliyunProvider
from smsgate.providers.memory import MemoryProvider

from .helpers import SECRET, aliyun_element, write_element

E = {"title": "t", "type": "SMS.Aliyun", "backendBundleEntry": "."}
META = {"title": "t", "type": "SMS.Meta", "backendBundleEntry": "."}
CREDS = {"accessKey": "a", "accessSecret": "s", "verifySign": "v"}


def problems(root) -> list[str]:
    with pytest.raises(ConfigError) as info:
        App(root)
    assert info.value.code == 46010
    return info.value.problems


def test_the_seed_folder_loads(tmp_path):
    aliyun_element(tmp_path, "YourSmsName", "127.0.0.1:9")
    app = App(tmp_path)
    element = app.getElement("SMS.YourSmsName")
    assert element is app.get_element("SMS.YourSmsName")
    assert (element.name, element.title, element.type) == ("SMS.YourSmsName", "我的阿里云短信", "SMS.Aliyun")
    assert isinstance(element.provider, AliyunProvider)
    s = element.provider.settings
    assert (s.access_key_id, s.access_key_secret.get_secret_value()) == ("testAK", SECRET)
    assert s.sign_name == "阿里云短信测试"
    assert (s.endpoint, s.region_id) == ("127.0.0.1:9", "cn-hangzhou")


def test_optional_region_and_snake_case_keys(tmp_path):
    sms = {"access_key_id": "a", "accessSecret": "s", "verifySign": "v", "regionId": "ap-southeast-1", "timeout": 3}
    write_element(tmp_path, "X", E, sms)
    s = App(tmp_path).getElement("SMS.X").provider.settings
    assert (s.region_id, s.timeout, s.access_key_id) == ("ap-southeast-1", 3.0, "a")


def test_every_problem_is_reported_at_once(tmp_path):
    write_element(tmp_path, "NoSign", E, {"accessKey": "a", "accessSecret": "s"})
    write_element(tmp_path, "BadType", {**E, "type": "SMS.Nope"}, {})
    write_element(tmp_path, "BadJson", '{\n  "title": "t",\n  "type": "SMS.Aliyun"\n  "backendBundleEntry": "."\n}')
    write_element(tmp_path, "Extra", {**E, "colour": "red"}, {"accessKey": "a", "accessSecret": "s", "verifySign": "v"})
    write_element(tmp_path, "ExtraSms", E, {"accessKey": "a", "accessSecret": "s", "verifySign": "v", "speed": 1})
    write_element(tmp_path, "NoTitle", {"type": "SMS.Aliyun", "backendBundleEntry": "."}, {})
    write_element(tmp_path, "Twice", E, {**CREDS, "access_key_id": "b"})
    (tmp_path / "SMS" / "NoFiles").mkdir()
    found = problems(tmp_path)
    assert "SMS/NoSign/sms.json: verifySign: required" in found
    assert any(p.startswith("SMS/BadType/e.json: type: unknown type 'SMS.Nope' (known: ") for p in found)
    assert any(p.startswith("SMS/BadJson/e.json: line 4, column 3: invalid JSON") for p in found)
    assert any(p.startswith("SMS/Extra/e.json: colour: unknown key") for p in found)
    assert any(p.startswith("SMS/ExtraSms/sms.json: speed: unknown key (known: ") for p in found)
    assert "SMS/NoTitle/e.json: title: required" in found
    assert "SMS/Twice/sms.json: access_key_id: given twice (also as accessKey)" in found
    assert "SMS/NoFiles/e.json: file not found" in found
    assert len(found) == 8, found


def test_missing_credentials_and_file_are_named(tmp_path):
    write_element(tmp_path, "Empty", E, {})
    write_element(tmp_path, "NoFile", E)
    found = problems(tmp_path)
    for key in ("accessKey", "accessSecret", "verifySign"):
        assert f"SMS/Empty/sms.json: {key}: required" in found
    assert "SMS/NoFile/sms.json: file not found" in found


def test_wrong_types_are_named_without_echoing_values(tmp_path):
    write_element(tmp_path, "X", E, {"accessKey": "a", "accessSecret": ["hunter2-secret"], "verifySign": "v"})
    write_element(tmp_path, "Y", {**E, "title": 5, "backendBundleEntry": "../.."}, {})
    found = problems(tmp_path)
    assert any(p.startswith("SMS/X/sms.json: accessSecret: ") for p in found)
    assert "hunter2" not in " ".join(found)
    assert "SMS/Y/e.json: title: must be a non-empty string" in found
    assert any(p.startswith("SMS/Y/e.json: backendBundleEntry: '../..' is not a folder inside") for p in found)


def test_not_an_object_and_not_a_folder(tmp_path):
    write_element(tmp_path, "List", "[1, 2]")
    assert problems(tmp_path) == ["SMS/List/e.json: expected a JSON object, got list"]
    with pytest.raises(ConfigError, match="not a directory"):
        App(tmp_path / "nowhere")


def test_other_providers_are_types_with_their_own_settings(tmp_path):
    write_element(tmp_path, "Dev", {**E, "type": "SMS.Memory"})
    write_element(tmp_path, "Bad", {**E, "type": "SMS.Tencent"}, {"secretId": "x", "sdkAppId": "1400000000"})
    found = problems(tmp_path)
    assert found and all(p.startswith("SMS/Bad/sms.json: ") for p in found)
    assert any(": secretKey: required" in p for p in found), found


def test_a_user_type_names_an_installed_provider_and_defaults(tmp_path):
    write_element(
        tmp_path,
        "OurAliyun",
        {"title": "ours", "type": "SMS.Meta", "backendBundleEntry": ".", "provider": "aliyun"},
        {"regionId": "cn-shanghai", "verifySign": "公司签名"},
    )
    write_element(tmp_path, "Login", {**E, "type": "SMS.OurAliyun"}, {"accessKey": "a", "accessSecret": "s"})
    write_element(
        tmp_path, "Promo", {**E, "type": "SMS.OurAliyun"}, {"accessKey": "a", "accessSecret": "s", "verifySign": "促销"}
    )
    app = App(tmp_path)
    assert isinstance(app.types["SMS.OurAliyun"], TypeElement)
    login, promo = app.getElement("SMS.Login").provider.settings, app.getElement("SMS.Promo").provider.settings
    assert (login.region_id, login.sign_name) == ("cn-shanghai", "公司签名")
    assert promo.sign_name == "促销"
    with pytest.raises(ConfigError, match="a type element, not an instance"):
        app.getElement("SMS.OurAliyun")


def test_a_user_type_overrides_a_builtin_one(tmp_path):
    write_element(tmp_path, "Aliyun", {**META, "title": "", "provider": "memory"})
    assert problems(tmp_path) == ["SMS/Aliyun/e.json: title: must be a non-empty string"]
    write_element(tmp_path, "Aliyun", {**META, "provider": "memory"})
    write_element(tmp_path, "Login", E)
    assert isinstance(App(tmp_path).getElement("SMS.Login").provider, MemoryProvider)


PROVIDER_PY = """
from smsgate.providers.memory import MemoryProvider

class LoudProvider(MemoryProvider):
    name = "loud"
"""


def test_a_user_type_brings_its_provider_class_in_its_bundle(tmp_path):
    folder = write_element(
        tmp_path, "Loud", {**META, "backendBundleEntry": "src", "providerClass": "loud:LoudProvider"}
    )
    (folder / "src").mkdir()
    (folder / "src" / "loud.py").write_text(PROVIDER_PY)
    write_element(tmp_path, "Shout", {**E, "type": "SMS.Loud"})
    assert type(App(tmp_path).getElement("SMS.Shout").provider).__name__ == "LoudProvider"


def test_bad_user_types_are_reported(tmp_path):
    meta = META
    write_element(tmp_path, "Both", {**meta, "provider": "aliyun", "providerClass": "x:Y"})
    write_element(tmp_path, "Neither", meta)
    write_element(tmp_path, "Gone", {**meta, "provider": "nope"})
    write_element(tmp_path, "NotAClass", {**meta, "providerClass": "json:dumps"})
    write_element(tmp_path, "NoModule", {**meta, "providerClass": "no_such_module_here:P"})
    found = problems(tmp_path)
    assert "SMS/Both/e.json: a type element names exactly one of provider, providerClass" in found
    assert "SMS/Neither/e.json: a type element names exactly one of provider, providerClass" in found
    assert any(p.startswith("SMS/Gone/e.json: provider: unknown provider 'nope'") for p in found)
    assert "SMS/NotAClass/e.json: providerClass: 'json:dumps': 'dumps' is not a smsgate Provider class" in found
    assert any(p.startswith("SMS/NoModule/e.json: providerClass: 'no_such_module_here:P': cannot") for p in found)
    assert len(found) == 5
