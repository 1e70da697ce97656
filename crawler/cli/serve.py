"""`newsarchive serve`: the read-only web app and JSON API over the archive."""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Annotated, Optional

import typer

from crawler.cli.common import (
    DbOption,
    LogFileOption,
    SetOption,
    app,
    configure_logging,
    fail,
    notice,
    open_db,
    settings_of,
)
from db import migrate
from db.session import display_url, read_only


@app.command("serve")
def serve_command(
    host: Annotated[
        Optional[str],
        typer.Option(metavar="HOST", help="Address to listen on (default 127.0.0.1: this machine only)."),
    ] = None,
    port: Annotated[
        Optional[int],
        typer.Option(
            min=0, max=65535, metavar="PORT", help="Port to listen on (default 8000; 0: any free one)."
        ),
    ] = None,
    log_file: LogFileOption = None,
    set_: SetOption = None,
    db: DbOption = "",
) -> None:
    """Browse and search the archive in a web browser, and poll it over a JSON API (read-only)."""
    import uvicorn

    from crawler.web.app import create_app

    configured = settings_of(set_)
    host = host or configured.get("NEWSARCHIVE_SERVE_HOST")
    port = configured.getint("NEWSARCHIVE_SERVE_PORT") if port is None else port
    engine = open_db(db, create=False, upgrade=False)
    migrate.require_head(engine)
    log = configure_logging("serve", db, False, log_file, configured)
    logging.getLogger().setLevel(logging.INFO)  # uvicorn's request lines are INFO; no Scrapy resets it here
    listener = _listen(host, port)
    bound_host, bound_port = listener.getsockname()[:2]
    where = f"[{bound_host}]" if ":" in bound_host else bound_host
    notice(f"serving {display_url(engine.url)} read-only on http://{where}:{bound_port}/ (Ctrl-C stops)")
    if not ipaddress.ip_address(bound_host).is_loopback:
        notice(f"listening on {bound_host}: anyone who can reach this machine can read the archive")
    notice(f"log: {log}")
    config = uvicorn.Config(
        create_app(read_only(engine), configured),
        log_config=None,  # our handlers: requests and errors go to the log file
        lifespan="off",
        server_header=False,
    )
    try:
        uvicorn.Server(config).run(sockets=[listener])
    except KeyboardInterrupt:  # uvicorn shuts down, then re-raises the Ctrl-C: stopping is the normal end
        pass
    notice("stopped")


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or one line saying why not (a port in use, a bad address)."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(128)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    logging.getLogger(__name__).info("listening on %s", listener.getsockname())
    return listener
