"""The API Gateway REQUEST authorizer: the same token check as the app, at the gateway.

The forged-token suite of ``test_auth`` is run against the authorizer function itself, through both
places a token may come from, and the app is shown to trust the authorizer's context in Lambda only.
"""

from __future__ import annotations

import json

import pytest

from chalicelib.handlers.authorizer import decide
from chalicelib.services import accounts, auth
from tests.integration.api.test_auth import FORGED, _valid
from tests.integration.conftest import reload_settings
from tests.integration.factories import make_account, make_project, token_for

METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/api/GET/project"


def event(headers: dict[str, str] | None = None, ip: str = "198.51.100.7") -> dict:
    return {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": headers or {},
        "requestContext": {"identity": {"sourceIp": ip}},
    }


@pytest.mark.parametrize("name", sorted(FORGED))
def test_forged_tokens_are_refused_at_the_gateway(database_url, name):
    token = FORGED[name]()
    for headers in ({"Authorization": f"Bearer {token}"}, {"Cookie": f"theme=dark; JWT={token}"}):
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            decide(event(headers))


def test_no_token_and_a_malformed_header_are_refused(database_url):
    for headers in ({}, {"authorization": "Basic dXNlcjpwYXNz"}, {"Cookie": "JWT="}):
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            decide(event(headers))


def test_a_valid_token_is_allowed_for_that_method_with_the_identity_in_the_context(database_url):
    answer = decide(event({"authorization": f"Bearer {_valid()}"}))
    assert answer["principalId"] == "mallory"
    statement = answer["policyDocument"]["Statement"]
    assert statement == [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}]
    admission = auth.Admission.from_context(answer["context"])
    assert admission is not None
    assert (admission.identity.name, admission.identity.role, admission.new_token) == ("mallory", "master", None)
    assert all(isinstance(v, str) for v in answer["context"].values())  # API Gateway takes flat values only


def test_the_cookie_works_as_well_as_the_header(database_url):
    answer = decide(event({"Cookie": f'a={{"x": 1}}; __Host-JWT={_valid()}'}))
    assert answer["principalId"] == "mallory"


def test_a_revoked_token_is_refused_at_the_gateway(database_url):
    account = make_account("navigator", "user", "correct horse battery")
    token = token_for("user", account_id=account)
    assert decide(event({"authorization": f"Bearer {token}"}))["principalId"] == "test-user"
    accounts.revoke_tokens("navigator")
    auth.forget_token_states()
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        decide(event({"authorization": f"Bearer {token}"}))


def test_an_implicit_guest_network_is_admitted_with_a_token_to_hand_back(database_url, monkeypatch):
    monkeypatch.setenv("DOUGAL_IMPLICIT_GUEST_NETWORKS", "10.20.0.0/16")
    reload_settings()
    answer = decide(event(ip="10.20.3.4"))
    admission = auth.Admission.from_context(answer["context"])
    assert admission is not None and admission.identity.implicit and admission.identity.role == "guest"
    assert admission.new_token
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        decide(event(ip="10.21.3.4"))


def _proxy_event(path: str, authorizer: dict | None, headers: dict | None = None) -> dict:
    """An API Gateway proxy event for ``GET path`` (one resource, no path parameters)."""
    context = {
        "resourcePath": path,
        "httpMethod": "GET",
        "requestId": "r-1",
        "identity": {"sourceIp": "198.51.100.7"},
        "stage": "api",
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": headers or {},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": context,
        "body": None,
        "isBase64Encoded": False,
    }


def test_the_app_trusts_the_authorizer_context_in_lambda_only(database_url, monkeypatch):
    from app import app

    make_project("alpha")
    admitted = decide(event({"authorization": f"Bearer {token_for('guest', projects=['alpha'])}"}))
    with_context = _proxy_event("/project", admitted["context"])
    # Outside Lambda a request context proves nothing: the token is asked for.
    assert app(with_context, None)["statusCode"] == 401
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "dougal-api")
    answer = app(with_context, None)
    assert answer["statusCode"] == 200
    assert [p["pid"] for p in json.loads(answer["body"])] == ["alpha"]
    # Roles stay the app's: a guest admitted at the gateway still may not create a project.
    post = _proxy_event("/project", admitted["context"])
    post["httpMethod"] = post["requestContext"]["httpMethod"] = "POST"
    post["body"] = json.dumps({"pid": "beta", "name": "B"})
    post["headers"] = {"content-type": "application/json"}
    refused = app(post, None)
    assert refused["statusCode"] == 401 and "master" in json.loads(refused["body"])["message"]
    # A route the gateway leaves unguarded (no context) still checks the token itself.
    assert app(_proxy_event("/project", None), None)["statusCode"] == 401
