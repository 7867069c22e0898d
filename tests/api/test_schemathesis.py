"""Property-based API test: schemathesis reads the OpenAPI document the app serves and sends
generated requests to every operation; each response must be no server error and must
conform to the document (status code, content type, body schema)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

schema = schemathesis.pytest.from_fixture("served_schema")


@pytest.fixture(scope="package")
def api_token(api_app):
    from tests.auth import bearer
    return bearer(api_app, "schema-reader", "leadership")


@pytest.fixture(scope="package")
def served_schema(api_app, api_token):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app.server,
                                          headers=api_token)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, api_token):
    # not "every schema-valid request is accepted": the API also refuses, with a documented
    # 400, what OpenAPI 3.0 cannot state (dates 1980-2100, end after start and at most 400
    # days on); tests/api/test_api_ranges.py checks those rules
    # uncompressed: the WSGI transport does not decode brotli (compression: tests/test_ops.py)
    case.call_and_validate(excluded_checks=[positive_data_acceptance],
                           headers={"Accept-Encoding": "identity", **api_token})
