"""The Vessel Track client's reading of answers, the retry policy, and the time the sender's Lambdas get."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.clients import asaqc as remote
from chalicelib.models.queue import RetryPolicy

ROOT = Path(__file__).resolve().parents[2]


class Scripted:
    """A transport answering from a script: an HttpResponse, or an exception to raise."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, url, headers, body, timeout):
        self.calls.append((method, url, headers, body))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(*answers, lookup=False):
    credentials = remote.Credentials(
        token_url="https://login.test/token",
        client_id="id",
        client_secret="secret",
        scope="s",
        api_url="https://vt.test",
        subscription_key="key",
        receipt_lookup=lookup,
    )
    return remote.VesselTrackClient(credentials, transport=Scripted(*answers), timeout=5)


def ok(body) -> remote.HttpResponse:
    return remote.HttpResponse(200, json.dumps(body).encode())


@pytest.mark.parametrize(
    ("answer", "kind", "retryable"),
    [
        (ok({"id": "r-1", "fileName": "a.json"}), "accepted", False),
        (remote.HttpResponse(200, b"<html>ok</html>"), "unknown", True),
        (ok({"fileName": "a.json"}), "unknown", True),
        (remote.HttpResponse(500, b"oops"), "failed", True),
        (remote.HttpResponse(503, b""), "failed", True),
        (remote.HttpResponse(401, b"expired"), "failed", True),
        (remote.HttpResponse(408, b""), "failed", True),
        (remote.HttpResponse(429, b""), "failed", True),
        (remote.HttpResponse(400, b"bad"), "failed", False),
        (remote.HttpResponse(413, b"too large"), "failed", False),
        (remote.ConnectionRefused("refused"), "failed", True),
        (remote.Timeout("timed out"), "unknown", True),
        (remote.TransportError("reset"), "unknown", True),
    ],
)
def test_each_answer_is_read_as_the_sender_needs_it(answer, kind, retryable):
    vt = client(answer)
    outcome = vt.upload("a.json", b"{}", "1-abc", "token", call_id=9)
    assert (outcome.kind, outcome.retryable) == (kind, retryable)
    if kind != "accepted":
        assert "error" in outcome.response
    method, url, headers, body = vt.transport.calls[0]
    assert (method, url) == ("POST", "https://vt.test/vt/v1/api/upload-file-encoded")
    assert headers["Authorization"] == "Bearer token" and headers["Ocp-Apim-Subscription-Key"] == "key"
    assert headers["Idempotency-Key"] == "1-abc" and headers["X-Dougal-Call"] == "9"
    assert json.loads(body) == {"fileName": "a.json", "fileContent": "e30="}


def test_the_token_is_asked_with_client_credentials_and_kept():
    remote.forget_tokens()
    vt = client(ok({"access_token": "t1", "expires_in": 3600}))
    assert vt.token() == "t1" and vt.token() == "t1"
    (method, url, headers, body), *more = vt.transport.calls
    assert more == [] and (method, url) == ("POST", "https://login.test/token")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert body == b"grant_type=client_credentials&client_id=id&client_secret=secret&scope=s"
    vt.forget_token()
    vt.transport.answers.append(ok({"access_token": "t2", "expires_in": 3600}))
    assert vt.token() == "t2"
    remote.forget_tokens()


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        (remote.HttpResponse(400, b"invalid_client"), False),
        (remote.HttpResponse(401, b"invalid_client"), True),
        (remote.HttpResponse(500, b""), True),
        (ok({"no": "token"}), True),
        (remote.ConnectionRefused("down"), True),
    ],
)
def test_a_token_that_cannot_be_had_is_a_remote_error(answer, retryable):
    remote.forget_tokens()
    with pytest.raises(remote.RemoteError) as raised:
        client(answer).token()
    assert raised.value.retryable == retryable
    assert raised.value.error["type"] == "token"


def test_receipts_only_where_the_remote_offers_them():
    assert client().receipts("1-abc", "t") is None
    vt = client(ok([{"id": "r", "call": "3"}]), lookup=True)
    assert vt.receipts("1-abc", "t") == [{"id": "r", "call": "3"}]
    assert vt.transport.calls[0][1] == "https://vt.test/vt/v1/api/receipts?idempotencyKey=1-abc"
    for broken in (remote.HttpResponse(500, b""), ok({"not": "a list"}), remote.Timeout("slow")):
        with pytest.raises(remote.RemoteError):
            client(broken, lookup=True).receipts("1-abc", "t")


def test_urllib_refuses_what_is_not_http():
    with pytest.raises(remote.TransportError):
        remote.UrllibTransport().request("GET", "file:///etc/passwd", {}, None, 1)


def test_the_retry_policy_from_a_configuration():
    assert RetryPolicy.from_configuration({}) == (RetryPolicy(), [])
    policy, problems = RetryPolicy.from_configuration({"asaqc": {"retry": {"base": 5, "factor": 2, "max_attempts": 4}}})
    assert problems == [] and [policy.delay_seconds(n) for n in (1, 2, 3)] == [5, 10, 20]
    policy, problems = RetryPolicy.from_configuration(
        {"asaqc": {"retry": {"base": -1, "factor": "x", "max_attempts": True}}}
    )
    assert policy == RetryPolicy() and len(problems) == 3
    assert RetryPolicy(base=60, factor=10).delay_seconds(9) == 86_400  # a day at most


def test_the_scheduled_sender_has_time_for_an_item_in_every_stage():
    from chalicelib.handlers.queue import RESERVE_SECONDS
    from chalicelib.settings import Settings

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    needed = 2 * Settings().asaqc_timeout_seconds + RESERVE_SECONDS
    for name, stage in config["stages"].items():
        functions = stage.get("lambda_functions") or {}
        timeout = (functions.get("redrive_asaqc_transfers") or {}).get(
            "lambda_timeout", stage.get("lambda_timeout", config.get("lambda_timeout", 60))
        )
        assert timeout > needed, f"stage {name}: redrive_asaqc_transfers gets {timeout} s"
