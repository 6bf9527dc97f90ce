"""What ``sendMessage`` returns: the provider's own response, as a dict."""

from __future__ import annotations

from typing import Any

from .._models import SendResult

__all__ = ["SmsResponse", "response_of"]


class SmsResponse(dict[str, Any]):
    """The provider's response to the request that carried the message (for Aliyun: ``Code``,
    ``Message``, ``BizId``, ``RequestId``). Every type's has ``Code``: ``"OK"`` (Aliyun's own; added
    to the others', since a response is returned only when every phone was accepted).

    When the message had to be split into several requests (more recipients than the provider
    takes at once), the dict is the first request's response and :attr:`responses` holds every
    one, in order. :attr:`result` is the full :class:`~smsgate.SendResult`. Providers that answer
    in-process (``memory``, ``console``, ``file``) have no raw response: the dict is then
    ``result.to_dict()``.
    """

    result: SendResult
    responses: list[Any]

    def __init__(self, first: dict[str, Any], result: SendResult, responses: list[Any]) -> None:
        super().__init__(first)
        self.result = result
        self.responses = responses


def response_of(result: SendResult) -> SmsResponse:
    """The :class:`SmsResponse` for an accepted ``result``."""
    responses = [r if isinstance(r, dict) else {"body": r} for r in result.responses]
    first = responses[0] if responses else result.to_dict()
    return SmsResponse({"Code": "OK", **first}, result, responses)
