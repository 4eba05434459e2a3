"""Where branches and pull requests go: GitHub through PyGithub, the PR body, the dashboard issue.

The engine's entry points:
    tokens = token_provider(config, secrets, endpoints)          # auth.py
    client = ForgeClient.from_config(config, endpoints, tokens, dry_run=...)   # client.py
    pulls = PullRequests(client); pulls.seed_budget()            # pulls.py
    situation = pulls.situation(name, declined, ownership=branch_state(...).ownership)  # from git
    outcome = pulls.carry_out(situation, decide(situation, update), update, push)  # lifecycle.py
    Dashboard(client).publish(DashboardData(...))                # dashboard.py
    recover_state(pulls.bot_pulls(), prefix)                     # state from GitHub alone
"""

from updater.forge.auth import AppTokenProvider, StaticToken, TokenProvider, token_provider
from updater.forge.client import ForgeClient
from updater.forge.dashboard import Dashboard
from updater.forge.lifecycle import decide, recover_state
from updater.forge.pulls import PullRequests

__all__ = [
    "AppTokenProvider",
    "Dashboard",
    "ForgeClient",
    "PullRequests",
    "StaticToken",
    "TokenProvider",
    "decide",
    "recover_state",
    "token_provider",
]
