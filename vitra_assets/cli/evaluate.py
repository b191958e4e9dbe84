"""`vitra eval benefit`: the pretraining-benefit sweep from the command line (the asset's code, no Dagster)."""

from __future__ import annotations

import click

from vitra_assets.cli.app import main, project_config


@main.group("eval")
def eval_group() -> None:
    """Evaluate trained policies in simulation."""


@eval_group.command("benefit")
@click.option("--demos", default="1,2,5,10,20", show_default=True,
              help="Comma-separated demos per task (the asset takes policy_eval.benefit_demos_per_task).")
@click.pass_context
def benefit(ctx: click.Context, demos: str) -> None:
    """Train policies from the pretrained VLA and from scratch at each demo count (same budget and seed), roll
    them out on unseen seeds and held-out variations, print the table and write the plot."""
    from robot.pretraining_benefit import benefit_stage

    report, plot, run_id = benefit_stage(project_config(ctx.find_root()), [int(n) for n in demos.split(",")])
    click.echo(report.markdown())
    click.echo(f"plot: {plot}\nMLflow run: {run_id}")
