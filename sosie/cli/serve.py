"""``sosie serve``: the web interview room, the quiz and an OpenAI-compatible API."""

from __future__ import annotations

from typing import Annotated

import typer

from sosie.cli import BackendOpt, BaseUrlOpt, GroundingOpt, Home, ModelOpt, app, fail, out, user_errors


@app.command()
@user_errors
def serve(
    slugs: Annotated[
        list[str] | None, typer.Argument(help="Personas to serve (default: every built one in --home).")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind; off loopback needs a token.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="SOSIE_TOKEN", help="Required from every client when set."),
    ] = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    grounding: GroundingOpt = None,
    max_body_bytes: Annotated[int, typer.Option(help="Larger request bodies get 413.")] = 64 * 1024,
    max_messages: Annotated[int, typer.Option(help="Chat history a client may send at once.")] = 64,
    max_waiting: Annotated[int, typer.Option(
        help="Questions that may wait for a persona's local model; more get 503 and Retry-After.")] = 8,
    serial: Annotated[bool, typer.Option(
        "--serial", help="One request at a time per persona (the old behaviour; for comparisons).")] = False,
    workers: Annotated[int, typer.Option(
        help="Server processes on the port, each answering at once.", min=1, max=64)] = 1,
    store: Annotated[str | None, typer.Option(
        "--store", envvar="SOSIE_STORE",
        help="Keep interviews in PostgreSQL (postgresql://user@host:5432/db), shared by replicas.")] = None,
    home: Home = None,
) -> None:
    """Serve the web interview room, the quiz and an OpenAI-compatible API."""
    from sosie.persona import Persona
    from sosie.serve import ServeSettings
    from sosie.serve import serve as run_server

    settings = ServeSettings(
        host=host, port=port, token=token or None, max_body_bytes=max_body_bytes,
        max_messages=max_messages, max_waiting=max_waiting, serial=serial, store=store,
        engine_options={"backend": backend, "model": model, "base_url": base_url,
                        "grounding": grounding},
    )
    settings.check()  # before anything slow: a refused address fails at once
    if store:  # and an unreachable database, or a schema newer than this Sosie, too
        from sosie.interview.pg import Postgres

        Postgres.connect(store).close()
    names = slugs or [s for s in Persona.names(home)
                      if Persona.open(s, home).index_status()["built"]]
    if not names:
        fail("no built persona to serve; try: sosie demo (or sosie new, add, build)")
    personas = [Persona.open(slug, home) for slug in names]
    where = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    out.print(f"Serving {', '.join(names)} at {where}", markup=False)
    out.print(f"  interview room: {where}" + ("?token=TOKEN" if token else ""), markup=False)
    out.print(f"  quiz:           {where}quiz", markup=False)
    out.print(f"  OpenAI API:     {where}v1  (models: sosie/NAME, sosie/NAME:ENGINE)", markup=False)
    out.print(f"  OpenAPI spec:   {where}openapi.json", markup=False)
    if workers > 1:
        out.print(f"  workers:        {workers} processes", markup=False)
    run_server(personas, settings, workers=workers)
