"""``AliyunSmsExtension``: the seed's Aliyun SMS extension, on the core Aliyun provider."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ._sms import ProviderSmsExtension

__all__ = ["AliyunSmsConfig", "AliyunSmsExtension", "AliyunSmsSettings"]


class AliyunSmsSettings(BaseModel):
    """A tenant's Aliyun credentials (ArkID's ``SettingsSchema``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    access_key_id: str = Field(min_length=1)
    access_key_secret: SecretStr
    region_id: str | None = Field(None, description="default: cn-hangzhou")
    endpoint: str | None = Field(None, description="host, host:port or URL; default: dysmsapi.aliyuncs.com")


class AliyunSmsConfig(BaseModel):
    """One runtime config (ArkID's ``ConfigSchema``): sign name, template and its params."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    sign_name: str = Field(min_length=1, description="短信签名")
    template_code: str = Field(min_length=1, description="模板CODE")
    template_params: list[str] = Field(default_factory=lambda: ["code"], description="event data keys → params")
    sms_up_extend_code: str | None = None
    out_id: str | None = None


class AliyunSmsExtension(ProviderSmsExtension):
    """Sends ``SEND_SMS`` events through Aliyun; returns Aliyun's response (``Code``, ``Message``,
    ``BizId``, ``RequestId``) and raises 46002 with Aliyun's code when Aliyun refuses."""

    provider = "aliyun"
    package = "com.smsgate.sms.aliyun"
    name = "Aliyun SMS"
    settings_model = AliyunSmsSettings
    config_model = AliyunSmsConfig
