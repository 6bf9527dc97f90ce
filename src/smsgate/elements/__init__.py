"""SMS elements, JitAi style: an app folder of ``SMS/<Name>/`` elements, each a thin layer on the core.

app = App("path/to/app")
sms = app.getElement("SMS.YourSmsName")
sms.sendMessage(phoneList=["13800138000"], params={"code": "6789"}, verifyTemplateCode="SMS_123456789")
"""

from ._app import App
from ._element import SmsElement, TypeElement
from ._response import SmsResponse
from ._types import element_types

__all__ = ["App", "SmsElement", "SmsResponse", "TypeElement", "element_types"]
