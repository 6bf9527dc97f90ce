"""Provider health and the sends-per-minute chart, from message views."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from smsgate.server.ui._providers import chart, delivery, health
from smsgate.server.ui._render import templates

NOW = 1_800_000_000.0


def view(provider: str, status: str, *, at: float = NOW - 5, took: float = 0.1, delivery: str | None = None) -> dict:
    error = {"category": "invalid", "message": "<b>bad</b>"} if status == "rejected" else None
    return {
        "id": "0" * 32,
        "status": status,
        "created_at": at,
        "phones": ["+14155550100"],
        "recipients": [
            {
                "phone": "+14155550100",
                "status": status,
                "provider": provider,
                "delivery": delivery,
                "message_id": None,
                "error": error,
            }
        ],
        "attempts": [
            {
                "provider": provider,
                "phones": ["+14155550100"],
                "status": status,
                "number": 1,
                "error": error,
                "created_at": at,
                "updated_at": at + took,
            }
        ],
    }


def test_rates_errors_latency_and_breakers():
    messages = [view("a", "accepted", took=t / 10, delivery="delivered") for t in range(1, 11)]
    messages += [view("a", "rejected"), view("b", "accepted", delivery="undelivered")]
    found = {h.provider: h for h in health(messages, {"a": "closed", "c": "open"})}
    assert found["a"].attempts == 11 and found["a"].acceptance == 10 / 11
    assert found["a"].delivery == 1.0 and found["b"].delivery == 0.0
    assert found["a"].errors == {"invalid": 1}
    assert 500 <= found["a"].percentile(50) <= 600 and found["a"].percentile(99) <= 1000
    assert found["c"].breaker == "open" and found["c"].acceptance is None and found["c"].percentile(50) is None


def test_chart_counts_per_minute_and_leaves_out_older_sends():
    messages = [
        view("a", "accepted", at=NOW - 10),
        view("a", "accepted", at=NOW - 20),
        view("b", "accepted", at=NOW - 90),
    ]
    messages.append(view("a", "accepted", at=NOW - 31 * 60))
    drawn = chart(messages, NOW)
    lines = {line["name"]: line for line in drawn["lines"]}
    assert drawn["top"] == 2 and lines["a"]["total"] == 2 and lines["b"]["total"] == 1
    assert lines["a"]["points"].split()[-1] == "300.0,5.0"  # the peak, this minute
    assert lines["b"]["points"].split()[-2].endswith(",52.5")  # half the peak, two minutes ago


def test_delivery_rate_per_interval_by_provider():
    messages = [
        view("a", "accepted", at=NOW - 10, delivery="delivered"),
        view("a", "accepted", at=NOW - 20),  # no receipt yet
        view("a", "accepted", at=NOW - 400, delivery="delivered"),  # the interval before
        view("b", "accepted", at=NOW - 30, delivery="undelivered"),
        view("b", "rejected", at=NOW - 30),  # not accepted: not counted
        view("a", "accepted", at=NOW - 31 * 60, delivery="delivered"),  # too old
    ]
    drawn = delivery(messages, NOW)
    lines = {line["name"]: line for line in drawn["lines"]}
    assert (lines["a"]["delivered"], lines["a"]["accepted"], lines["a"]["last"]) == (2, 3, 0.5)
    assert (lines["b"]["delivered"], lines["b"]["accepted"], lines["b"]["last"]) == (0, 1, 0.0)
    assert lines["a"]["points"].split() == ["240.0,5.0", "300.0,52.5"]  # gaps where nothing was accepted
    assert lines["b"]["points"] == "300.0,100.0" and drawn["top"] == 1.0


def _message_page(text: str) -> str:
    message = view("a", "rejected")
    message["recipients"][0]["error"] = {"category": "invalid", "message": text}
    event = {"at": NOW, "what": "try 1", "provider": text, "outcome": "rejected", "phones": [text], "error": text}
    return templates.env.get_template("message.html").render(message=message, timeline=[event], session=None, csrf="")


@given(st.text(max_size=60).map(lambda t: f"⟦{t}⟧"))  # marked: the text stands nowhere else in the page
def test_any_provider_text_is_escaped_in_a_message_page(text):
    # the page with the text is the page with a placeholder, the text standing escaped where it stood
    assert _message_page(text).replace(str(escape(text)), "\x00") == _message_page("\x00")
