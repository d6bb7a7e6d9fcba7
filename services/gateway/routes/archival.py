"""Lapse, deletion, exports, restore and opening balances (AR-1 … AR-5): archival's routes.
Files travel from archival in chunks over RPC (no shared disk between gateway and service)
and are handed to the client with Content-Disposition."""

from __future__ import annotations

import base64
import tempfile
from typing import Any

from nameko.rpc import RpcProxy
from pydantic import ValidationError
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import wrap_file

from services.gateway.http_edge import API_HEADERS, HttpError, call, json_response
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import Body, Route, route, routes_of
from shared.http.archival import MAX_UPLOAD_BYTES, ExportRequest, OpeningBalancesUpload, RestoreRequest
from shared.http.errors import error_body
from shared.kernel.logging import get_logger

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEEN = ("unauthorized", "forbidden", "not_found", "service_unavailable")


def _who(claims: dict[str, Any]) -> tuple[str, list[str]]:
    return str(claims["sub"]), list(claims.get("roles", []))


def _file(content: Any, media_type: str, file_name: str) -> Response:
    response = Response(content, mimetype=media_type, direct_passthrough=True, headers=API_HEADERS)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


class ArchivalRoutes(GatewayBase):
    archival = RpcProxy("archival")

    @route("GET", "/archival/tenants/<tenant_id>", "A business's archival state: lapse and deletion dates (ISO "
           "and Jalali), whether reports can still be taken, backups retained until (AR-1, AR-2)", errors=SEEN)
    def archival_status(self, request: Request, tenant_id: str) -> Any:
        return call(self.archival, "tenant_status", tenant_id, *_who(self.claims(request)))

    @route("POST", "/archival/tenants/<tenant_id>/exports", "Export the business's data as xlsx, csv (zip) or "
           "json; built in the background, ExportReady by SMS (AR-4, AR-2)", body=ExportRequest, answers=202,
           errors=("invalid_json", "invalid_request", "invalid_export_format", "no_books", "tenant_deleted", *SEEN))
    def request_export(self, request: Request, tenant_id: str, body: Body[ExportRequest]) -> Any:
        export_format = body().format
        return call(self.archival, "request_export", tenant_id, *_who(self.claims(request)), export_format)

    @route("GET", "/archival/exports/<export_id>", "An export's progress as JSON, or the file once ready (AR-4)",
           errors=("export_not_ready", *SEEN), own_response=True)
    def export(self, request: Request, export_id: str) -> Response:
        try:
            user, roles = _who(self.claims(request))
            status = call(self.archival, "export_status", export_id, user, roles)
            if status["status"] != "ready":
                return json_response(200, status, self.correlation_id)
            # Spooled: small exports stay in memory, large ones go to a temporary file.
            spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the response closes it
            offset = 0
            while True:
                chunk = call(self.archival, "export_chunk", export_id, user, roles, offset)
                data = base64.b64decode(chunk["data"])
                spool.write(data)
                offset += len(data)
                if chunk["eof"]:
                    break
            spool.seek(0)
            response = _file(wrap_file(request.environ, spool), status["media_type"], status["file_name"])
            response.headers["Content-Length"] = str(offset)
            return response
        except HttpError as error:
            code, body = error_body(error.code, error.details)
        except Exception:  # noqa: BLE001 - the client gets a clean 500; the log gets the trace
            get_logger().exception("gateway.unhandled", path=request.path)
            code, body = error_body("internal_error")
        return json_response(code, body, self.correlation_id)

    @route("POST", "/archival/tenants/<tenant_id>/restore-requests", "Ask to restore deleted data from the "
           "latest retained backup: a billing order at the restore price (AR-3)", body=RestoreRequest, answers=202,
           errors=("invalid_json", "invalid_request", "not_deleted", "no_backup_retained", "busy_try_again", *SEEN))
    def request_restore(self, request: Request, tenant_id: str, body: Body[RestoreRequest]) -> Any:
        body()  # validated and refused if wrong; archival needs nothing from it
        return call(self.archival, "request_restore", tenant_id, *_who(self.claims(request)))

    @route("GET", "/archival/opening-balances/template", "The Excel template for opening balances (AR-5)",
           errors=("service_unavailable",), own_response=True)
    def opening_balances_template(self, request: Request) -> Response:
        try:
            content = base64.b64decode(call(self.archival, "opening_balances_template"))
        except HttpError as error:
            return json_response(*error_body(error.code, error.details), self.correlation_id)
        return _file(content, XLSX, "opening-balances-template.xlsx")

    @route("POST", "/archival/tenants/<tenant_id>/opening-balances", "Import opening balances from the template "
           "(xlsx body, multipart 'file' or JSON {workbook_base64, as_of}); only posting accounts (معین) with "
           "their details, a Jalali as-of date, debits = credits; row-level errors, all or nothing (AR-5)", answers=201,
           errors=("invalid_workbook", "invalid_opening_balances", "opening_balances_exist", "file_too_large",
                   "invalid_json", "invalid_request", "no_books", "tenant_deleted", *SEEN))
    def import_opening_balances(self, request: Request, tenant_id: str) -> Any:
        user, roles = _who(self.claims(request))
        return call(self.archival, "import_opening_balances", tenant_id, user, roles, *_upload(request))

    @route("POST", "/archival/tenants/<tenant_id>/opening-balances/preview", "Check an opening-balances workbook "
           "without importing it: each row with its account's Persian name, every problem by row in Persian and "
           "English, totals and the as-of date (Jalali and ISO); nothing is written (AR-5)",
           errors=("invalid_workbook", "file_too_large", "invalid_json", "invalid_request", "no_books",
                   "tenant_deleted", *SEEN))
    def preview_opening_balances(self, request: Request, tenant_id: str) -> Any:
        user, roles = _who(self.claims(request))
        return call(self.archival, "preview_opening_balances", tenant_id, user, roles, *_upload(request))


def _upload(request: Request) -> tuple[str, str | None]:
    """(the workbook as base64, the as-of date if given apart from it) from a JSON body
    (OpeningBalancesUpload), a multipart `file` (+ `as_of` field) or an xlsx body (+ `?as_of=`)."""
    if (request.content_length or 0) > (MAX_UPLOAD_BYTES * 4) // 3 + 64 * 1024:
        raise HttpError("file_too_large")
    if request.mimetype == "application/json":
        raw = request.stream.read((MAX_UPLOAD_BYTES * 4) // 3 + 1024)
        try:
            body = OpeningBalancesUpload.model_validate_json(raw)
        except ValidationError as exc:
            if any(e["type"] == "json_invalid" for e in exc.errors()):
                raise HttpError("invalid_json") from None
            raise HttpError("invalid_request", fields=[{"field": ".".join(str(p) for p in e["loc"]),
                                                        "problem": e["type"]} for e in exc.errors()]) from None
        return body.workbook_base64, body.as_of
    upload = request.files.get("file")
    content = (upload or request.stream).read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise HttpError("file_too_large")
    as_of = request.form.get("as_of") or request.args.get("as_of") or None
    return base64.b64encode(content).decode(), as_of[:30] if as_of else None


# Read from the declarations above, not a second table (tests/unit/archival/test_http.py uses it).
ROUTES: list[Route] = routes_of(ArchivalRoutes)
