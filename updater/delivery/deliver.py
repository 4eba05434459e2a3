"""After the engine: push each update's branch, open or update its pull request, remember it all,
and publish the dashboard issue.

For each UpdateResult:
- updated: the branch is pushed and its PR opened or updated (lifecycle.decide says which;
  a force-push only over the bot's own commits, with a lease on the sha seen before deciding),
  or left alone (version declined or already proposed, a person's commits, the PR limits);
- failed while an older PR of the unit is open: the old PR is kept as it is, the failure is
  reported (run output and dashboard);
- skipped: nothing.
Everything is recorded in the state store, then the dashboard is written.

Use (one Delivery per run):

    with Delivery.open(ctx, dry_run=dry_run) as delivery:
        delivery.sync()                                    # before the engine runs
        results = ...  # the engine, on delivery.engine_context() (declined versions ignored)
        report = delivery.deliver(results, complete=every_unit)

The pipeline (pipeline/step.py) keeps one Delivery for a whole run: `sync()` once,
`deliver_results(results)` after each batch of units (no dashboard), then
`publish_dashboard(next_run)` once at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType

from updater.context import AppContext
from updater.cron import next_run_of
from updater.delivery.ownership import BranchState, branch_state
from updater.delivery.proposal import name_of, proposal_of
from updater.delivery.report import DeliveryReport, UnitDelivery, dashboard_data
from updater.delivery.sync import SyncReport, ignoring_declined, sync
from updater.engine.result import Outcome, UpdateResult
from updater.errors import ConfigError, GitError, RateLimitedError, UpdaterError
from updater.forge.auth import TokenProvider, token_provider
from updater.forge.client import ForgeClient
from updater.forge.dashboard import Dashboard
from updater.forge.lifecycle import decide
from updater.forge.models import ForgeOutcome
from updater.forge.pulls import PullRequests
from updater.gitops.push import Credentials, push_branch
from updater.logs import get_logger
from updater.state.delivery import (
    PullRecord,
    UnitOutcome,
    dashboard_number,
    declined_for,
    declined_records,
    open_pull_of,
    pull_records,
    save_dashboard_number,
    save_outcomes,
    save_pull,
    unit_outcomes,
)
from updater.state.store import StateStore

_log = get_logger("updater.delivery")


def push_url_of(ctx: AppContext) -> str:
    """Where branches are pushed: repository.push_url, else the forge's URL of the repository."""
    if ctx.config.repository.push_url:
        return ctx.config.repository.push_url
    if not ctx.endpoints.repository:
        raise ConfigError("no repository on the forge: set repository.github or GITHUB_REPOSITORY")
    return f"{ctx.endpoints.server_url}/{ctx.endpoints.repository}.git"


def wanted(ctx: AppContext) -> bool:
    """Whether `updater run` delivers at all: PRs enabled and a repository on the forge known."""
    return ctx.config.pull_requests.enabled and bool(ctx.endpoints.repository)


class Delivery:
    """One run's connection to the forge and the store; see the module docstring."""

    def __init__(
        self,
        ctx: AppContext,
        store: StateStore,
        client: ForgeClient,
        tokens: TokenProvider,
        *,
        owns_store: bool = False,
    ) -> None:
        self.ctx = ctx
        self.store = store
        self.client = client
        self.tokens = tokens
        self.pulls = PullRequests(client)
        self.dry_run = client.dry_run
        self._owns_store = owns_store
        self._synced: SyncReport | None = None
        self._budget_seeded = False
        # What this Delivery delivered, by unit: a dry run's dashboard shows it (nothing stored).
        self._fresh: dict[str, UnitOutcome] = {}

    @classmethod
    def open(
        cls,
        ctx: AppContext,
        *,
        dry_run: bool = False,
        store: StateStore | None = None,
        client: ForgeClient | None = None,
    ) -> Delivery:
        tokens = (
            client.tokens
            if client is not None
            else token_provider(ctx.config, ctx.secrets, ctx.endpoints)
        )
        client = client or ForgeClient.from_config(
            ctx.config, ctx.endpoints, tokens, dry_run=dry_run
        )
        owns = store is None
        return cls(ctx, store or StateStore.open(ctx.state_url), client, tokens, owns_store=owns)

    def close(self) -> None:
        self.client.close()
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Delivery:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # before the run ---------------------------------------------------------------------------
    def sync(self) -> SyncReport:
        """Reconcile the store with GitHub (sync.py); call once before the engine runs."""
        self._synced = sync(self.store, self.pulls, dry_run=self.dry_run)
        return self._synced

    def declined_versions(self, unit: str, packages: Sequence[str] = ()) -> frozenset[str]:
        """Versions declined for `unit` (or, after a lost store, for any of its packages)."""
        return declined_for(self.store, unit=unit, packages=packages)

    def engine_context(self) -> AppContext:
        """The run's context with every declined version in the policy's ignore lists, so the
        upstream check never picks one again (a newer version still is)."""
        config = ignoring_declined(self.ctx.config, declined_records(self.store))
        return self.ctx if config is self.ctx.config else replace(self.ctx, config=config)

    # after the run ----------------------------------------------------------------------------
    def deliver(
        self,
        results: Sequence[UpdateResult],
        *,
        complete: bool = False,
        next_run: datetime | None = None,
    ) -> DeliveryReport:
        """Push, open/update PRs, record, publish the dashboard. `complete`: the run covered
        every unit (`--all`), so units missing from `results` are forgotten. The dashboard's next
        run is `next_run`, else when the configured schedule fires next."""
        report = self.deliver_results(results, complete=complete)
        number = self.publish_dashboard(next_run or next_run_of(self.ctx.config.schedule))
        return self.report_of(report.units, dashboard=number)

    def deliver_results(
        self, results: Sequence[UpdateResult], *, complete: bool = False
    ) -> DeliveryReport:
        """`deliver` without the dashboard, for a caller that delivers in several parts and
        publishes the dashboard once after the last (`publish_dashboard`)."""
        if self._synced is None:
            self.sync()
        if not self._budget_seeded:
            # Once per Delivery: afterwards the budget counts the PRs it opens and closes itself.
            self.pulls.seed_budget()
            self._budget_seeded = True
        done: list[UnitDelivery] = []
        limited: str | None = None
        for result in results:
            if limited is not None and result.outcome is Outcome.UPDATED:
                done.append(UnitDelivery(result.unit, None, result.outcome.value, error=limited))
                continue
            try:
                done.append(self._one(result))
            except RateLimitedError as exc:
                limited = f"rate limited: {exc}"
                done.append(UnitDelivery(result.unit, None, result.outcome.value, error=limited))
            except UpdaterError as exc:
                _log.warning("delivery failed", unit=result.unit, error=str(exc))
                done.append(UnitDelivery(result.unit, None, result.outcome.value, error=str(exc)))
        outcomes = [self._outcome(r, d) for r, d in zip(results, done, strict=True)]
        if not self.dry_run:
            save_outcomes(self.store, outcomes, prune_others=complete)
        self._fresh.update((o.unit, o) for o in outcomes)
        return self.report_of(done)

    def report_of(
        self, units: Sequence[UnitDelivery], *, dashboard: int | None = None
    ) -> DeliveryReport:
        """The report of `units` delivered through this Delivery, with what the sync found and
        (in a dry run) every write it would have sent."""
        synced = self._synced
        return DeliveryReport(
            units=tuple(units),
            dry_run=self.dry_run,
            dashboard=dashboard,
            declined_now=synced.declined if synced else (),
            deleted_branches=synced.deleted_branches if synced else (),
            intents=self.client.intents,
        )

    def _one(self, result: UpdateResult) -> UnitDelivery:
        prefix = self.client.settings.branch_prefix
        if result.outcome is Outcome.SKIPPED:
            return UnitDelivery(result.unit, None, "skipped", reason=result.reason)
        if result.outcome is Outcome.FAILED:
            kept = self._open_pull_of(result)
            return UnitDelivery(
                result.unit,
                kept.name if kept else None,
                "failed",
                pull=kept.number if kept else None,
                reason=result.reason,
            )
        name = name_of(result, prefix)
        if not self.dry_run and not result.commit:
            return UnitDelivery(result.unit, name, "updated", error="the engine made no commit")
        update = proposal_of(result, name, self.ctx.config)
        branch = self.pulls.branch(name)
        url = push_url_of(self.ctx)
        # The lease is the sha the branch's commits were read at: a push after someone moved
        # the branch fails.
        state = self._branch_state(url, branch)
        lease = state.sha
        declined = self.declined_versions(result.unit, result.packages) | declined_for(
            self.store, name=name
        )
        situation = self.pulls.situation(name, declined, ownership=state.ownership)
        actions = decide(situation, update)

        def push(to: str, force: bool) -> None:
            assert result.commit is not None
            push_branch(
                self.ctx.repo,
                url,
                to,
                result.commit,
                credentials=self._credentials(),
                force_with_lease=(lease or "") if force else None,
            )

        outcome = self.pulls.carry_out(situation, actions, update, push)
        self._remember(result, name, branch, outcome)
        return UnitDelivery(
            result.unit,
            name,
            "updated",
            done=outcome.done,
            pull=outcome.pull,
            reason=outcome.reason,
        )

    def _branch_state(self, url: str, branch: str) -> BranchState:
        """Whose commits are on `branch`, from git (never the compare endpoint); GitError when
        git cannot tell, and then nothing is pushed."""
        try:
            return branch_state(
                self.ctx.repo,
                url,
                branch,
                self.pulls.default_branch(),
                [self.client.settings.author_email],
                self._credentials(),
            )
        except GitError as exc:
            raise GitError(
                f"{branch}: cannot tell whose commits are on it, not pushed: {exc}"
            ) from None

    def _credentials(self) -> Credentials:
        return Credentials(self.tokens.token())

    def _open_pull_of(self, result: UpdateResult) -> PullRecord | None:
        found = open_pull_of(self.store, unit=result.unit)
        if found is not None or not result.packages:
            return found
        wanted_packages = set(result.packages)
        matches = [p for p in pull_records(self.store, "open") if wanted_packages & set(p.packages)]
        return max(matches, key=lambda p: p.number) if matches else None

    def pull_url(self, number: int) -> str:
        return f"{self.ctx.endpoints.server_url}/{self.client.repository}/pull/{number}"

    def _remember(
        self,
        result: UpdateResult,
        name: str,
        branch: str,
        outcome: ForgeOutcome,
    ) -> None:
        if self.dry_run or outcome.pull is None:
            return
        if "open" not in outcome.done and "update" not in outcome.done:
            return
        known = {p.number: p for p in pull_records(self.store)}
        previous = known.get(outcome.pull)
        save_pull(
            self.store,
            PullRecord(
                number=outcome.pull,
                name=name,
                branch=branch,
                state="open",
                old=result.old or "?",
                new=result.new or "?",
                url=previous.url if previous else self.pull_url(outcome.pull),
                unit=result.unit,
                packages=result.packages,
            ),
        )

    def _outcome(self, result: UpdateResult, done: UnitDelivery) -> UnitOutcome:
        if done.error:
            return UnitOutcome(
                unit=result.unit,
                outcome="failed",
                reason=f"delivery: {done.error}",
                name=done.name,
                packages=result.packages,
                old=result.old,
                new=result.new,
            )
        return UnitOutcome(
            unit=result.unit,
            outcome=result.outcome.value,  # type: ignore[arg-type]
            reason=result.reason or done.reason,
            name=done.name,
            packages=result.packages,
            old=result.old,
            new=result.new,
            pull=done.pull,
        )

    def publish_dashboard(self, next_run: datetime | None) -> int | None:
        """Create or update the dashboard issue from the store; its number (None when disabled,
        or not published: the failure is logged, the run's outcome stands). `next_run`: when the
        next run is scheduled, None when none is."""
        if not self.client.settings.dashboard:
            return None
        outcomes = unit_outcomes(self.store)
        if self.dry_run:
            # Nothing was stored: show what this run found beside what the store knew.
            fresh = dict(self._fresh)
            outcomes = [fresh.pop(o.unit, o) for o in outcomes] + list(fresh.values())
        data = dashboard_data(
            outcomes,
            pull_records(self.store, "open"),
            declined_records(self.store),
            next_run=next_run,
            now=datetime.now(UTC),
        )
        repository = self.client.repository
        try:
            number = Dashboard(self.client).publish(
                data, known_number=dashboard_number(self.store, repository)
            )
        except UpdaterError as exc:
            _log.warning("dashboard not published", error=str(exc))
            return None
        if number is not None and not self.dry_run:
            save_dashboard_number(self.store, repository, number)
        return number
