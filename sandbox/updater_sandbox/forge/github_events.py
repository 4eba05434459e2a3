"""GitHub's event feeds under /api/v3: per repository, per organization, per user.

Events are made for polling: each answer carries an ETag (the app adds it) and X-Poll-Interval;
a conditional request that finds nothing new is a 304 and costs no rate limit. Before answering,
the forge reads the refs of the repositories the feed covers, so changes made with plain git are
in the feed too (see events.py).
"""

from __future__ import annotations

from typing import Any

from updater_sandbox.forge.core import ForgeCore
from updater_sandbox.forge.events import ForgeEvent, ref_kind, short_ref
from updater_sandbox.forge.github_shapes import GitHubShapes, stable_id
from updater_sandbox.forge.http import Request, Response, Router
from updater_sandbox.forge.pagination import paginate
from updater_sandbox.forge.state import ForgeUser

HOST = "github.com"
POLL_INTERVAL = "60"
_NAME = r"(?P<{}>[^/]+)"


class GitHubEventsApi:
    def __init__(self, core: ForgeCore, api_url: str) -> None:
        self.core = core
        self.api = api_url
        self.shapes = GitHubShapes(api_url)
        # Events never change once recorded: each is rendered once (by id, and by whether its
        # owner is an organization, which a test may declare later).
        self._rendered: dict[tuple[int, bool], dict[str, Any]] = {}

    def register(self, r: Router) -> None:
        repo = f"/repos/{_NAME.format('owner')}/{_NAME.format('repo')}"
        r.add("GET", repo + "/events", self.repo_events)
        r.add("GET", f"/orgs/{_NAME.format('org')}/events", self.org_events)
        r.add("GET", f"/users/{_NAME.format('user')}/events", self.user_events)
        r.add("GET", f"/users/{_NAME.format('user')}/events/public", self.user_events)

    def repo_events(self, request: Request, owner: str, repo: str) -> Response:
        if self.core.bare(HOST, owner, repo) is None:
            return _not_found()
        self.core.observe(HOST, owner, repo)
        return self._answer(request, self.core.events.feed(repo=(HOST, owner, repo)))

    def org_events(self, request: Request, org: str) -> Response:
        if not self.core.is_organization(org):
            return _not_found()
        self.core.observe(HOST, org)
        return self._answer(request, self.core.events.feed(owner=(HOST, org)))

    def user_events(self, request: Request, user: str) -> Response:
        if self.core.is_organization(user):
            # An organization acts through its members: its own timeline is empty.
            return self._answer(request, [])
        # Git-level changes are attributed to the owner, so only the user's repositories can
        # hold git events performed by them.
        self.core.observe(HOST, user)
        return self._answer(request, self.core.events.feed(actor=user))

    def _answer(self, request: Request, events: list[ForgeEvent]) -> Response:
        items, links = paginate(request, events)
        return Response.json(
            200,
            [self.event(e) for e in items],
            [*links, ("X-Poll-Interval", POLL_INTERVAL)],
        )

    # shapes -------------------------------------------------------------------------------
    def actor(self, user: ForgeUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "login": user.login,
            "display_login": user.login,
            "gravatar_id": "",
            "url": f"{self.api}/users/{user.login}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?",
        }

    def event(self, e: ForgeEvent) -> dict[str, Any]:
        key = (e.id, self.core.is_organization(e.repo[1]))
        found = self._rendered.get(key)
        if found is None:
            found = self._rendered[key] = self._render(e)
        return found

    def _render(self, e: ForgeEvent) -> dict[str, Any]:
        _, owner, name = e.repo
        rid = stable_id("repo", owner, name)
        out: dict[str, Any] = {
            "id": str(e.id),
            "type": e.type,
            "actor": self.actor(e.actor),
            "repo": {
                "id": rid,
                "name": f"{owner}/{name}",
                "url": self.shapes.repo_api(owner, name),
            },
            "payload": self._payload(e, rid),
            "public": True,
            "created_at": e.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if self.core.is_organization(owner):
            out["org"] = self.actor(ForgeUser(owner, stable_id("org", owner), "Organization"))
        return out

    def _payload(self, e: ForgeEvent, rid: int) -> dict[str, Any]:
        if e.type == "PushEvent":
            return {
                "repository_id": rid,
                "push_id": e.id // 2,
                "ref": e.ref,
                "head": e.head,
                "before": e.before,
            }
        if e.type == "CreateEvent":
            return {
                "ref": short_ref(e.ref),
                "ref_type": ref_kind(e.ref),
                "full_ref": e.ref,
                "master_branch": e.master_branch,
                "description": None,
                "pusher_type": "user",
            }
        if e.type == "DeleteEvent":
            return {
                "ref": short_ref(e.ref),
                "ref_type": ref_kind(e.ref),
                "full_ref": e.ref,
                "pusher_type": "user",
            }
        assert e.release is not None
        key = (e.release.host, e.release.owner, e.release.repo)
        release = self.shapes.release(e.release, self.core.state.assets(key, e.release.tag))
        return {"action": "published", "release": release}


def _not_found() -> Response:
    return Response.json(
        404,
        {
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest",
            "status": "404",
        },
    )
