"""The pages that problem `type` URIs resolve to: JSON for programs, HTML for people (by Accept)."""

import html
import re

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from app.conventions import json_response
from app.errors import NotFound, ProblemType, problem_types

router = APIRouter(prefix="/problems", tags=["problems"])

_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}
_CODE = re.compile(r"`([^`]+)`")


def _wants_html(request: Request) -> bool:
    """Whether the caller ranks HTML over JSON: browsers list text/html first, programs JSON or */*."""
    accept = request.headers.get("accept", "").lower()
    html_at, json_at = accept.find("text/html"), accept.find("application/json")
    return html_at >= 0 and (json_at < 0 or html_at < json_at)


def _text(value: str) -> str:
    return _CODE.sub(r"<code>\1</code>", html.escape(value))


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body>{body}</body></html>"
    )


def _section(kind: ProblemType) -> str:
    return (
        f'<section id="{html.escape(kind.type.rsplit("/", 1)[1])}"><h2>{html.escape(kind.title)}</h2>'
        f"<p><code>{html.escape(kind.type)}</code> · HTTP {kind.status}</p><p>{_text(kind.explanation)}</p>"
        "</section>"
    )


@router.get("", response_model=list[ProblemType], responses={200: _HTML})
async def list_problem_types(request: Request) -> Response:
    """Every kind of problem the API answers with."""
    kinds = list(problem_types().values())
    if _wants_html(request):
        items = "".join(
            f'<li><a href="{html.escape(k.type)}">{html.escape(k.title)}</a> ({k.status})</li>' for k in kinds
        )
        return _page("Problem types", f"<h1>Problem types</h1><ul>{items}</ul>")
    return json_response(b"[" + b",".join(k.model_dump_json().encode() for k in kinds) + b"]")


@router.get("/{slug}", response_model=ProblemType, responses={200: _HTML})
async def get_problem_type(slug: str, request: Request) -> Response:
    """What one problem `type` means and what to do about it."""
    kind = problem_types().get(slug)
    if kind is None:
        raise NotFound("There is no such problem type; GET /problems lists them.")
    if _wants_html(request):
        return _page(kind.title, f'{_section(kind)}<p><a href="/problems">All problem types</a></p>')
    return json_response(kind)
