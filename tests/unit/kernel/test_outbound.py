"""Provider sessions read the environment's proxy and CA settings once, when made (issue #16): a
call no longer reads them, nor looks for ~/.netrc, yet goes where the environment says."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from shared.kernel.outbound import provider_session

PROVIDER = "https://api.kavenegar.com/v1/"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
                 "all_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def test_the_environments_proxy_and_ca_bundle_are_kept_and_no_longer_read_per_call(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    session = provider_session(PROVIDER)
    assert session.proxies["https"] == "http://proxy.internal:3128" and session.verify == str(bundle)
    assert session.trust_env is False
    monkeypatch.setenv("HTTPS_PROXY", "http://another:3128")  # read once: a restart takes it
    settings = session.merge_environment_settings(PROVIDER, {}, None, None, None)
    assert settings["proxies"]["https"] == "http://proxy.internal:3128" and settings["verify"] == str(bundle)


def test_a_provider_excluded_by_no_proxy_is_reached_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "kavenegar.com")
    session = provider_session(PROVIDER)
    assert "https" not in session.proxies and session.verify is True and session.trust_env is False


def test_urls_needing_different_proxies_keep_requests_reading_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "next.zarinpal.com")
    session = provider_session("https://payment.zarinpal.com/pg/v4/", "https://next.zarinpal.com/api/v4/graphql/")
    assert session.trust_env is True and not session.proxies


def test_a_call_goes_through_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[requests.PreparedRequest] = []

    def send(request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        sent.append(request)
        answer = requests.Response()
        answer.status_code, answer._content = 200, b"{}"
        return answer

    session = provider_session(PROVIDER)
    monkeypatch.setattr(session.get_adapter(PROVIDER), "send", send)
    assert session.post(PROVIDER + "key/sms/send.json", data={"receptor": "09121234567"}).json() == {}
    assert sent[0].url == PROVIDER + "key/sms/send.json"
