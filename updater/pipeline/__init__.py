"""The one pipeline: scan -> check -> update -> deliver, for `updater run`, `serve` and `demo`.

    selection.py  what a run covers: the scan's units, for named packages and a shard
    check.py      one decision per unit from its upstream (tracking + policy)
    targets.py    where each unit moves: the decision's release or commit, or `--version V`
    step.py       the update step: the engine on a batch of units, then delivery (push, PRs)
    run.py        the sequence, with cancellation between batches and one report
The callers only choose options (`PipelineRequest`) and what to watch (`PipelineEvents`):
`run` takes every unit in one parallel batch; the service takes them one at a time, so that
a shutdown stops between units and each PR appears as soon as its unit is done.
"""
