"""Shared test configuration. Fixture modules are listed in ``pytest_plugins``."""

pytest_plugins: list[str] = [
    "tests.fakes.aliyun",
    "tests.fakes.huawei",
    "tests.fakes.tencent",
    "tests.fixtures.redis",
    "tests.fixtures.postgres",
    "tests.fakes.gateways",
    "tests.fakes.twilio",
    "tests.fakes.vonage",
    "tests.fakes.sns",
    "tests.fakes.moto_server",
]
