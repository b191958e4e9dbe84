"""Command groups `vitra controller ...` (serve, and a client for a running controller) and `vitra bundle ...`
(keygen, build, verify). `vitra_assets.cli` registers both; `python -m robot.cli` runs them standalone."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from vitra_core.config import default_config_dir
from vitra_core.errors import VitraError

DEFAULT_URL = "http://127.0.0.1:8765"


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def _echo_json(payload: object) -> None:
    click.echo(json.dumps(payload, indent=2, sort_keys=True))


@click.group()
def controller() -> None:
    """The hand controller: run it, or talk to a running one (health, policy, deploy, rollback)."""


@controller.command()
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Controller YAML (default: configs/robot/controller.yaml).")
@click.option("--port", type=int, default=None, help="Override the config's port.")
@click.option("--host", default=None, help="Override the config's host.")
def serve(config_path: Path | None, port: int | None, host: str | None) -> None:
    """Run the controller (HTTP API, control loop, policy worker) until Ctrl-C / SIGTERM.

    The deploy token is read from the environment variable the config's `token_env` names.
    """
    from robot.controller.config import load_controller_config
    from robot.controller.server import serve as serve_controller

    try:
        config = load_controller_config(config_path or default_config_dir() / "robot" / "controller.yaml")
        overrides = {key: value for key, value in (("port", port), ("host", host)) if value is not None}
        serve_controller(config.model_copy(update=overrides))
    except VitraError as exc:
        raise _fail(exc) from exc


def _client(url: str, token_env: str | None = None):
    """A client of `url`, with the token from `token_env` for the mutating calls."""
    from robot.deploy_client import DeployClient

    token = os.environ.get(token_env) if token_env else None
    return DeployClient(url, token or None)


_url = click.option("--url", envvar="VITRA_CONTROLLER_URL", default=DEFAULT_URL, show_default=True,
                    help="The controller (env VITRA_CONTROLLER_URL).")
_token_env = click.option("--token-env", default="VITRA_CONTROLLER_TOKEN", show_default=True,
                          help="Environment variable holding the bearer token.")


@controller.command()
@_url
def health(url: str) -> None:
    """Print the controller's health report."""
    try:
        _echo_json(_client(url).health())
    except VitraError as exc:
        raise _fail(exc) from exc


@controller.command()
@_url
def policy(url: str) -> None:
    """Print the active bundle's manifest and the kept history."""
    try:
        _echo_json(_client(url).policy())
    except VitraError as exc:
        raise _fail(exc) from exc


@controller.command()
@click.argument("bundle_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_url
@_token_env
@click.option("--force", is_flag=True, help="Deploy even a bundle built before the active one (going back).")
def deploy(bundle_path: Path, url: str, token_env: str, force: bool) -> None:
    """Upload a signed bundle; the controller checks it and swaps it in, or says which check failed."""
    try:
        result = _client(url, token_env).deploy(bundle_path, force=force)
    except VitraError as exc:
        raise _fail(exc) from exc
    click.echo(f"active bundle: {result['bundle_id']}")


@controller.command()
@_url
@_token_env
def rollback(url: str, token_env: str) -> None:
    """Return to the previous bundle."""
    try:
        result = _client(url, token_env).rollback()
    except VitraError as exc:
        raise _fail(exc) from exc
    click.echo(f"active bundle: {result['bundle_id']}")


@click.group()
def bundle() -> None:
    """Signed policy bundles: signing keys, building, verifying."""


@bundle.command()
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), required=True)
def keygen(out_dir: Path) -> None:
    """Write a new Ed25519 key pair (private key 0600; give the public one to the controller)."""
    from robot.bundle import write_keypair

    try:
        private_path, public_path = write_keypair(out_dir)
    except VitraError as exc:
        raise _fail(exc) from exc
    click.echo(f"private key: {private_path}\npublic key:  {public_path}")


@bundle.command()
@click.option("--policy-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="A saved VLAPolicy folder.")
@click.option("--lineage", "lineage_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="JSON: model_name, model_version, run_id, dataset_dvc_md5, git_commit, extra.")
@click.option("--key", "key_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="The Ed25519 private key (PEM).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def build(policy_dir: Path, lineage_path: Path, key_path: Path, out: Path) -> None:
    """Build and sign a bundle of a policy folder."""
    from pydantic import ValidationError

    from robot.bundle import BundleLineage, build_bundle, load_private_key

    try:
        lineage = BundleLineage.model_validate_json(lineage_path.read_text())
        path = build_bundle(policy_dir, lineage, load_private_key(key_path), out)
    except ValidationError as exc:
        raise click.ClickException(f"{lineage_path}: not a bundle lineage: {exc}") from exc
    except VitraError as exc:
        raise _fail(exc) from exc
    click.echo(f"bundle: {path} ({path.stat().st_size} bytes)")


@bundle.command()
@click.argument("bundle_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trusted-key", "trusted_keys", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              multiple=True, required=True, help="A trusted public key (PEM); repeat for several.")
@click.option("--max-bytes", type=int, default=256 * 1024 * 1024, show_default=True)
def verify(bundle_path: Path, trusted_keys: tuple[Path, ...], max_bytes: int) -> None:
    """Run the controller's byte-level checks (size, paths, signature, hashes, schema) and print the manifest."""
    from robot.bundle import load_trusted_keys, verify_archive

    try:
        verified = verify_archive(bundle_path.read_bytes(), load_trusted_keys(trusted_keys), max_bytes)
    except VitraError as exc:
        raise _fail(exc) from exc
    click.echo(f"bundle {verified.bundle_id} verifies (signed by key {verified.key_id})")
    click.echo(verified.manifest.model_dump_json(indent=2))


cli = click.Group("robot", commands={"controller": controller, "bundle": bundle}, help=__doc__)

if __name__ == "__main__":
    cli()
