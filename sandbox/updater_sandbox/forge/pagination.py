"""Page slicing and the Link header GitHub, Gitea and GitLab send with list endpoints."""

from __future__ import annotations

from typing import TypeVar

from updater_sandbox.forge.http import Request

T = TypeVar("T")


def paginate(
    request: Request,
    items: list[T],
    *,
    per_page_param: str = "per_page",
    default_per_page: int = 30,
    max_per_page: int = 100,
) -> tuple[list[T], list[tuple[str, str]]]:
    per_page = min(max(request.int_arg(per_page_param, default_per_page), 1), max_per_page)
    page = max(request.int_arg("page", 1), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    links: list[str] = []

    def link(target: int, rel: str) -> None:
        links.append(
            f'<{request.url_with(**{per_page_param: per_page, "page": target})}>; rel="{rel}"'
        )

    if page > 1:
        link(page - 1, "prev")
    if page < last:
        link(page + 1, "next")
        link(last, "last")
    if page > 1:
        link(1, "first")
    headers = [("Link", ", ".join(links))] if links else []
    return chunk, headers
