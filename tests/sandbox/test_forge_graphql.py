"""GitHub GraphQL subset: aliased repositories, field selection, cost, rate limiting, errors."""

from __future__ import annotations

import httpx
from conftest import Upstream

from updater_sandbox.forge import LocalForge

Repo = tuple[Upstream, dict[str, str]]

REPO_FIELDS = """
  latestRelease { tagName name publishedAt isPrerelease isDraft url }
  releases(first: 10, orderBy: {field: CREATED_AT, direction: DESC}) {
    nodes { tagName isPrerelease isDraft }
  }
  refs(refPrefix: "refs/tags/", first: 10, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) {
    nodes {
      name
      target {
        oid
        ... on Commit { committedDate }
        ... on Tag { target { oid ... on Commit { committedDate } } }
      }
    }
  }
  defaultBranchRef { name target { ... on Commit { oid committedDate } } }
"""


def gql(api: httpx.Client, forge: LocalForge, query: str, **variables: object) -> httpx.Response:
    return api.post(forge.graphql_url, json={"query": query, "variables": variables})


def test_aliased_repositories_return_only_requested_fields(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    _, shas = gh_repo
    forge.add_release("github.com", "alice", "proj", "v1.0")
    forge.add_release("github.com", "alice", "proj", "v1.1", name="Eleven")
    forge.add_release("github.com", "alice", "proj", "v2.0-rc1", prerelease=True)
    query = f"""query {{
      r0: repository(owner: "alice", name: "proj") {{ {REPO_FIELDS} }}
      r1: repository(owner: "alice", name: "proj") {{ latestRelease {{ tagName }} }}
      rateLimit {{ cost remaining resetAt limit used }}
    }}"""
    response = gql(api, forge, query)
    assert response.status_code == 200
    data = response.json()["data"]
    assert "errors" not in response.json()
    r0 = data["r0"]
    assert r0["latestRelease"]["tagName"] == "v1.1"
    assert r0["latestRelease"]["name"] == "Eleven"
    assert r0["latestRelease"]["url"] == "https://github.com/alice/proj/releases/tag/v1.1"
    assert [n["tagName"] for n in r0["releases"]["nodes"]] == ["v2.0-rc1", "v1.1", "v1.0"]
    refs = r0["refs"]["nodes"]
    assert [n["name"] for n in refs] == ["v2.0-rc1", "v1.1", "v1.0"]
    annotated = refs[0]["target"]
    assert annotated["target"] == {"oid": shas["c3"], "committedDate": "2024-03-01T10:00:00Z"}
    lightweight = refs[1]["target"]
    assert lightweight == {"oid": shas["c2"], "committedDate": "2024-02-01T10:00:00Z"}
    assert r0["defaultBranchRef"] == {
        "name": "main",
        "target": {"oid": shas["c3"], "committedDate": "2024-03-01T10:00:00Z"},
    }
    assert data["r1"] == {"latestRelease": {"tagName": "v1.1"}}
    assert set(data["rateLimit"]) == {"cost", "remaining", "resetAt", "limit", "used"}
    assert data["rateLimit"]["cost"] == 1


def test_unknown_repository_is_null_with_not_found_error(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    body = gql(
        api,
        forge,
        '{ a: repository(owner: "alice", name: "proj") { name } b: repository(owner: "x", name: "y") { name } }',
    ).json()
    assert body["data"] == {"a": {"name": "proj"}, "b": None}
    (error,) = body["errors"]
    assert error["type"] == "NOT_FOUND" and error["path"] == ["b"]
    assert "x/y" in error["message"]


def test_cost_follows_githubs_rule_and_is_charged(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    # 150 aliased repositories, two connections each: 300 requests -> 3 points.
    aliases = "\n".join(
        f'r{i}: repository(owner: "alice", name: "proj") {{ releases(first: 100) {{ totalCount }} refs(refPrefix: "refs/tags/", first: 100) {{ totalCount }} }}'
        for i in range(150)
    )
    before = forge.rate_limit.graphql.remaining
    response = gql(api, forge, f"{{ {aliases} rateLimit {{ cost nodeCount remaining }} }}")
    body = response.json()
    assert body["data"]["rateLimit"]["cost"] == 3
    assert body["data"]["rateLimit"]["nodeCount"] == 30000
    assert forge.rate_limit.graphql.remaining == before - 3
    assert body["data"]["rateLimit"]["remaining"] == before - 3
    assert response.headers["X-RateLimit-Resource"] == "graphql"
    assert response.headers["X-RateLimit-Remaining"] == str(before - 3)
    # REST points are untouched by GraphQL.
    assert forge.rate_limit.core.remaining == forge.rate_limit.core.limit
    # Nested connections multiply: 1 + 50 requests -> rounds to 1; 1 + 100 x ... is costlier.
    small = gql(
        api,
        forge,
        '{ repository(owner: "alice", name: "proj") { releases(first: 50) { nodes { tagName } } } rateLimit { cost } }',
    )
    assert small.json()["data"]["rateLimit"]["cost"] == 1
    assert [r.cost for r in forge.requests if r.path == "/api/graphql"][-2:] == [3, 1]


def test_rate_limited_graphql_answers_200_with_error(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    forge.rate_limit.graphql.remaining = 0
    response = gql(api, forge, '{ repository(owner: "alice", name: "proj") { name } }')
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["type"] == "RATE_LIMITED"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    forge.rate_limit.graphql.remaining = 100
    assert (
        gql(api, forge, '{ repository(owner: "alice", name: "proj") { name } }').json()["data"][
            "repository"
        ]["name"]
        == "proj"
    )


def test_pagination_boundaries_are_enforced(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    missing = gql(
        api, forge, '{ repository(owner: "alice", name: "proj") { releases { totalCount } } }'
    ).json()
    assert missing["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"
    excessive = gql(
        api,
        forge,
        '{ repository(owner: "alice", name: "proj") { releases(first: 101) { totalCount } } }',
    ).json()
    assert excessive["errors"][0]["type"] == "EXCESSIVE_PAGINATION"
    assert forge.rate_limit.graphql.remaining == forge.rate_limit.graphql.limit


def test_cursor_pagination_and_variables(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    query = """query($owner: String!, $name: String!, $n: Int!, $after: String) {
      repository(owner: $owner, name: $name) {
        refs(refPrefix: "refs/tags/", first: $n, after: $after, orderBy: {field: ALPHABETICAL, direction: ASC}) {
          totalCount nodes { name } pageInfo { hasNextPage endCursor }
        }
      }
    }"""
    page1 = gql(api, forge, query, owner="alice", name="proj", n=2).json()["data"]["repository"][
        "refs"
    ]
    assert page1["totalCount"] == 3
    assert [n["name"] for n in page1["nodes"]] == ["v1.0", "v1.1"]
    assert page1["pageInfo"]["hasNextPage"] is True
    page2 = gql(
        api, forge, query, owner="alice", name="proj", n=2, after=page1["pageInfo"]["endCursor"]
    ).json()
    refs = page2["data"]["repository"]["refs"]
    assert [n["name"] for n in refs["nodes"]] == ["v2.0-rc1"]
    assert refs["pageInfo"]["hasNextPage"] is False


def test_invalid_queries_get_graphql_errors(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    body = gql(api, forge, '{ repository(owner: "alice", name: "proj") { noSuchField } }').json()
    assert "noSuchField" in body["errors"][0]["message"]
    assert "data" not in body
    assert api.post(forge.graphql_url, content=b"not json").status_code == 400


def test_latest_release_null_without_releases(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    body = gql(
        api, forge, '{ repository(owner: "alice", name: "proj") { latestRelease { tagName } } }'
    ).json()
    assert body == {"data": {"repository": {"latestRelease": None}}}


def test_graphql_requires_the_token(forge: LocalForge, gh_repo: Repo) -> None:
    response = httpx.post(forge.graphql_url, json={"query": "{ rateLimit { cost } }"})
    assert response.status_code == 401


def test_latest_release_follows_make_latest_and_drafts_hide_from_readers(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    """GitHub's Latest is the release last marked so; backports marked never-Latest do not take
    it by being newer. Drafts: shown with isDraft, or hidden as from a token without push."""
    forge.add_release("github.com", "alice", "proj", "v1.1", make_latest=True)
    forge.add_release("github.com", "alice", "proj", "v1.0", make_latest=False)
    forge.add_release("github.com", "alice", "proj", "v2.0-rc1", draft=True)
    query = """query { r: repository(owner: "alice", name: "proj") {
      latestRelease { tagName }
      releases(first: 10) { nodes { tagName isDraft } }
      draft: release(tagName: "v2.0-rc1") { isDraft } } }"""
    data = gql(api, forge, query).json()["data"]["r"]
    assert data["latestRelease"]["tagName"] == "v1.1"
    assert {n["tagName"]: n["isDraft"] for n in data["releases"]["nodes"]}["v2.0-rc1"] is True
    assert api.get(f"{forge.api_url}/repos/alice/proj/releases/latest").json()["tag_name"] == "v1.1"
    forge.hide_drafts("github.com", "alice", "proj")
    data = gql(api, forge, query).json()["data"]["r"]
    assert [n["tagName"] for n in data["releases"]["nodes"]] == ["v1.1", "v1.0"]
    assert data["draft"] is None
    listed = api.get(f"{forge.api_url}/repos/alice/proj/releases").json()
    assert [r["tag_name"] for r in listed] == ["v1.1", "v1.0"]
