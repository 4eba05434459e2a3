"""GitHub GraphQL subset at /api/graphql, executed by graphql-core against a slice of GitHub's schema.

Many aliased `repository(owner:, name:)` fields in one query, each asking for releases, tag refs
and the default branch. Query cost follows GitHub's rule (one point per hundred connection
requests, at least one); when the points run out the answer is HTTP 200 with a RATE_LIMITED error.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    execute_sync,
    get_named_type,
    parse,
    validate,
)

from updater_sandbox.forge.core import ForgeCore, valid_name
from updater_sandbox.forge.github_shapes import iso, node_id
from updater_sandbox.forge.gitrepo import BareRepo, CommitInfo, RefInfo
from updater_sandbox.forge.http import Request, Response
from updater_sandbox.forge.ratelimit import RateSnapshot, rate_headers
from updater_sandbox.forge.state import ForgeRelease

HOST = "github.com"
MAX_PAGE = 100

SDL = """
scalar DateTime
scalar URI
scalar GitObjectID
scalar GitTimestamp

enum OrderDirection { ASC DESC }
enum ReleaseOrderField { CREATED_AT NAME }
enum RefOrderField { TAG_COMMIT_DATE ALPHABETICAL }
input ReleaseOrder { field: ReleaseOrderField! direction: OrderDirection! }
input RefOrder { field: RefOrderField! direction: OrderDirection! }

type Query {
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  repositoryOwner(login: String!): RepositoryOwner
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

interface RepositoryOwner { login: String! id: ID! url: URI! }
type User implements RepositoryOwner { login: String! id: ID! url: URI! }
type Organization implements RepositoryOwner { login: String! id: ID! url: URI! }

type Repository {
  id: ID!
  name: String!
  nameWithOwner: String!
  owner: RepositoryOwner!
  url: URI!
  description: String
  isArchived: Boolean!
  isDisabled: Boolean!
  isEmpty: Boolean!
  isFork: Boolean!
  isPrivate: Boolean!
  pushedAt: DateTime
  latestRelease: Release
  release(tagName: String!): Release
  releases(first: Int, last: Int, after: String, before: String, orderBy: ReleaseOrder): ReleaseConnection!
  refs(refPrefix: String!, first: Int, last: Int, after: String, before: String, query: String,
       direction: OrderDirection, orderBy: RefOrder): RefConnection
  ref(qualifiedName: String!): Ref
  defaultBranchRef: Ref
  object(expression: String, oid: GitObjectID): GitObject
}

type PageInfo { endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String }

type Release {
  id: ID!
  databaseId: Int
  name: String
  tagName: String!
  description: String
  publishedAt: DateTime
  createdAt: DateTime!
  updatedAt: DateTime!
  isPrerelease: Boolean!
  isDraft: Boolean!
  isLatest: Boolean!
  url: URI!
  tag: Ref
  tagCommit: Commit
}
type ReleaseEdge { cursor: String! node: Release }
type ReleaseConnection { nodes: [Release] edges: [ReleaseEdge] pageInfo: PageInfo! totalCount: Int! }

type Ref { id: ID! name: String! prefix: String! target: GitObject }
type RefEdge { cursor: String! node: Ref }
type RefConnection { nodes: [Ref] edges: [RefEdge] pageInfo: PageInfo! totalCount: Int! }

type GitActor { name: String email: String date: GitTimestamp }

interface GitObject { id: ID! oid: GitObjectID! abbreviatedOid: String! commitUrl: URI! }

type Commit implements GitObject {
  id: ID! oid: GitObjectID! abbreviatedOid: String! commitUrl: URI! url: URI!
  committedDate: DateTime! authoredDate: DateTime! pushedDate: DateTime
  message: String! messageHeadline: String! messageBody: String!
  author: GitActor committer: GitActor
}

type Tag implements GitObject {
  id: ID! oid: GitObjectID! abbreviatedOid: String! commitUrl: URI!
  name: String! message: String target: GitObject! tagger: GitActor
}
"""


class TypedError(Exception):
    """A GraphQL error carrying GitHub's top-level `type` (NOT_FOUND, RATE_LIMITED...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class QueryCost:
    cost: int
    node_count: int


# resolved objects: graphql-core calls methods with (info, **args) and reads attributes ------------


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def _uncursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        return int(base64.b64decode(cursor).decode().split(":", 1)[1])
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise TypedError(
            "INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor."
        ) from exc


class _Connection:
    def __init__(
        self,
        items: list[Any],
        first: int | None,
        last: int | None,
        after: str | None,
        before: str | None,
    ) -> None:
        start, end = 0, len(items)
        if (a := _uncursor(after)) is not None:
            start = max(start, a + 1)
        if (b := _uncursor(before)) is not None:
            end = min(end, b)
        window = list(range(start, end))
        if first is not None:
            window = window[:first]
        if last is not None:
            window = window[-last:] if last else []
        self._items = items
        self._window = window
        self._bounds = (start, end)
        self.totalCount = len(items)
        self.nodes = [items[i] for i in window]

    # Cursors are made only when a query asks for them.
    def pageInfo(self, info: Any) -> dict[str, Any]:
        window, (start, end) = self._window, self._bounds
        return {
            "startCursor": _cursor(window[0]) if window else None,
            "endCursor": _cursor(window[-1]) if window else None,
            "hasNextPage": bool(window) and window[-1] < end - 1,
            "hasPreviousPage": bool(window) and window[0] > start,
        }

    def edges(self, info: Any) -> list[dict[str, Any]]:
        return [{"cursor": _cursor(i), "node": self._items[i]} for i in self._window]


class _Actor:
    def __init__(self, name: str, email: str, date: datetime | None) -> None:
        self.name, self.email, self.date = name, email, iso(date)


class _Commit:
    """A commit whose details are read from git only when a query asks for them."""

    typename = "Commit"

    def __init__(self, repo: _Repository, sha: str, committed: datetime | None = None) -> None:
        self._repo = repo
        self._committed = committed
        self.oid = sha
        self.abbreviatedOid = sha[:7]
        self.url = self.commitUrl = f"https://github.com/{repo.nameWithOwner}/commit/{sha}"
        self.pushedDate = None

    def id(self, info: Any) -> str:
        return node_id("Commit", self.oid)

    def _info(self) -> CommitInfo:
        return self._repo.bare.commit(self.oid)

    def committedDate(self, info: Any) -> str | None:
        return iso(self._committed or self._info().committer.date)

    def authoredDate(self, info: Any) -> str | None:
        return iso(self._info().author.date)

    def message(self, info: Any) -> str:
        return self._info().message

    def messageHeadline(self, info: Any) -> str:
        return self._info().message.split("\n", 1)[0]

    def messageBody(self, info: Any) -> str:
        parts = self._info().message.split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""

    def author(self, info: Any) -> _Actor:
        person = self._info().author
        return _Actor(person.name, person.email, person.date)

    def committer(self, info: Any) -> _Actor:
        person = self._info().committer
        return _Actor(person.name, person.email, person.date)


class _Tag:
    typename = "Tag"

    def __init__(self, ref: RefInfo, target: _Commit) -> None:
        self.oid = ref.oid
        self.id = node_id("Tag", ref.oid)
        self.abbreviatedOid = ref.oid[:7]
        self.commitUrl = target.commitUrl
        self.name = ref.name.removeprefix("refs/tags/")
        self.message = ref.tag_message
        self.target = target
        self.tagger = _Actor("", "", ref.tagger_date)


class _Ref:
    def __init__(self, repo: _Repository, ref: RefInfo, prefix: str) -> None:
        self.name = ref.name.removeprefix(prefix)
        self.prefix = prefix
        self._repo = repo
        self._ref = ref

    def id(self, info: Any) -> str:
        return node_id("Ref", f"{self._repo.nameWithOwner}/{self._ref.name}")

    def target(self, info: Any) -> _Commit | _Tag:
        commit = _Commit(self._repo, self._ref.commit, self._ref.commit_date)
        if self._ref.object_type == "tag":
            return _Tag(self._ref, commit)
        return commit


class _Release:
    def __init__(self, repo: _Repository, release: ForgeRelease, latest_id: int | None) -> None:
        self._repo = repo
        self._release = release
        self.databaseId = release.id
        self.name = release.name
        self.tagName = release.tag
        self.description = release.body
        self.publishedAt = iso(release.published_at)
        self.createdAt = iso(release.created_at)
        self.updatedAt = iso(release.published_at or release.created_at)
        self.isPrerelease = release.prerelease
        self.isDraft = release.draft
        self.isLatest = release.id == latest_id
        self.url = f"https://github.com/{repo.nameWithOwner}/releases/tag/{release.tag}"

    def id(self, info: Any) -> str:
        return node_id("Release", self._release.id)

    def tag(self, info: Any) -> _Ref | None:
        ref = self._repo.bare.ref(f"refs/tags/{self._release.tag}")
        return _Ref(self._repo, ref, "refs/tags/") if ref else None

    def tagCommit(self, info: Any) -> _Commit | None:
        sha = self._repo.bare.resolve_commit(f"refs/tags/{self._release.tag}")
        return self._repo.commit_obj(sha) if sha else None


class _Owner:
    def __init__(self, login: str, organization: bool) -> None:
        self.typename = "Organization" if organization else "User"
        self.login = login
        self.id = node_id(self.typename, login)
        self.url = f"https://github.com/{login}"


class _Repository:
    def __init__(self, core: ForgeCore, owner: str, name: str, bare: BareRepo) -> None:
        self.core = core
        self.bare = bare
        self.owner_login = owner
        self.name = name
        self.nameWithOwner = f"{owner}/{name}"
        self.id = node_id("Repository", self.nameWithOwner)
        self.owner = _Owner(owner, core.is_organization(owner))
        self.url = f"https://github.com/{owner}/{name}"
        self.description = None
        self.isArchived = self.isDisabled = self.isFork = self.isPrivate = False

    def commit_obj(self, sha: str) -> _Commit:
        return _Commit(self, sha)

    def isEmpty(self, info: Any) -> bool:
        return self.bare.resolve_commit("HEAD") is None

    def pushedAt(self, info: Any) -> str | None:
        head = self.bare.resolve_commit("HEAD")
        return iso(self.bare.commit(head).committer.date) if head else None

    def _releases(self) -> list[ForgeRelease]:
        return self.core.state.visible_releases((HOST, self.owner_login, self.name))

    def latestRelease(self, info: Any) -> _Release | None:
        latest = self.core.state.latest_release((HOST, self.owner_login, self.name))
        return _Release(self, latest, latest.id) if latest else None

    def release(self, info: Any, tagName: str) -> _Release | None:
        found = next((r for r in self._releases() if r.tag == tagName), None)
        latest = self.core.state.latest_release((HOST, self.owner_login, self.name))
        return _Release(self, found, latest.id if latest else None) if found else None

    def releases(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        orderBy: dict[str, str] | None = None,
    ) -> _Connection:
        order = orderBy or {"field": "CREATED_AT", "direction": "DESC"}
        items = self._releases()  # newest first by creation
        if order["field"] == "NAME":
            items.sort(key=lambda r: (r.name or "", r.id))
            if order["direction"] == "DESC":
                items.reverse()
        elif order["direction"] == "ASC":
            items.reverse()
        latest = self.core.state.latest_release((HOST, self.owner_login, self.name))
        nodes = [_Release(self, r, latest.id if latest else None) for r in items]
        return _Connection(nodes, first, last, after, before)

    def refs(
        self,
        info: Any,
        refPrefix: str,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        query: str | None = None,
        direction: str | None = None,
        orderBy: dict[str, str] | None = None,
    ) -> _Connection:
        if not refPrefix.startswith("refs/") or not refPrefix.endswith("/"):
            raise TypedError(
                "UNPROCESSABLE", f"refPrefix must start with 'refs/' and end with '/': {refPrefix}"
            )
        refs = self.bare.refs(refPrefix)
        if query:
            refs = [r for r in refs if query in r.name.removeprefix(refPrefix)]
        order = orderBy or {"field": "ALPHABETICAL", "direction": direction or "ASC"}
        if order["field"] == "TAG_COMMIT_DATE":
            epoch = datetime.min.replace(tzinfo=UTC)
            refs.sort(key=lambda r: (r.commit_date or epoch, r.name))
        else:
            refs.sort(key=lambda r: r.name)
        if order["direction"] == "DESC":
            refs.reverse()
        return _Connection([_Ref(self, r, refPrefix) for r in refs], first, last, after, before)

    def ref(self, info: Any, qualifiedName: str) -> _Ref | None:
        name = qualifiedName if qualifiedName.startswith("refs/") else f"refs/heads/{qualifiedName}"
        found = self.bare.ref(name)
        if found is None and not qualifiedName.startswith("refs/"):
            found = self.bare.ref(f"refs/tags/{qualifiedName}")
        if found is None:
            return None
        prefix = found.name.rsplit("/", 1)[0] + "/"
        return _Ref(self, found, prefix)

    def defaultBranchRef(self, info: Any) -> _Ref | None:
        branch = self.bare.default_branch()
        found = self.bare.ref(f"refs/heads/{branch}")
        return _Ref(self, found, "refs/heads/") if found else None

    def object(
        self, info: Any, expression: str | None = None, oid: str | None = None
    ) -> _Commit | None:
        sha = self.bare.resolve_commit(oid or expression or "")
        return self.commit_obj(sha) if sha else None


class _Root:
    def __init__(self, core: ForgeCore, cost: QueryCost, snap: RateSnapshot) -> None:
        self._core = core
        self._cost = cost
        self._snap = snap

    def repository(
        self, info: Any, owner: str, name: str, followRenames: bool = True
    ) -> _Repository:
        bare = self._core.bare(HOST, owner, name)
        if bare is None:
            raise TypedError(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            )
        return _Repository(self._core, owner, name, bare)

    def repositoryOwner(self, info: Any, login: str) -> _Owner | None:
        if self._core.is_organization(login):
            return _Owner(login, True)
        if valid_name(login) and (self._core.root / HOST / login).is_dir():
            return _Owner(login, False)
        return None

    def rateLimit(self, info: Any, dryRun: bool = False) -> dict[str, Any]:
        return {
            "cost": self._cost.cost,
            "limit": self._snap.limit,
            "nodeCount": self._cost.node_count,
            "remaining": self._snap.remaining,
            "resetAt": iso(datetime.fromtimestamp(self._snap.reset, UTC)),
            "used": self._snap.used,
        }


# cost -------------------------------------------------------------------------------------


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
) -> QueryCost:
    """GitHub's rule: every connection costs one request per parent node; cost = requests/100."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    requests = 0
    nodes = 0

    def arg(field: FieldNode, name: str) -> int | None:
        for argument in field.arguments or ():
            if argument.name.value == name:
                value = argument.value
                if isinstance(value, IntValueNode):
                    return int(value.value)
                if isinstance(value, VariableNode):
                    raw = variables.get(value.name.value)
                    return int(raw) if isinstance(raw, int) else None
        return None

    def walk(selection_set: SelectionSetNode | None, parent: Any, multiplier: int) -> None:
        nonlocal requests, nodes
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                cond = (
                    schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                walk(selection.selection_set, cond, multiplier)
            elif isinstance(selection, FragmentSpreadNode):
                frag = fragments[selection.name.value]
                walk(
                    frag.selection_set, schema.get_type(frag.type_condition.name.value), multiplier
                )
            elif isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", {})
                definition = fields.get(selection.name.value)
                if definition is None:
                    continue
                named = get_named_type(definition.type)
                child = multiplier
                if named.name.endswith("Connection"):
                    first, last = arg(selection, "first"), arg(selection, "last")
                    label = f"`{selection.name.value}` connection"
                    if first is None and last is None:
                        raise TypedError(
                            "MISSING_PAGINATION_BOUNDARIES",
                            f"You must provide a `first` or `last` value to properly paginate the {label}.",
                        )
                    for name, value in (("first", first), ("last", last)):
                        if value is not None and not 0 <= value <= MAX_PAGE:
                            raise TypedError(
                                "EXCESSIVE_PAGINATION",
                                f"Requesting {value} records on the {label} exceeds the `{name}` limit of {MAX_PAGE} records.",
                            )
                    size = first if first is not None else (last or 0)
                    requests += multiplier
                    nodes += multiplier * size
                    child = multiplier * size
                walk(selection.selection_set, named, child)

    walk(operation.selection_set, schema.query_type, 1)
    cost = max(1, int(requests / 100 + 0.5))
    return QueryCost(cost, nodes)


class _DocumentCache:
    """Parsed and validated documents by query text, computed once even when asked concurrently.

    A client that sends one query text with different variables (or the same query again) is
    parsed and validated once; graphql-core spends more time there than executing a batch.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: dict[str, DocumentNode | list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}

    def get(
        self, text: str, compute: Callable[[str], DocumentNode | list[dict[str, Any]]]
    ) -> DocumentNode | list[dict[str, Any]]:
        with self._lock:
            found = self._items.get(text)
            if found is not None:
                return found
            gate = self._computing.setdefault(text, threading.Lock())
        with gate:
            with self._lock:
                found = self._items.get(text)
            if found is not None:
                return found
            value = compute(text)
            with self._lock:
                if len(self._items) >= self._size:
                    self._items.pop(next(iter(self._items)))
                self._items[text] = value
                self._computing.pop(text, None)
            return value


class GitHubGraphQL:
    def __init__(self, core: ForgeCore, api_url: str) -> None:
        self.core = core
        self.schema = build_schema(SDL)
        self._documents = _DocumentCache()
        git_object = self.schema.get_type("GitObject")
        assert git_object is not None
        git_object.resolve_type = lambda value, info, abstract: value.typename  # type: ignore[attr-defined]
        owner = self.schema.get_type("RepositoryOwner")
        assert owner is not None
        owner.resolve_type = lambda value, info, abstract: value.typename  # type: ignore[attr-defined]

    def handle(self, request: Request) -> Response:
        bucket = self.core.rate_limit.graphql
        if request.method != "POST":
            return self._answer({"message": "Not Found"}, bucket.snapshot(), 404)
        try:
            payload = json.loads(request.body or b"{}")
            query = payload["query"]
            variables = payload.get("variables") or {}
            operation_name = payload.get("operationName")
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise ValueError("bad payload")
        except (ValueError, KeyError, TypeError):
            return self._answer({"message": "Problems parsing JSON"}, bucket.snapshot(), 400)
        checked = self._documents.get(query, self._check)
        if isinstance(checked, list):
            return self._answer({"errors": checked}, bucket.snapshot())
        document = checked
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        operation = next(
            (
                o
                for o in operations
                if operation_name is None or (o.name and o.name.value == operation_name)
            ),
            None,
        )
        if operation is None:
            return self._answer(
                {"errors": [{"message": f"Unknown operation named '{operation_name}'."}]},
                bucket.snapshot(),
            )
        try:
            cost = query_cost(self.schema, document, operation, variables)
        except TypedError as exc:
            return self._answer(
                {"errors": [{"type": exc.kind, "message": str(exc)}]}, bucket.snapshot()
            )
        ok, snap = bucket.try_consume(cost.cost)
        if not ok:
            message = "API rate limit already exceeded for installation ID 1."
            return self._answer({"errors": [{"type": "RATE_LIMITED", "message": message}]}, snap)
        result = execute_sync(
            self.schema,
            document,
            root_value=_Root(self.core, cost, snap),
            variable_values=variables,
            operation_name=operation_name,
        )
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            errors = []
            for err in result.errors:
                formatted = dict(err.formatted)
                if isinstance(err.original_error, TypedError):
                    formatted = {"type": err.original_error.kind, **formatted}
                errors.append(formatted)
            out["errors"] = errors
        response = self._answer(out, snap)
        response.cost = cost.cost
        return response

    def _check(self, query: str) -> DocumentNode | list[dict[str, Any]]:
        """The parsed document, or the errors GitHub answers for a malformed or invalid one."""
        try:
            document = parse(query)
        except GraphQLError as exc:
            return [dict(exc.formatted)]
        problems = validate(self.schema, document)
        if problems:
            return [dict(p.formatted) for p in problems]
        return document

    def _answer(self, payload: dict[str, Any], snap: RateSnapshot, status: int = 200) -> Response:
        return Response.json(status, payload, rate_headers(snap))
