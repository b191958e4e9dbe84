"""`vitra`: the command group, its options (profile, --verbose) and how failures end (one line)."""

from __future__ import annotations

import os
import traceback

import click

from vitra_core import console
from vitra_core.config import VitraConfig, load_config
from vitra_core.errors import VitraError


def project_config(ctx: click.Context) -> VitraConfig:
    """The loaded config of the `vitra` group (pass the group's context)."""
    return ctx.obj["config"]


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join("{:<%d}" % w for w in widths)
    click.echo(line.format(*headers))
    click.echo(line.format(*["-" * w for w in widths]))
    for row in cells:
        click.echo(line.format(*row))


# Commands whose own output is the point (a server in the foreground, an exec): never captured.
_UNCAPTURED = {"ui", "controller"}


class _VitraGroup(click.Group):
    """Known failures (a VitraError) end as one line, `error: <message>`, exit 1; an unexpected exception
    as one line naming the log file that holds its traceback (with --verbose: the traceback itself)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except VitraError as exc:
            if console.capturing() or console.verbose():
                console.to_log(traceback.format_exc())  # the log file; with --verbose, the terminal
            click.echo(f"error: {exc}", file=console.terminal())
            raise click.exceptions.Exit(1) from exc
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            log = console.capturing()
            if log is None:
                raise
            console.to_log(traceback.format_exc())
            click.echo(f"error: unexpected {type(exc).__name__}: {exc} (traceback in {log}; "
                       "--verbose shows it here)", file=console.terminal())
            raise click.exceptions.Exit(1) from exc


@click.group(cls=_VitraGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vitra-ops", prog_name="vitra")
@click.option("--profile", envvar="VITRA_PROFILE", default="default", show_default=True,
              help="Config profile: configs/<profile>.yaml (env VITRA_PROFILE).")
@click.option("-v", "--verbose", is_flag=True, envvar="VITRA_VERBOSE",
              help="Show everything on the terminal: library warnings, MediaPipe's C++ log, Dagster's DEBUG "
                   "lines, tracebacks (by default they go to paths.log_file, .vitra/logs/vitra.log).")
@click.pass_context
def main(ctx: click.Context, profile: str, verbose: bool) -> None:
    """VITRA-Ops: human hand videos in, dexterous robot policies out.

    Videos dropped into the inbox (see configs/default.yaml: paths.inbox) are ingested by the
    Dagster sensor when `vitra ui` is running, or right away by `vitra ingest`.
    """
    os.environ["VITRA_PROFILE"] = profile  # so Dagster resources and sensors load the same profile
    try:
        cfg = load_config(profile)
    except VitraError as exc:
        raise click.ClickException(str(exc)) from exc
    ctx.obj = {"config": cfg}
    if ctx.invoked_subcommand not in _UNCAPTURED:
        ctx.with_resource(console.captured_output(cfg.log_file, show_everything=verbose))

