"""Writing app folders for element tests."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

SECRET = "testSecret"


def write_element(root: Path, name: str, e: dict[str, Any] | str, sms: dict[str, Any] | str | None = None) -> Path:
    """``root/SMS/<name>/e.json`` (and ``sms.json``); a str is written verbatim (for bad JSON)."""
    folder = root / "SMS" / name
    folder.mkdir(parents=True, exist_ok=True)
    for file, content in (("e.json", e), ("sms.json", sms)):
        if content is not None:
            text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=2)
            (folder / file).write_text(text, encoding="utf-8")
    return folder


def aliyun_element(root: Path, name: str, endpoint: str, **extra: Any) -> Path:
    """An ``SMS.Aliyun`` instance element with the seed's keys, pointing at ``endpoint``."""
    e = {"title": "我的阿里云短信", "type": "SMS.Aliyun", "backendBundleEntry": "."}
    sms = {"accessKey": "testAK", "accessSecret": SECRET, "verifySign": "阿里云短信测试", "endpoint": endpoint, **extra}
    return write_element(root, name, e, sms)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
