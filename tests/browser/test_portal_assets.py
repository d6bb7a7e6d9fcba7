"""The gateway serves the portal's files: the right content types, caching that lets a new
release reach people at once (HTML/JS/CSS revalidated, versioned fonts kept a year), a
content security policy that keeps every request on this origin, and nothing outside the
portal folder however the path is written."""

from __future__ import annotations

import http.client
import re
from typing import Any

import requests

from services.gateway.routes.portal import ASSETS, FONTS, PORTAL


def get(url: str, **headers: str) -> requests.Response:
    return requests.get(url, headers=headers, timeout=10)


def test_the_page_and_its_assets_have_their_types_and_caching(portal: dict[str, Any]) -> None:
    url = portal["url"]
    page = get(f"{url}/")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-cache"
    assert '<html lang="fa" dir="rtl">' in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "font-src 'self'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"

    expected = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8",
                "icon.svg": "image/svg+xml"}
    for name, content_type in expected.items():
        answer = get(f"{url}/portal/{name}")
        assert answer.status_code == 200 and answer.headers["Content-Type"] == content_type, name
        assert answer.headers["Cache-Control"] == "no-cache"
        again = get(f"{url}/portal/{name}", **{"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304 and again.content == b""

    font = get(f"{url}/portal/fonts/Vazirmatn-Regular.v33.0.3.woff2")
    assert font.status_code == 200 and font.headers["Content-Type"] == "font/woff2"
    assert font.content[:4] == b"wOF2"
    assert font.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_every_file_the_page_refers_to_is_served_and_nothing_leaves_the_origin(portal: dict[str, Any]) -> None:
    url = portal["url"]
    texts = [get(f"{url}/").text, get(f"{url}/portal/app.css").text,
             *(get(f"{url}/portal/{name}").text for name in ASSETS if name.endswith(".js"))]
    referred = set()
    for text in texts:
        referred |= set(re.findall(r"""(?:src|href)=["'](/portal/[^"']+)["']""", text))
        referred |= set(re.findall(r"""url\(["']?(/portal/[^"')]+)["']?\)""", text))
        referred |= {f"/portal/{name[2:]}" for name in re.findall(r"""from ["'](\./[\w-]+\.js)["']""", text)}
        # No CDN, no other host: the only absolute addresses are this origin's paths.
        assert not re.search(r"""(?:src|href)=["']https?://|url\(["']?https?://|fetch\(["']https?://""", text)
    assert {"/portal/app.js", "/portal/app.css", "/portal/fonts/Vazirmatn-Regular.v33.0.3.woff2"} <= referred
    for path in referred:
        assert get(f"{url}{path}").status_code == 200, path


def test_no_path_reaches_outside_the_portal_folder(portal: dict[str, Any]) -> None:
    url = portal["url"]
    assert (PORTAL.parent / "service.py").exists()
    for path in ("/portal/../service.py", "/portal/..%2fservice.py", "/portal/%2e%2e%2fservice.py",
                 "/portal/fonts/..%2f..%2fservice.py", "/portal/fonts/../../service.py", "/portal/nosuch.js",
                 "/portal/.%2e/routes/portal.py", "/portal/fonts/OFL.txt%00.woff2", "/portal/fonts",
                 "/portal/%2fetc%2fpasswd", "/portal/app.js/", "/portal/fonts/..%5c..%5cservice.py"):
        # http.client sends the path exactly as written (requests would tidy the dots away).
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=10)
        connection.request("GET", path)
        answer = connection.getresponse()
        body = answer.read().decode(errors="replace")
        connection.close()
        assert answer.status in (301, 308, 404), (path, answer.status)
        assert "GatewayService" not in body and "root:" not in body, path
    # Only the listed files exist for the gateway; the font folder holds fonts and their licence.
    assert "index.html" in ASSETS and set(FONTS) == {"Vazirmatn-Regular.v33.0.3.woff2",
                                                      "Vazirmatn-Bold.v33.0.3.woff2", "OFL.txt"}
