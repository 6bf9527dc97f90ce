import pytest

from smsgate import AsyncGateway, Gateway, HttpRequest, HttpResponse, Message, MockTransport, OutcomeUnknown


def test_sync_handler_records_requests():
    transport = MockTransport(lambda request: HttpResponse(200, body=request.body))
    assert transport.handle_request(HttpRequest("POST", "http://x", body=b"a")).body == b"a"
    assert [r.body for r in transport.requests] == [b"a"]


async def test_async_handler():
    async def handler(request):
        return HttpResponse(201)

    assert (await MockTransport(handler).handle_async_request(HttpRequest("GET", "http://x"))).status == 201


def test_async_handler_cannot_serve_sync():
    async def handler(request):
        return HttpResponse(201)

    with pytest.raises(TypeError, match="async handler"):
        MockTransport(handler).handle_request(HttpRequest("GET", "http://x"))


def test_handler_errors_surface_as_results():
    def handler(request):
        raise OutcomeUnknown("simulated timeout")

    # the console provider is local, so use a minimal HTTP provider defined in the test
    from smsgate import Provider, RecipientResult

    class Echo(Provider):
        name = "echo"

        def build_request(self, message, recipients):
            return self.request("POST", "http://echo.invalid/", recipients)

        def parse(self, request, response):
            return [self.accepted(p, "id") for p in request.recipients]

    result = Gateway([Echo()], transport=MockTransport(handler)).send(Message(to="13800138000", template="T"))
    assert result.recipients[0].status.value == "unknown" and result.recipients[0].provider == "echo"
    assert isinstance(result.recipients[0], RecipientResult)


async def test_same_result_sync_and_async():
    from smsgate import Provider

    class Echo(Provider):
        name = "echo"
        max_recipients = 2

        def build_request(self, message, recipients):
            return self.request("POST", "http://echo.invalid/", recipients)

        def parse(self, request, response):
            return [self.accepted(p, p.e164[-4:]) for p in request.recipients]

    transport = MockTransport(lambda request: HttpResponse(200, body=b"{}"))
    message = Message(to=["13800138000", "13900139000", "13700137000"], template="T")
    sync = Gateway([Echo()], transport=transport).send(message)
    asynchronous = await AsyncGateway([Echo()], transport=transport).send(message)
    view = lambda r: [(x.phone.e164, x.status, x.provider, x.message_id) for x in r.recipients]  # noqa: E731
    assert view(sync) == view(asynchronous) and len(sync.attempts) == len(asynchronous.attempts) == 2
    assert len(transport.requests) == 4
