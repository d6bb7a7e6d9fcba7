"""The gateway's route table (issue #15, item 6): one declaration per route feeds both nameko's
``http`` entrypoint and the OpenAPI document, and a route cannot be served undeclared or twice."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from typing import Any

import pytest
from nameko.web.handlers import HttpRequestHandler, http
from werkzeug.wrappers import Request

from services.gateway import routes as routes_package
from services.gateway.openapi import BODY_ERRORS, openapi_document
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import Route, RouteDeclarationError, declaration, route, routes_of
from services.gateway.service import ROUTES, GatewayService
from shared.http.errors import ERRORS
from tests.support.gateway import request


def _served(service: type) -> dict[tuple[str, str], str]:
    """(method, path) → handler name, read from nameko's entrypoints alone."""
    served: dict[tuple[str, str], str] = {}
    for name in dir(service):
        for entry in getattr(getattr(service, name), "nameko_entrypoints", ()):
            if isinstance(entry, HttpRequestHandler):
                served[(entry.method, entry.url)] = name
    return served


def _operation(document: dict[str, Any], declared: Route) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][declared.path.replace("<", "{").replace(">", "}")][
        declared.method.lower()]
    return operation


def _routes_classes() -> list[type]:
    """Every GatewayBase subclass defined in services/gateway/routes/*.py."""
    found: list[type] = []
    for info in pkgutil.iter_modules(routes_package.__path__):
        module = importlib.import_module(f"{routes_package.__name__}.{info.name}")
        found += [value for value in vars(module).values() if isinstance(value, type) and issubclass(value, GatewayBase)
                  and value is not GatewayBase and value.__module__ == module.__name__]
    return found


def test_every_route_a_routes_module_declares_is_in_the_composed_service() -> None:
    classes = _routes_classes()
    assert {cls.__module__.rsplit(".", 1)[1] for cls in classes} >= {
        "identity", "billing", "provisioning", "tenancy", "archival", "notifications", "ops", "portal"}
    composed = set(ROUTES)
    for cls in classes:
        missing = set(routes_of(cls)) - composed
        assert not missing, f"{cls.__name__} declares routes the gateway does not serve: {missing}"


def test_every_declared_route_is_served_and_documented() -> None:
    document, served = openapi_document(), _served(GatewayService)
    for declared in ROUTES:
        handler = getattr(GatewayService, served[(declared.method, declared.path)])
        assert declaration(handler) == declared
        operation = _operation(document, declared)
        assert operation["summary"] == declared.summary
        assert str(declared.answers) in operation["responses"]


def test_every_served_route_is_declared_and_nothing_else_is_documented() -> None:
    served = _served(GatewayService)
    assert set(served) == {(declared.method, declared.path) for declared in ROUTES}
    documented = {(method.upper(), path) for path, operations in openapi_document()["paths"].items()
                  for method in operations}
    assert documented == {(method, path.replace("<", "{").replace(">", "}")) for method, path in served}


def test_methods_and_paths_are_unique() -> None:
    keys = [(declared.method, declared.path) for declared in ROUTES]
    assert len(keys) == len(set(keys))


def test_the_table_follows_the_composed_routes_modules_in_order() -> None:
    owners: list[str] = []
    for declared in ROUTES:
        owner = declared.path.strip("/").split("/")[0]
        owner = {"me": "identity", "": "portal", "health": "ops", "openapi.json": "ops"}.get(owner, owner)
        if not owners or owners[-1] != owner:
            owners.append(owner)
    assert owners == ["identity", "billing", "provisioning", "tenancy", "archival", "notifications", "support", "ops",
                      "portal"]


def test_a_route_without_a_declaration_cannot_be_defined() -> None:
    with pytest.raises(RouteDeclarationError, match="without @route"):
        class Sneaky(GatewayBase):
            @http("GET", "/sneaky")
            def sneaky(self, request: Request) -> Any:
                return {}


def test_a_route_that_serves_something_else_than_declared_cannot_be_defined() -> None:
    with pytest.raises(RouteDeclarationError, match="declared as GET /one"):
        class Stacked(GatewayBase):
            @http("POST", "/two")
            @route("GET", "/one", "One")
            def one(self, request: Request) -> Any:
                return {}


def test_one_method_and_path_declared_twice_cannot_be_composed() -> None:
    class First(GatewayBase):
        @route("GET", "/twice", "First")
        def first(self, request: Request) -> Any:
            return {}

    class Second(GatewayBase):
        @route("GET", "/twice", "Second")
        def second(self, request: Request) -> Any:
            return {}

    with pytest.raises(RouteDeclarationError, match="more than once"):
        class Both(First, Second):
            pass


def test_the_same_path_under_another_method_is_another_route() -> None:
    class Pair(GatewayBase):
        @route("GET", "/thing", "Read")
        def read(self, request: Request) -> Any:
            return {}

        @route("PUT", "/thing", "Change")
        def change(self, request: Request) -> Any:
            return {}

    assert [(found.method, found.summary) for found in routes_of(Pair)] == [("GET", "Read"), ("PUT", "Change")]


def test_an_overridden_route_is_served_once_as_the_subclass_declares_it() -> None:
    class Base(GatewayBase):
        @route("GET", "/kept", "Old")
        def kept(self, request: Request) -> Any:
            return {}

    class Newer(Base):
        @route("GET", "/kept", "New")
        def kept(self, request: Request) -> Any:
            return {}

    assert [found.summary for found in routes_of(Newer)] == ["New"]


@pytest.mark.parametrize("method, path", [("FETCH", "/x"), ("GET", "x"), ("get", "/x")])
def test_a_declaration_must_name_a_method_and_an_absolute_path(method: str, path: str) -> None:
    with pytest.raises(RouteDeclarationError):
        route(method, path, "Nonsense")


def test_a_handler_with_its_own_response_cannot_declare_a_body_it_would_not_read() -> None:
    from shared.http.models import RefreshRequest

    with pytest.raises(RouteDeclarationError, match="reads its own body"):
        route("POST", "/x", "X", body=RefreshRequest, own_response=True)


def test_every_documented_error_is_in_the_error_table() -> None:
    for declared in ROUTES:
        assert set(declared.errors) <= set(ERRORS), declared.path


def test_a_route_with_a_body_documents_its_model_and_what_parsing_it_can_refuse() -> None:
    document = openapi_document()
    with_body = [declared for declared in ROUTES if declared.body is not None]
    for declared in with_body:
        operation = _operation(document, declared)
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert declared.body is not None and schema == declared.body.model_json_schema()
        assert {"invalid_json", "invalid_request"} <= set(declared.errors), declared.path
        described = " ".join(answer["description"] for answer in operation["responses"].values())
        assert all(code in described for code in BODY_ERRORS)
        assert {"400", "413", "415", "422"} <= set(operation["responses"])


def test_a_handler_reads_a_body_exactly_when_its_declaration_names_a_model() -> None:
    served = _served(GatewayService)
    for declared in ROUTES:
        handler = inspect.unwrap(getattr(GatewayService, served[(declared.method, declared.path)]))
        takes_body = "body" in inspect.signature(handler).parameters
        assert takes_body == (declared.body is not None), declared.path


def test_every_route_answers_a_success_status_and_documents_its_errors_once() -> None:
    for declared in ROUTES:
        assert 200 <= declared.answers < 400 and declared.summary.strip(), declared.path
        assert len(declared.errors) == len(set(declared.errors)), declared.path


def test_a_route_without_a_body_documents_none() -> None:
    document = openapi_document()
    for declared in ROUTES:
        if declared.body is None:
            operation = _operation(document, declared)
            assert "requestBody" not in operation
            assert "payload_too_large" not in json.dumps(operation)


def test_each_error_status_lists_its_codes_with_the_error_schema() -> None:
    operation = openapi_document()["paths"]["/identity/registrations"]["post"]
    assert operation["responses"]["202"] == {"description": "OK"}
    conflict = operation["responses"]["409"]
    assert "mobile_already_registered" in conflict["description"].split(", ")
    assert conflict["content"]["application/json"]["schema"]["required"] == ["error", "message"]
    unprocessable = operation["responses"]["422"]["description"].split(", ")
    assert "invalid_request" in unprocessable and "weak_password" in unprocessable


def test_the_document_served_is_the_document_of_the_composed_service() -> None:
    response = GatewayService.openapi(GatewayService(), request("GET", "/openapi.json"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert json.loads(response.get_data()) == openapi_document()
