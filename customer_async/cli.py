"""The `customer-async` command line (click: subcommands, help and env-aware options for free).

`serve` and `settings` run and describe the service; `create`, `retrieve`, `list`, `patch`,
`delete` and `events` are a client of a running one (`customer_async.client`).

Client commands print pretty, highlighted JSON on a terminal and compact JSON (one value a line)
when piped; errors go to stderr as one line. Exit status:

    0  the reply was 2xx          4  the reply was 4xx (refused: bad request, not found, ...)
    2  bad usage or input file    5  the reply was 5xx (the service failed)
    130  interrupted (Ctrl-C)     6  no reply in time (resend with the --correlation-id shown)
    3  `serve`: Kafka refused the configured login (logged once, never retried)
                                  7  Kafka unreachable, topic missing or a reply off-contract
    8  `serve`: the operations port is in use or cannot be bound (CUSTOMER_ASYNC_HTTP_PORT)

Start-up is kept short: aiokafka, the client, rich and the service are imported only by the
commands that use them, and the client commands read their two connection variables with click
instead of building the pydantic `Settings` (same names and defaults; a test keeps them equal).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Final, NoReturn, TypeVar

import click

from customer_async import __version__

if TYPE_CHECKING:
    from customer_async.client import CustomerClient, CustomerClientError
    from customer_async.settings import Settings

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2
EXIT_REFUSED: Final = 4
EXIT_FAILED: Final = 5
EXIT_TIMEOUT: Final = 6
EXIT_UNAVAILABLE: Final = 7
EXIT_MISCONFIGURED: Final = 3
EXIT_PORT_UNAVAILABLE: Final = 8
EXIT_INTERRUPTED: Final = 130

BOOTSTRAP_ENV: Final = "CUSTOMER_ASYNC_KAFKA_BOOTSTRAP_SERVERS"
PREFIX_ENV: Final = "CUSTOMER_ASYNC_TOPIC_PREFIX"
TIMEOUT_ENV: Final = "CUSTOMER_ASYNC_CLIENT_TIMEOUT"
DEFAULT_BOOTSTRAP: Final = "localhost:9092"
DEFAULT_PREFIX: Final = "tmf"

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
@click.version_option(__version__, prog_name="customer-async")
def main() -> None:
    """TMF629 v5 Customer Management Async API over Kafka and MongoDB."""


@main.command()
def serve() -> None:
    """Run the service until SIGTERM or SIGINT (configuration: CUSTOMER_ASYNC_* variables)."""
    from customer_async.settings import Settings  # noqa: PLC0415 - see the module docstring

    settings = Settings()
    from customer_async.ops.json_logs import configure_logging  # noqa: PLC0415 - only serve uses it

    configure_logging(settings.log_format, settings.log_level)
    from customer_async.log_limits import install_log_limits  # noqa: PLC0415 - only serve uses it

    install_log_limits(settings.log_repeat_window_seconds)  # an outage: a few lines, not 100,000
    from customer_async.ops.event_loop import run_on  # noqa: PLC0415 - only serve uses it

    run_on(settings.event_loop, _serve(settings))


async def _serve(settings: Settings) -> None:
    from customer_async.edge.kafka_security import check_kafka_login  # noqa: PLC0415 - heavy
    from customer_async.errors import (  # noqa: PLC0415 - serve only
        KafkaAuthenticationFailed,
        OperationsPortUnavailable,
    )
    from customer_async.ops.tracing import TracingUnavailable  # noqa: PLC0415 - serve only
    from customer_async.service import serve as run_service  # noqa: PLC0415 - heavy

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    logging.getLogger(__name__).info(
        "customer-async %s: kafka %s, store %s/%s, prefix %s",
        __version__,
        settings.kafka_bootstrap_servers,
        settings.mongodb_uri.split("@")[-1],
        settings.mongodb_database,
        settings.topic_prefix,
    )
    try:
        # A refused login is a configuration error: said once, not retried forever.
        await check_kafka_login(settings)
    except KafkaAuthenticationFailed as exc:
        logging.getLogger(__name__).error("cannot start: %s", exc)
        raise SystemExit(EXIT_MISCONFIGURED) from None
    try:
        await run_service(settings, stop)
    except TracingUnavailable as exc:  # CUSTOMER_ASYNC_TRACING=on without the `otel` extra
        logging.getLogger(__name__).error("cannot start: %s", exc)
        raise SystemExit(EXIT_MISCONFIGURED) from None
    except OperationsPortUnavailable as exc:  # e.g. a second `serve` on the same machine
        logging.getLogger(__name__).error("cannot start: %s", exc)
        raise SystemExit(EXIT_PORT_UNAVAILABLE) from None


@main.command("settings")
def show_settings() -> None:
    """Print the effective configuration (one `NAME=value` a line, secrets masked)."""
    from customer_async.settings import Settings  # noqa: PLC0415 - see the module docstring

    settings = Settings()
    for name, value in settings.masked().items():
        click.echo(f"CUSTOMER_ASYNC_{name.upper()}={value}")


@dataclass(frozen=True, slots=True)
class Connection:
    """Where the service's topics are, and how long to wait for a reply."""

    bootstrap_servers: str
    topic_prefix: str
    timeout: float
    verbose: int

    def client(self) -> CustomerClient:
        from customer_async.client import CustomerClient  # noqa: PLC0415 - imports aiokafka

        return CustomerClient(self.bootstrap_servers, self.topic_prefix, timeout=self.timeout)


def connection_options(command: F) -> F:
    """`--bootstrap-servers`, `--topic-prefix`, `--timeout` and `-v`, read from the same
    `CUSTOMER_ASYNC_*` variables as the service; passed on as `connection`."""
    options = [
        click.option(
            "--bootstrap-servers",
            envvar=BOOTSTRAP_ENV,
            default=DEFAULT_BOOTSTRAP,
            show_default=True,
            show_envvar=True,
            help="Kafka bootstrap servers.",
        ),
        click.option(
            "--topic-prefix",
            envvar=PREFIX_ENV,
            default=DEFAULT_PREFIX,
            show_default=True,
            show_envvar=True,
            help="The deployment's topic prefix.",
        ),
        click.option(
            "--timeout",
            envvar=TIMEOUT_ENV,
            type=click.FloatRange(min=0, min_open=True),
            default=30.0,
            show_default=True,
            show_envvar=True,
            help="Seconds to wait for a reply.",
        ),
        click.option("-v", "--verbose", count=True, help="Log to stderr (-v: info, -vv: debug)."),
    ]

    def wrapped(
        bootstrap_servers: str, topic_prefix: str, timeout: float, verbose: int, **kwargs: Any
    ) -> Any:
        connection = Connection(bootstrap_servers, topic_prefix, timeout, verbose)
        return command(connection=connection, **kwargs)

    wrapped.__name__ = command.__name__
    wrapped.__doc__ = command.__doc__
    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped  # type: ignore[return-value]  # click options keep the signature open


def correlation_option(command: F) -> F:
    """`--correlation-id`, to resend a request that timed out."""
    return click.option(
        "--correlation-id",
        metavar="ID",
        help="X-Correlation-Id to send (resend one that timed out: the service answers it once).",
    )(command)


def fields_option(command: F) -> F:
    """`--fields name,status` (repeatable)."""
    return click.option(
        "--fields",
        multiple=True,
        metavar="A,B,...",
        help="First-level attributes to return (id, href and @type always come).",
    )(command)


@main.command()
@click.argument("file", type=click.File("r"), metavar="FILE|-")
@click.option("-q", "--quiet", is_flag=True, help="Print only the new customer's id.")
@fields_option
@correlation_option
@connection_options
def create(
    *,
    connection: Connection,
    file: IO[str],
    quiet: bool,
    fields: tuple[str, ...],
    correlation_id: str | None,
) -> None:
    """Create a customer from FILE (JSON; - for stdin) and print it as stored."""
    customer = read_json(file, dict)

    async def run(client: CustomerClient) -> None:
        created = await client.create(
            customer, fields=list(fields) or None, correlation_id=correlation_id
        )
        if quiet:
            click.echo(created["id"])
        else:
            emit(created)

    call_service(connection, run)


@main.command()
@click.argument("customer_id", metavar="ID")
@fields_option
@correlation_option
@connection_options
def retrieve(
    *, connection: Connection, customer_id: str, fields: tuple[str, ...], correlation_id: str | None
) -> None:
    """Print a customer."""

    async def run(client: CustomerClient) -> None:
        emit(
            await client.retrieve(
                customer_id, fields=list(fields) or None, correlation_id=correlation_id
            )
        )

    call_service(connection, run)


@main.command("list")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="PATH[.OP]=VALUE",
    help="Keep customers whose attribute matches (repeat: AND; same path again or a comma: OR). "
    "OP: eq (default), ne, gt, gte, lt, lte, regex.",
)
@click.option("--sort", metavar="[-]PATH,...", help="Sort keys; - for descending.")
@click.option("--limit", type=click.IntRange(min=1), help="Page size (service default: 100).")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="First match to return.")
@click.option("--all", "all_pages", is_flag=True, help="Every page from --offset on.")
@click.option("-q", "--quiet", is_flag=True, help="Print only ids, one a line.")
@fields_option
@connection_options
def list_customers(
    *,
    connection: Connection,
    filters: tuple[str, ...],
    sort: str | None,
    limit: int | None,
    offset: int,
    all_pages: bool,
    quiet: bool,
    fields: tuple[str, ...],
) -> None:
    """List customers: one page (or --all) of those matching the filters, as a JSON array."""
    query = parse_filters(filters)

    async def run(client: CustomerClient) -> None:
        if all_pages:
            customers = await fetch_all(
                client, query=query, fields=fields, sort=sort, offset=offset, limit=limit
            )
        else:
            page = await client.list(
                query, fields=list(fields) or None, sort=sort, offset=offset, limit=limit
            )
            customers = page.items
            if sys.stderr.isatty() and page.total_count is not None:
                first = min(page.offset + 1, page.next_offset)
                click.echo(f"customers {first}-{page.next_offset} of {page.total_count}", err=True)
        if quiet:
            for customer in customers:
                click.echo(customer["id"])
        else:
            emit(customers)

    call_service(connection, run)


async def fetch_all(
    client: CustomerClient,
    *,
    query: dict[str, Any],
    fields: tuple[str, ...],
    sort: str | None,
    offset: int,
    limit: int | None,
) -> list[dict[str, Any]]:
    """Every page; a progress bar on stderr when it is a terminal and there is more than one."""
    pages = client.pages(query, fields=list(fields) or None, sort=sort, offset=offset, limit=limit)
    customers: list[dict[str, Any]] = []
    if not sys.stderr.isatty():
        async for page in pages:
            customers.extend(page.items)
        return customers
    from rich.console import Console  # noqa: PLC0415 - only on a terminal
    from rich.progress import (  # noqa: PLC0415 - only on a terminal
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("customers"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("list", total=None)
        async for page in pages:
            customers.extend(page.items)
            if page.total_count is not None:
                progress.update(task, total=max(page.total_count - offset, len(customers)))
            progress.update(task, completed=len(customers))
    return customers


@main.command()
@click.argument("customer_id", metavar="ID")
@click.argument("file", type=click.File("r"), metavar="FILE|-")
@click.option(
    "--merge",
    "content_type",
    flag_value="application/merge-patch+json",
    help="FILE is a merge patch (RFC 7386; the default for an object).",
)
@click.option(
    "--json-patch",
    "content_type",
    flag_value="application/json-patch+json",
    help="FILE is a JSON Patch (RFC 6902; the default for an array).",
)
@click.option(
    "--query",
    "content_type",
    flag_value="application/json-patch-query+json",
    help="FILE is a JSON Patch Query (paths may end in ?attr=value).",
)
@fields_option
@correlation_option
@connection_options
def patch(
    *,
    connection: Connection,
    customer_id: str,
    file: IO[str],
    content_type: str | None,
    fields: tuple[str, ...],
    correlation_id: str | None,
) -> None:
    """Patch a customer with the document in FILE (JSON; - for stdin); print the result."""
    document = read_json(file, (dict, list))

    async def run(client: CustomerClient) -> None:
        emit(
            await client.patch(
                customer_id,
                document,
                content_type=content_type,
                fields=list(fields) or None,
                correlation_id=correlation_id,
            )
        )

    call_service(connection, run)


@main.command()
@click.argument("customer_id", metavar="ID")
@correlation_option
@connection_options
def delete(*, connection: Connection, customer_id: str, correlation_id: str | None) -> None:
    """Delete a customer (prints nothing)."""

    async def run(client: CustomerClient) -> None:
        await client.delete(customer_id, correlation_id=correlation_id)
        if sys.stderr.isatty():
            click.echo(f"deleted {customer_id}", err=True)

    call_service(connection, run)


@main.command()
@click.option("-f", "--follow", is_flag=True, help="Keep waiting for new events.")
@click.option(
    "--type",
    "event_types",
    multiple=True,
    metavar="TYPE",
    help="Only this event type (repeatable): create, attributeValueChange, stateChange, delete "
    "or the full name (CustomerCreateEvent).",
)
@click.option("--customer", "customer_id", metavar="ID", help="Only events about this customer.")
@click.option("--new", "only_new", is_flag=True, help="Skip the events published before now.")
@click.option("--count", type=click.IntRange(min=1), help="Stop after this many events.")
@click.option("--group", "group_id", help="Read as this consumer group (resumes where it left).")
@connection_options
def events(
    *,
    connection: Connection,
    follow: bool,
    event_types: tuple[str, ...],
    customer_id: str | None,
    only_new: bool,
    count: int | None,
    group_id: str | None,
) -> None:
    """Print customer events, oldest first, until the last one (--follow: then wait for more).

    Piped, each event is one line of JSON; Ctrl-C stops --follow."""
    from customer_async.client.events import event_type_name  # noqa: PLC0415 - see docstring

    try:
        types = [event_type_name(name) for name in event_types]
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)

    async def run(client: CustomerClient) -> None:
        stream = client.events(
            types or None,
            customer_id=customer_id,
            group_id=group_id,
            from_beginning=not only_new,
            until_end=not follow,
        )
        printed = 0
        async with stream:
            async for event in stream:
                emit(dict(event.body))
                printed += 1
                if count is not None and printed >= count:
                    return

    call_service(connection, run, connect=False)


def read_json(file: IO[str], expected: type | tuple[type, ...]) -> Any:
    """The JSON document in `file`; exit 2 with one line when it is not JSON of that shape."""
    name = "stdin" if file.name == "<stdin>" else file.name
    try:
        document = json.load(file)
    except ValueError as exc:
        fail(f"{name} is not JSON: {exc}", EXIT_USAGE)
    if not isinstance(document, expected):
        kinds = expected if isinstance(expected, tuple) else (expected,)
        wanted = " or ".join("an object" if kind is dict else "an array" for kind in kinds)
        fail(f"{name} must hold {wanted}", EXIT_USAGE)
    return document


def parse_filters(filters: Iterable[str]) -> dict[str, Any]:
    """`PATH=VALUE` options as list filters; a path given twice means either value (OR)."""
    query: dict[str, Any] = {}
    for text in filters:
        path, separator, value = text.partition("=")
        if not separator or not path:
            fail(f"--filter {text!r}: expected PATH=VALUE", EXIT_USAGE)
        if path in query:
            previous = query[path]
            query[path] = [*(previous if isinstance(previous, list) else [previous]), value]
        else:
            query[path] = value
    return query


def emit(value: Any) -> None:
    """Pretty, highlighted JSON on a terminal; compact JSON on one line otherwise."""
    if sys.stdout.isatty():
        from rich.console import Console  # noqa: PLC0415 - only on a terminal

        Console(soft_wrap=True).print_json(data=value)
    else:
        click.echo(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def fail(message: str, status: int) -> NoReturn:
    """One line on stderr, then exit with `status`."""
    click.echo(f"customer-async: {' '.join(message.split())}", err=True)
    sys.exit(status)


def call_service(
    connection: Connection,
    work: Callable[[CustomerClient], Awaitable[None]],
    *,
    connect: bool = True,
) -> None:
    """Run `work` with a client (started unless `connect` is false) and turn what it raises into
    a line on stderr and the exit status the module docstring lists."""
    configure_logging(connection.verbose)
    from customer_async.client import CustomerClientError  # noqa: PLC0415 - imports aiokafka

    async def run() -> None:
        client = connection.client()
        if not connect:
            await work(client)
            return
        async with client:
            await work(client)

    try:
        asyncio.run(run())
    except CustomerClientError as exc:
        message, status = describe(exc)
        fail(message, status)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)


def describe(error: CustomerClientError) -> tuple[str, int]:
    """The one-line message and the exit status for a client error."""
    from customer_async.client import ErrorReply, ReplyTimeout, RequestRefused  # noqa: PLC0415

    if isinstance(error, ErrorReply):
        detail = f": {error.message}" if error.message else ""
        status = EXIT_REFUSED if isinstance(error, RequestRefused) else EXIT_FAILED
        if not 400 <= error.status < 600:
            status = EXIT_UNAVAILABLE
        return (
            f"{error.status} {error.reason} ({error.code}){detail} "
            f"[correlation id {error.correlation_id}]",
            status,
        )
    if isinstance(error, ReplyTimeout):
        return (
            f"no reply to {error.operation} within {error.timeout:g} s; "
            f"resend with --correlation-id {error.correlation_id}",
            EXIT_TIMEOUT,
        )
    return str(error), EXIT_UNAVAILABLE


def configure_logging(verbose: int) -> None:
    """Library logs only with -v: otherwise aiokafka's retries would clutter stderr."""
    if verbose:
        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
        )
    else:
        logging.getLogger().addHandler(logging.NullHandler())
