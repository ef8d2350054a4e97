"""How the service's Kafka clients authenticate: settings → aiokafka keyword arguments.

One mapping for the producer, the consumer and the admin client (and the Python client's
`from_settings`), and a start-up check that tells a refused login apart from a broker that is
not there yet: the first is a configuration error to report at once, the second is waited out.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any
from urllib.parse import urlsplit

from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    AuthenticationMethodNotSupported,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)

from customer_async.errors import KafkaAuthenticationFailed
from customer_async.log_limits import OutageLog
from customer_async.protocol.retry import BROKER_BACKOFF, RetryPolicy
from customer_async.settings import Settings

log = logging.getLogger(__name__)

_REFUSALS = (
    AuthenticationFailedError,
    AuthenticationMethodNotSupported,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """aiokafka's security arguments for these settings (the password only ever goes here)."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = kafka_ssl_context(settings)
    if protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def kafka_ssl_context(settings: Settings) -> ssl.SSLContext:
    """TLS towards the broker: the configured CA (else the system's), an optional client
    certificate, and host name checking unless turned off."""
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_ssl_certfile:
        context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile)
    context.check_hostname = settings.kafka_ssl_check_hostname
    return context


def describe_login(settings: Settings) -> str:
    """`SASL SCRAM-SHA-512 as user 'svc'` (never the password), or the bare protocol."""
    if settings.kafka_security_protocol.startswith("SASL_"):
        return (
            f"{settings.kafka_security_protocol} {settings.kafka_sasl_mechanism} "
            f"as user {settings.kafka_sasl_username!r}"
        )
    return settings.kafka_security_protocol


class _NoBrokerAnswered(Exception):
    """No bootstrap broker answered this round; each one's reason is in the message."""


async def check_kafka_login(settings: Settings) -> None:
    """Return once a bootstrap broker accepts the configured login; raise
    `KafkaAuthenticationFailed` when one refuses it. Brokers not answering yet are retried."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return  # no login to check; the clients' own retries wait for the broker
    options = kafka_client_options(settings)
    hosts = [h.strip() for h in settings.kafka_bootstrap_servers.split(",") if h.strip()]

    async def log_in_once() -> None:
        """Log in at the first broker that answers; `_NoBrokerAnswered` when none does."""
        silent: list[str] = []
        for host in hosts:
            address = urlsplit(f"//{host}")
            try:
                conn = await create_conn(address.hostname or host, address.port or 9092, **options)
            except _REFUSALS as exc:
                raise KafkaAuthenticationFailed(
                    f"the Kafka broker at {host} refused the login "
                    f"({describe_login(settings)}): {type(exc).__name__}"
                ) from exc
            except ssl.SSLCertVerificationError as exc:
                raise KafkaAuthenticationFailed(
                    f"the Kafka broker at {host} has a certificate this service does not "
                    f"trust ({exc.verify_message}); check CUSTOMER_ASYNC_KAFKA_SSL_CAFILE"
                ) from exc
            except (OSError, KafkaError, TimeoutError) as exc:
                silent.append(f"{host}: {exc}")
                continue
            conn.close()
            return
        raise _NoBrokerAnswered(f"no broker answering yet ({'; '.join(silent)})")

    checking = RetryPolicy(
        OutageLog("kafka login check", log),
        lambda exc: isinstance(exc, _NoBrokerAnswered),
        BROKER_BACKOFF,
    )
    await checking.run("log in", log_in_once)
