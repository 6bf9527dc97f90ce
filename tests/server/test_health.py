"""``/healthz``, ``/readyz``, ``/metrics`` and the OpenAPI document."""

from __future__ import annotations

from smsgate.policy.breaker import CircuitBreaker


def test_healthz_and_readyz_answer_without_a_key(api):
    with api.client(None) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "store": "ok", "providers": {"memory": "closed"}}


def test_readyz_is_503_when_the_store_fails(api):
    api.store.close()  # every operation now raises
    with api.client(None) as http:
        ready = http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["store"].startswith("unavailable")


def test_readyz_is_503_when_every_provider_circuit_is_open(api):
    breaker = CircuitBreaker(threshold=1, cooldown=3600)
    breaker._opened_at = breaker.clock()  # as after a failure
    api.service.gateway.breakers["memory"] = breaker
    with api.client(None) as http:
        ready = http.get("/readyz")
    assert ready.status_code == 503 and ready.json()["providers"] == {"memory": "open"}


def test_metrics_count_sends_outcomes_latency_breakers_and_requests(api):
    api.service.gateway.breakers["memory"] = CircuitBreaker()
    with api.client() as http:
        http.post("/v1/messages", json={"to": ["13800138000", "13900139000"], "template": "T"})
        api.service.gateway.providers["memory"].fail_with("recipient")
        http.post("/v1/messages", json={"to": ["13700137000"], "template": "T"})
        http.get("/v1/messages/" + "0" * 32)
        text = http.get("/metrics").text
    lines = set(text.splitlines())
    assert 'smsgate_recipients_total{status="accepted"} 2.0' in lines
    assert 'smsgate_recipients_total{status="rejected"} 1.0' in lines
    assert 'smsgate_attempts_total{provider="memory",status="accepted"} 1.0' in lines
    assert 'smsgate_attempts_total{provider="memory",status="rejected"} 1.0' in lines
    assert 'smsgate_attempt_seconds_count{provider="memory"} 2.0' in lines
    assert 'smsgate_breaker_state{provider="memory"} 0.0' in lines
    assert 'smsgate_http_requests_total{method="POST",route="/v1/messages",status="200"} 2.0' in lines
    assert 'smsgate_http_requests_total{method="GET",route="/v1/messages/{message_id}",status="404"} 1.0' in lines


def test_openapi_and_docs_are_served(api):
    with api.client(None) as http:
        schema = http.get("/openapi.json").json()
        docs = http.get("/docs")
    assert {"/v1/messages", "/v1/messages/{message_id}", "/healthz", "/readyz", "/metrics"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
