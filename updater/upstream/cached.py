"""GET a JSON document with an ETag kept in the state store: a 304 reuses the stored body."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from updater.errors import UpstreamError
from updater.state.store import StateStore
from updater.upstream.http import HttpClient


async def get_json(
    http: HttpClient, url: str, store: StateStore | None, headers: Mapping[str, str] | None = None
) -> Any:
    cached = store.get_etag(url) if store is not None else None
    send = dict(headers or {})
    if cached is not None:
        send["If-None-Match"] = cached.etag
    resp = await http.request("GET", url, headers=send)
    if resp.status == 304 and cached is not None:
        try:
            return json.loads(cached.body)
        except ValueError:
            raise UpstreamError(f"{resp.url}: cached body is not JSON") from None
    if resp.status == 404:
        raise UpstreamError(f"{resp.url}: not found (HTTP 404)")
    if resp.status != 200:
        raise UpstreamError(f"{resp.url}: HTTP {resp.status}")
    body = resp.json()
    etag = resp.header("etag")
    if etag and store is not None and len(etag) < 500:
        store.put_etag(url, etag, resp.text)
    return body
