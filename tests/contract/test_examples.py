"""Every request-body example in the OpenAPI document is sent, in story order, and accepted (2xx).

The examples (app/apidocs/examples/, a module per domain) name the story's objects by placeholder
ids; each is replaced by the id the object got when its own example created it (or, for the NGO,
the test's partner agency). What is not an example here is the least setup a step needs: a second person
verified, the partner's own id for a person, a rule set activated.
"""

import json
import socket
from typing import Any

import httpx

from app.apidocs.examples import ACCESS_TOKEN, REFS, RESPONSE_EXAMPLES, ref
from tests.factories import Callers

API = "/api/v1"
# Bodies that came with the browser sign-in (branch `signin`) after the examples were written:
# their forms need a real second factor to be sent, so they have no example yet. Known and
# listed; an operation added later without an example still fails the test.
WITHOUT_EXAMPLES_YET = {
    ("POST", f"{API}/auth/authorize"),
    ("POST", f"{API}/auth/mfa/enrolment"),
    ("POST", f"{API}/auth/mfa/enrolment/confirm"),
    # A security key's signed answer to a fresh challenge, or an admin's one-time enrolment code:
    # no fixed example can be accepted (tests/auth/test_webauthn.py sends them with a software
    # authenticator).
    ("POST", f"{API}/me/webauthn/registration/verify"),
    ("POST", f"{API}/auth/webauthn/enrolment"),
    ("POST", f"{API}/auth/webauthn/enrolment/confirm"),
}

# Bulk access to NIK names its purpose (app/bulk).
PURPOSE = {"X-Purpose": "legal_obligation"}


class Story:
    """The document's examples, sent one operation at a time; remembers what was created and sent."""

    def __init__(self, client: httpx.AsyncClient, document: dict[str, Any], callers: Callers) -> None:
        self.client, self.callers = client, callers
        self.examples = {
            (method.upper(), path, media): spec["examples"]["seed"]["value"]
            for path, operations in document["paths"].items()
            for method, operation in operations.items()
            for media, spec in operation.get("requestBody", {}).get("content", {}).items()
            if "examples" in spec
        }
        self.with_body = {
            (method.upper(), path)
            for path, operations in document["paths"].items()
            for method, operation in operations.items()
            if "requestBody" in operation
        } - WITHOUT_EXAMPLES_YET
        self.ids: dict[str, str] = {"ngo": str(callers.agency_a.id)}
        self.tokens: dict[str, str] = {}
        self.sent: set[tuple[str, str]] = set()
        self.answers: dict[tuple[str, str, str], Any] = {}  # the first answer of each operation

    def _value(self, method: str, path: str, media: str) -> Any:
        text = json.dumps(self.examples[(method, API + path, media)])
        for name in REFS:
            if name in self.ids:
                text = text.replace(ref(name), self.ids[name])
        for placeholder, token in self.tokens.items():
            text = text.replace(placeholder, token)
        return json.loads(text)

    def _url(self, path: str, params: dict[str, str]) -> str:
        for name, key in params.items():
            path = path.replace("{" + name + "}", self.ids[key])
        return API + path

    async def send(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        *,
        caller: Any = None,
        media: str = "application/json",
        query: dict[str, str] | None = None,
        save: str | None = None,
        if_match_of: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send the example of (method, path) with its placeholders filled; assert a 2xx."""
        url = self._url(path, params or {})
        value = self._value(method, path, media)
        sent_headers = {**(caller or self.callers.admin).headers, **(headers or {})}
        if method == "PATCH" or if_match_of:
            current = await self.client.get(self._url(if_match_of, params or {}) if if_match_of else url,
                                            headers=sent_headers)  # fmt: skip
            assert current.status_code == 200, current.text
            sent_headers["If-Match"] = current.headers["etag"]
        body: dict[str, Any]
        if media == "application/json":
            body = {"json": value}
        elif media == "text/csv":
            body = {"content": value.encode(), "headers": {**sent_headers, "content-type": media}}
        else:
            body = {"data": value}
        body.setdefault("headers", sent_headers)
        response = await self.client.request(method, url, params=query, **body)
        assert 200 <= response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        self.sent.add((method, API + path))
        if response.content and response.headers["content-type"].startswith("application/json"):
            self.answers.setdefault((method, API + path, str(response.status_code)), response.json())
        if save is not None:
            self.ids[save] = response.json()["id"]
        return response


def _documentation_host(monkeypatch) -> None:
    """`partner.example` (RFC 2606) resolves to a documentation address (RFC 5737), as if real."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "partner.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.0.113.10", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


async def test_every_request_body_example_is_accepted(app, client, callers, monkeypatch):
    document = (await client.get("/openapi.json")).json()
    story = Story(client, document, callers)
    # Every operation with a body has an example; the story below must send each of them.
    assert story.with_body <= {(method, path) for method, path, _ in story.examples}
    # The example webhook receiver is a documentation host: it resolves to a documentation address,
    # which the setting for local receivers lets through.
    _documentation_host(monkeypatch)
    app.state.settings = app.state.settings.model_copy(update={"webhook_allow_private_targets": True})
    officer = callers.officer

    # Identity: a user signs in, changes the password, and a token is revoked.
    await story.send("POST", "/users", save="user")
    await story.send("PATCH", "/users/{user_id}", {"user_id": "user"})
    token = (await story.send("POST", "/auth/token", media="application/x-www-form-urlencoded")).json()
    story.tokens[ACCESS_TOKEN] = token["access_token"]
    signed_in = type("Caller", (), {"headers": {"Authorization": f"Bearer {token['access_token']}"}})
    await story.send("POST", "/auth/webauthn/options")
    await story.send("POST", "/me/password", caller=signed_in)
    await story.send("POST", "/auth/revoke", media="application/x-www-form-urlencoded")
    await story.send("POST", "/api-clients", save="api_client")
    await story.send("PATCH", "/api-clients/{client_pk}", {"client_pk": "api_client"})

    # Agencies and the site.
    await story.send("POST", "/agencies", save="dinsos")
    await story.send("PATCH", "/agencies/{agency_id}", {"agency_id": "dinsos"})
    counterpart = await client.post(
        f"{API}/agencies",
        json={"name": "Dinas Sosial Kabupaten Kupang (Contoh)", "kind": "government", "region_code": "53.01"},
        headers=officer.headers,
    )
    story.ids["dinsos_kab"] = counterpart.json()["id"]
    await story.send("POST", "/sites", save="site")
    await story.send("PATCH", "/sites/{site_id}", {"site_id": "site"})

    # The rakor, its participants, agenda and action items; a calendar feed of it.
    meeting = {"meeting_id": "meeting"}
    await story.send("POST", "/meetings", save="meeting")
    await story.send("PATCH", "/meetings/{meeting_id}", meeting)
    await story.send("POST", "/meetings/{meeting_id}/participants", meeting, save="participant")
    await story.send(
        "PATCH",
        "/meetings/{meeting_id}/participants/{participant_id}",
        {**meeting, "participant_id": "participant"},
    )
    await story.send("POST", "/meetings/{meeting_id}/agenda-items", meeting, save="agenda_item")
    await story.send(
        "PATCH", "/meetings/{meeting_id}/agenda-items/{item_id}", {**meeting, "item_id": "agenda_item"}
    )
    await story.send("POST", "/meetings/{meeting_id}/action-items", meeting, save="action_item")
    await story.send(
        "PATCH", "/meetings/{meeting_id}/action-items/{item_id}", {**meeting, "item_id": "action_item"}
    )
    await story.send("POST", "/calendar-feeds", caller=callers.partner_a)

    # Persons: one registered, one imported with the template; verified, referred, searched.
    person = {"person_id": "person"}
    await story.send("POST", "/persons", save="person")
    report = await story.send(
        "POST", "/persons/import", media="text/csv", query={"site_id": story.ids["site"]}, headers=PURPOSE
    )
    story.ids["imported_person"] = report.json()["persons"][0]["id"]
    await story.send("POST", "/persons/search")
    await story.send("POST", "/export-requests", headers=PURPOSE)
    await story.send("POST", "/import-requests", headers=PURPOSE)
    await story.send("PATCH", "/persons/{person_id}", person)
    await story.send("POST", "/persons/{person_id}/status-changes", person)
    await story.send("POST", "/persons/{person_id}/status-changes", {"person_id": "imported_person"})
    await story.send("POST", "/persons/{person_id}/referrals", person)

    # The NGO proposes a correction twice: one approved, one rejected.
    listed = await client.get(f"{API}/persons", headers=callers.partner_a.headers)
    [seen] = listed.json()["items"]
    story.ids["person_as_ngo"] = seen["id"]
    for _ in range(2):
        proposal = await story.send(
            "POST",
            "/persons/{person_id}/change-requests",
            {"person_id": "person_as_ngo"},
            caller=callers.partner_a,
        )
        story.ids.setdefault("first_request", proposal.json()["id"])
        story.ids["change_request"] = proposal.json()["id"]
    await story.send(
        "POST",
        "/change-requests/{request_id}/approve",
        {"request_id": "first_request"},
        if_match_of="/change-requests/{request_id}",
        caller=officer,
    )
    await story.send(
        "POST",
        "/change-requests/{request_id}/reject",
        {"request_id": "change_request"},
        if_match_of="/change-requests/{request_id}",
        caller=officer,
    )

    # The first census.
    census = {"site_id": "site", "census_id": "census"}
    await story.send("POST", "/sites/{site_id}/censuses", {"site_id": "site"}, save="census")
    await story.send("POST", "/sites/{site_id}/censuses/{census_id}/observations", census)

    # Kabupaten Kupang's case, its letter, and the journey home (a first batch cancelled).
    case = {"coordination_id": "coordination"}
    await story.send("POST", "/coordinations", save="coordination")
    await story.send("POST", "/coordinations/generate")
    await story.send("PATCH", "/coordinations/{coordination_id}", case)
    await story.send("POST", "/coordinations/{coordination_id}/correspondence", case, save="correspondence")
    await story.send(
        "PATCH",
        "/coordinations/{coordination_id}/correspondence/{correspondence_id}",
        {**case, "correspondence_id": "correspondence"},
    )
    batch = {"repatriation_id": "repatriation"}
    await story.send("POST", "/repatriations", save="repatriation")
    await story.send("POST", "/repatriations/{repatriation_id}/cancel", batch)
    await story.send("POST", "/repatriations", save="repatriation")
    await story.send("PATCH", "/repatriations/{repatriation_id}", batch)
    await story.send("POST", "/repatriations/{repatriation_id}/members", batch)
    for step in ("depart", "arrive", "handover"):
        await story.send("POST", f"/repatriations/{{repatriation_id}}/{step}", batch)

    # The PEM fund: the rule, a simulation, a determination run, a grant paid.
    program = {"program_id": "program"}
    rule_set = {**program, "rule_set_id": "rule_set"}
    await story.send("POST", "/programs", save="program")
    await story.send("PATCH", "/programs/{program_id}", program)
    await story.send("POST", "/programs/{program_id}/rule-sets", program, save="rule_set")
    await story.send("PATCH", "/programs/{program_id}/rule-sets/{rule_set_id}", rule_set)
    await story.send("POST", "/programs/{program_id}/rule-sets/{rule_set_id}/simulate", rule_set)
    activate = f"{API}/programs/{story.ids['program']}/rule-sets/{story.ids['rule_set']}/activate"
    assert (await client.post(activate, headers=officer.headers)).status_code == 200
    run = await story.send("POST", "/programs/{program_id}/determinations", program)
    assert run.json()["eligible"] == 2  # both persons live in Kota Kupang, KTP checked
    await story.send("POST", "/persons/{person_id}/assistance", person, save="assistance")
    await story.send("PATCH", "/assistance/{assistance_id}", {"assistance_id": "assistance"})

    # The NGO's webhook; then the data subject's rights, last.
    await story.send("POST", "/webhooks", save="webhook")
    await story.send("PATCH", "/webhooks/{webhook_id}", {"webhook_id": "webhook"})
    await story.send("POST", "/persons/{person_id}/restriction", person)
    await story.send("POST", "/persons/{person_id}/erasure", {"person_id": "imported_person"})

    assert story.sent == story.with_body, f"not sent: {sorted(story.with_body - story.sent)}"
    # The response examples are what the API answers: the model accepts them, the keys are the same.
    for key, (_, model, value) in RESPONSE_EXAMPLES.items():
        assert key in story.answers, f"the story gets no {key} answer to compare with"
        model.model_validate(value)
        assert set(value) == set(story.answers[key]), key
        served = document["paths"][key[1]][key[0].lower()]["responses"][key[2]]["content"]
        assert served["application/json"]["examples"]["seed"]["value"] == value
