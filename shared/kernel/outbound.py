"""The one way a provider client (Kavenegar, Zarinpal, the taxpayer system) makes its HTTP session."""

from __future__ import annotations

import os

import requests
from requests.utils import get_environ_proxies


def provider_session(*urls: str) -> requests.Session:
    """A keep-alive session for one provider's ``urls``, with the environment's settings for them
    (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``) read once, here. requests otherwise reads
    them, and looks for ``~/.netrc``, on every call: a sixth of a call's CPU on this machine (1.65 →
    1.35 ms a call to a local server; issue #16). A change of those variables takes a restart, as
    every other setting does. Should the urls need different proxies, the session reads the
    environment on every call, as requests does by default."""
    session = requests.Session()
    proxies = [get_environ_proxies(url) for url in urls]
    if all(each == proxies[0] for each in proxies):
        session.proxies.update(proxies[0] if proxies else {})
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        session.trust_env = False
    return session
