"""The OpenAPI 3.1 document for /api/v1, served at /api/v1/openapi.json. Tests check it with
openapi-spec-validator and run schemathesis against it."""

from __future__ import annotations

from functools import cache

from app.registration.models import RegistrationStatus

STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _object(properties: dict) -> dict:
    return {"type": "object", "required": list(properties), "properties": properties}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict:
    return _object({"data": {"type": "array", "items": _ref(name)}, "next_cursor": _nullable(STR)})


def _one(name: str) -> dict:
    return _object({"data": _ref(name)})


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "The request is malformed; `message` says what to change."),
    "401": _json(_ref("Error"), "No token, or not a valid one."),
    "403": _json(_ref("Error"), "The token lacks the scope this needs."),
    "404": _json(_ref("Error"), "No such event or registration."),
    "429": _json(_ref("Error"), "This token's rate limit is used up; wait and retry."),
}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": STR}
PAGING = [
    {
        "name": "cursor", "in": "query", "schema": STR,
        "description": "next_cursor from the previous page",
    },
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
]  # fmt: skip


def _get(summary: str, schema: dict, *, params=(), scope: str = "read") -> dict:
    responses = {"200": _json(schema, "OK")}
    responses.update({k: v for k, v in ERRORS.items() if k != "400" or params})
    return {
        "get": {
            "summary": summary,
            "security": [{"bearer": [scope]}],
            "parameters": [SLUG, *params] if "{slug}" in summary else list(params),
            "responses": responses,
        }
    }


def _post(summary: str, body: dict, ok: tuple[str, dict], extra: dict | None = None) -> dict:
    responses = {ok[0]: _json(ok[1], "Done"), **ERRORS, **(extra or {})}
    return {
        "summary": summary,
        "security": [{"bearer": ["write"]}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": responses,
    }


@cache
def document() -> dict:
    statuses = [s.value for s in RegistrationStatus]
    schemas = {
        "Error": _object({"error": STR, "message": STR}),
        "Event": _object({
            "id": INT, "slug": STR, "title": STR,
            "kind": {"type": "string", "enum": ["conference", "workshop", "site_visit"]},
            "status": {"type": "string", "enum": ["draft", "published", "cancelled"]},
            "summary": STR, "starts_at": TIME, "ends_at": TIME, "timezone": STR,
            "capacity": _nullable(INT), "seats_taken": INT, "requires_benchmark": BOOL,
            "venue": _nullable(STR), "updated_at": TIME,
        }),
        "TicketType": _object({
            "id": INT, "name": STR, "price_pence": INT, "currency": STR,
            "capacity": _nullable(INT), "seats_taken": INT, "hidden": BOOL,
        }),
        "Registration": _object({
            "id": INT, "status": {"type": "string", "enum": statuses},
            "email": STR, "name": STR, "organisation": _nullable(STR),
            "ticket_type_id": INT, "ticket_type": STR, "amount_due_pence": INT,
            "amount_paid_pence": INT, "paid_at": _nullable(TIME), "created_at": TIME,
            "updated_at": TIME,
        }),
        "CheckIn": _object({
            "id": INT, "registration_id": INT, "name": STR, "email": STR,
            "session_id": _nullable(INT), "point": STR, "checked_in_at": TIME,
            "undone_at": _nullable(TIME),
        }),
        "Session": _object({
            "id": INT, "uid": STR, "title": STR, "abstract": STR, "kind": STR, "status": STR,
            "starts_at": TIME, "ends_at": TIME, "room_id": _nullable(INT),
            "track": _nullable(STR), "capacity": _nullable(INT), "seats_taken": INT,
            "speaker_ids": {"type": "array", "items": INT},
        }),
        "Speaker": _object(
            {"id": INT, "slug": STR, "name": STR, "job_title": STR, "organisation": STR}
        ),
        "Outcome": _object({
            "id": INT, "programme_id": INT, "organisation": STR, "kind": STR, "title": STR,
            "quantity": {"type": "number"}, "occurred_on": {"type": "string", "format": "date"},
            "status": {"type": "string", "enum": ["claimed", "verified", "rejected"]},
            "reviewed_at": _nullable(TIME), "created_at": TIME,
        }),
        "ScanResult": {
            "type": "object",
            "required": ["result"],
            "properties": {"result": STR, "name": _nullable(STR),
                           "first_checked_in_at": _nullable(STR)},
        },
        "NewRegistration": {
            "type": "object",
            "required": ["email", "ticket_type_id"],
            "properties": {
                "email": {"type": "string", "format": "email", "maxLength": 254},
                "ticket_type_id": INT,
                "name": {"type": "string", "maxLength": 120},
                "organisation": {"type": "string", "maxLength": 200},
                "complimentary": BOOL,
            },
        },
        "NewCheckIn": {
            "type": "object",
            "required": ["code"],
            "properties": {
                "code": {"type": "string", "maxLength": 200},
                "session_id": _nullable(INT),
                "nonce": {"type": "string", "maxLength": 64},
            },
        },
    }  # fmt: skip
    registrations = _get(
        "Registrations of event {slug}",
        _list_of("Registration"),
        params=[
            {"name": "status", "in": "query", "schema": {"type": "string", "enum": statuses}},
            {"name": "updated_since", "in": "query", "schema": TIME},
            *PAGING,
        ],
    )
    registrations["post"] = _post(
        "Register someone (as an organiser does on the Add delegate page)",
        _ref("NewRegistration"),
        ("201", _one("Registration")),
        {
            "409": _json(_ref("Error"), "The event or ticket is full."),
            "422": _json(_ref("Error"), "Refused by the registration rules."),
        },
    )
    registrations["post"]["parameters"] = [SLUG]
    check_ins = _get("Check-ins of event {slug}", _list_of("CheckIn"), params=PAGING)
    check_ins["post"] = _post(
        "Admit a ticket (as the door scanner does)",
        _ref("NewCheckIn"),
        ("200", _one("ScanResult")),
    )
    check_ins["post"]["parameters"] = [SLUG]
    cancel = {
        "post": {
            "summary": "Cancel a registration",
            "security": [{"bearer": ["write"]}],
            "parameters": [{"name": "registration_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}],
            "responses": {
                "200": _json(_one("Registration"), "Cancelled"),
                **{k: v for k, v in ERRORS.items() if k != "400"},
                "422": _json(_ref("Error"), "Refused by the registration rules."),
            },
        }
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Journey organiser API",
            "version": "1.0.0",
            "description": (
                "Events, ticket types, registrations, check-ins, the published agenda and its "
                "speakers, and the outcomes businesses claim. Authenticate with "
                "`Authorization: Bearer <token>` (an organiser creates tokens under "
                "Organiser → API tokens). Lists come in pages: pass "
                '`next_cursor` as `cursor`. Errors are `{"error": code, "message": text}`.'
            ),
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
        "paths": {
            "/api/v1/events": _get("Events", _list_of("Event"), params=PAGING),
            "/api/v1/events/{slug}": _get("Event {slug}", _one("Event")),
            "/api/v1/events/{slug}/ticket-types": _get(
                "Ticket types of event {slug}", _list_of("TicketType")
            ),
            "/api/v1/events/{slug}/registrations": registrations,
            "/api/v1/events/{slug}/check-ins": check_ins,
            "/api/v1/events/{slug}/sessions": _get(
                "Published sessions of event {slug}", _list_of("Session")
            ),
            "/api/v1/events/{slug}/speakers": _get(
                "Speakers on the published agenda of event {slug}", _list_of("Speaker")
            ),
            "/api/v1/registrations/{registration_id}/cancel": cancel,
            "/api/v1/outcomes": _get(
                "Outcomes claimed by businesses",
                _list_of("Outcome"),
                params=[
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["claimed", "verified", "rejected"]},
                    },
                    *PAGING,
                ],
            ),
        },
    }
