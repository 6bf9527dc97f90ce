"""SMS extensions, ArkID style: a platform core loads SMS plugins and dispatches ``SEND_SMS`` to them.

platform = Platform("extensions.sqlite3")
platform.register(AliyunSmsExtension())
platform.save_settings("tenant-1", "com.smsgate.sms.aliyun", {"access_key_id": …, "access_key_secret": …})
config_id = platform.add_config("tenant-1", "com.smsgate.sms.aliyun", {"sign_name": …, "template_code": …})
outcomes = platform.dispatch(Event(SEND_SMS, "tenant-1", "com.smsgate.sms.aliyun",
                                   {"config_id": config_id, "mobile": "13800138000", "code": "123456"}))
"""

from ._endpoints import EndpointPolicy
from ._event import SEND_SMS, Event, Outcome, Outcomes
from ._extension import Extension
from ._keys import Keys, generate_key
from ._platform import Platform
from ._sms import ProviderSmsExtension, SmsConfig, SmsExtension, event_message
from ._store import MASK, ConfigRecord, ExtensionStore, SettingsRecord
from .aliyun import AliyunSmsConfig, AliyunSmsExtension, AliyunSmsSettings

__all__ = [
    "MASK",
    "SEND_SMS",
    "AliyunSmsConfig",
    "AliyunSmsExtension",
    "AliyunSmsSettings",
    "ConfigRecord",
    "EndpointPolicy",
    "Event",
    "Extension",
    "ExtensionStore",
    "Keys",
    "Outcome",
    "Outcomes",
    "Platform",
    "ProviderSmsExtension",
    "SettingsRecord",
    "SmsConfig",
    "SmsExtension",
    "event_message",
    "generate_key",
]
