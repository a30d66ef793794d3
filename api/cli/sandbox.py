"""`threadline sandbox …`: run the sandbox Shopify store on its own."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Run the sandbox Shopify store.", no_args_is_help=True)


@app.callback()
def sandbox() -> None:
    """The sandbox Shopify store: the Admin GraphQL API subset Threadline uses, over fixtures."""


@app.command("serve")
def serve(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="The fixture directory (a store's sandbox/ folder).",
            exists=True,
            file_okay=False,
            dir_okay=True,
            resolve_path=True,
        ),
    ],
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on (0: any free port).")
    ] = 8081,
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar="THREADLINE_SHOPIFY_TOKEN",
            help="Access token the store accepts in X-Shopify-Access-Token.",
            show_default=False,
        ),
    ] = "sandbox-token",  # noqa: S107 (a sandbox-only default, documented)
    state_file: Annotated[
        Path | None,
        typer.Option(
            "--state-file",
            help="Keep changes in this JSON file across restarts (default: memory only).",
        ),
    ] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            "--webhook-url",
            help="Send the shop's webhooks (fulfillments/update) to this URL, e.g. "
            "http://127.0.0.1:8080/webhooks/shopify.",
        ),
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(
            "--webhook-secret",
            envvar="THREADLINE_SHOPIFY_WEBHOOK_SECRET",
            help="The secret that signs them (X-Shopify-Hmac-Sha256).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve POST /admin/api/<version>/graphql.json for the fixtures in --data until Ctrl-C."""
    from tools.sandbox import FixtureError, SandboxServer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if webhook_url and not webhook_secret:
        typer.secho(
            "error: --webhook-url needs --webhook-secret (or THREADLINE_SHOPIFY_WEBHOOK_SECRET)",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=2)
    try:
        server = SandboxServer(
            data,
            token,
            host=host,
            port=port,
            state_file=state_file,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
        )
    except FixtureError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from exc
    except OSError as exc:
        typer.secho(f"error: cannot listen on {host}:{port}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from exc
    anchor = f" (fixtures anchored on {server.today.isoformat()})" if server.today else ""
    typer.echo(f"Sandbox Shopify store on {server.url}{anchor}")
    typer.echo(f"GraphQL endpoint: {server.graphql_url()}")
    typer.echo(f"Point Threadline at it: THREADLINE_SHOPIFY_URL={server.url}")
    if webhook_url:
        typer.echo(f"Webhooks (fulfillments/update) go to {webhook_url}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("Stopped.")
