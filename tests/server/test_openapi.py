"""schemathesis against the live ``/openapi.json``: no server errors, no response that breaks the schema.

Every operation gets a bounded number of generated requests, sent with a key to a real uvicorn;
every response is checked by schemathesis's checks (no 5xx; status code, content type, headers and
body conform to the schema; invalid data rejected).
"""

from __future__ import annotations

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES = 20
# A schema cannot say which numbers are mobile phones or that a template or a text is needed, so a
# schema-valid message may rightly get a 422: that one check is left out, every other one runs.
EXCLUDED = [positive_data_acceptance]


def test_the_api_keeps_its_schema(api):
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
    auth = {"Authorization": f"Bearer {api.tokens['all']}"}
    checked = []
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case):
            case.call_and_validate(base_url=api.url, headers=auth, session=session, excluded_checks=EXCLUDED)

        conforms()
        checked.append(operation.label)
    assert len(checked) == 19, checked
    served = session.get(f"{api.url}/metrics").text.splitlines()
    counted = sum(float(line.rsplit(" ", 1)[1]) for line in served if line.startswith("smsgate_http_requests_total{"))
    assert counted >= 3 * EXAMPLES  # the generated requests did reach the server
