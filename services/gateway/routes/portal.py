"""The customer portal's static pages (services/gateway/portal/): `/` and its assets.

Only files that are in the portal folder are served, looked up by name in a listing made at
import, so no path a client writes can reach outside it. HTML, JS and CSS are revalidated on
every load (no build step, so no hashed file names); the fonts carry their version in their
file names and are cached for a year. Every answer forbids sniffing and framing, and the content
security policy lets the pages talk to this origin only."""

from __future__ import annotations

import hashlib
from pathlib import Path

from werkzeug.wrappers import Request, Response

from services.gateway.routes.base import GatewayBase
from services.gateway.routing import route

PORTAL = Path(__file__).resolve().parents[1] / "portal"
FONT_FOLDER = "fonts"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".woff2": "font/woff2", ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8", ".ico": "image/x-icon",
}
REVALIDATE = "no-cache"
A_YEAR = "public, max-age=31536000, immutable"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'"),
}


class Asset:
    def __init__(self, path: Path, cache_control: str) -> None:
        self.body = path.read_bytes()
        self.content_type = CONTENT_TYPES[path.suffix]
        self.etag = hashlib.sha256(self.body).hexdigest()[:32]
        self.cache_control = cache_control


def _listing(folder: Path, cache_control: str) -> dict[str, Asset]:
    # Only regular files of a known type, by their bare name: "../x", "a/b" or "%2e%2e" are
    # simply not keys of this dict.
    if not folder.is_dir():
        return {}
    return {path.name: Asset(path, cache_control) for path in sorted(folder.iterdir())
            if path.is_file() and not path.is_symlink() and path.suffix in CONTENT_TYPES}


ASSETS = _listing(PORTAL, REVALIDATE)
FONTS = _listing(PORTAL / FONT_FOLDER, A_YEAR)


def serve(request: Request, asset: Asset | None) -> Response:
    if asset is None:
        response = Response("not found\n", status=404, mimetype="text/plain")
        response.headers.update(SECURITY_HEADERS)
        return response
    headers = {"Content-Type": asset.content_type, "Cache-Control": asset.cache_control,
               "ETag": f'"{asset.etag}"', **SECURITY_HEADERS}
    if asset.etag in request.if_none_match:
        return Response(status=304, headers=headers)
    return Response(asset.body, status=200, headers=headers)


class PortalRoutes(GatewayBase):
    @route("GET", "/", "The customer portal (Persian, right-to-left; English switch)", errors=(), own_response=True)
    def portal_page(self, request: Request) -> Response:
        return serve(request, ASSETS.get("index.html"))

    @route("GET", "/portal/<asset>", "A portal script, style sheet or icon", errors=("not_found",), own_response=True)
    def portal_asset(self, request: Request, asset: str) -> Response:
        return serve(request, ASSETS.get(asset))

    @route("GET", "/portal/fonts/<font>", "The portal's web font (Vazirmatn, OFL), cached for a year",
           errors=("not_found",), own_response=True)
    def portal_font(self, request: Request, font: str) -> Response:
        return serve(request, FONTS.get(font))
