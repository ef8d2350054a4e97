# Shared by scripts/stack and the Kafka console-tool wrappers: versions, ports and where things live.
# shellcheck shell=bash
STACK_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAFKA_VERSION=${CUSTOMER_ASYNC_STACK_KAFKA_VERSION:-4.3.1}
FERRETDB_VERSION=v1.24.2 # pinned by stack/ferretdb/go.mod
KAFKA_PORT=${CUSTOMER_ASYNC_STACK_KAFKA_PORT:-9092}
CONTROLLER_PORT=${CUSTOMER_ASYNC_STACK_CONTROLLER_PORT:-9093}
MONGODB_PORT=${CUSTOMER_ASYNC_STACK_MONGODB_PORT:-27017}
POSTGRESQL_PORT=${CUSTOMER_ASYNC_STACK_POSTGRESQL_PORT:-55432}
# Set, the broker also listens for SASL_SSL (SCRAM-SHA-512, a self-signed CA) on this port.
SASL_PORT=${CUSTOMER_ASYNC_STACK_KAFKA_SASL_PORT:-}
SASL_USERNAME=${CUSTOMER_ASYNC_STACK_KAFKA_SASL_USERNAME:-customer-async}

CACHE_DIR=${CUSTOMER_ASYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/customer-async}
STACK_DIR=${CUSTOMER_ASYNC_STACK_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/customer-async/stack-$KAFKA_PORT}
LOG_DIR=$STACK_DIR/logs
KAFKA_DIR=$STACK_DIR/kafka
KAFKA_LIBS=$CACHE_DIR/kafka-$KAFKA_VERSION/libs
# The SASL_SSL listener's CA (ca.pem for clients), broker keystore and generated passwords.
TLS_DIR=$KAFKA_DIR/tls
# The launcher's own source is part of the name, so a changed launcher is built again.
FERRETDB_BUILD=$(cat "$STACK_REPO"/stack/ferretdb/{main.go,go.mod,go.sum} | sha256sum | cut -c1-12)
FERRETDB_BIN=$CACHE_DIR/bin/ferretdb-$FERRETDB_VERSION-$FERRETDB_BUILD
KAFKA_PID=$STACK_DIR/kafka.pid
FERRETDB_PID=$STACK_DIR/ferretdb.pid
POSTGRESQL_PID=$STACK_DIR/postgresql.pid

# PostgreSQL refuses to run as root; root runs it as the `postgres` user, whose data directory
# must then lie where that user can reach it (not below root's home).
if [ "$(id -u)" = 0 ]; then
    POSTGRESQL_DIR=${CUSTOMER_ASYNC_STACK_POSTGRESQL_DIR:-/var/tmp/customer-async/postgresql-$(printf '%s' "$STACK_DIR" | sha256sum | cut -c1-12)}
else
    POSTGRESQL_DIR=${CUSTOMER_ASYNC_STACK_POSTGRESQL_DIR:-$STACK_DIR/postgresql}
fi
POSTGRESQL_DATA=$POSTGRESQL_DIR/data
# FerretDB keeps at most 50 PostgreSQL connections by default; tests run several services at once.
POSTGRESQL_URL="postgres://postgres@127.0.0.1:$POSTGRESQL_PORT/ferretdb?pool_max_conns=150"

# Markers on the command lines let `down` recognise its own processes, never others by name.
KAFKA_MARKER="customer-async.stack=$STACK_DIR"
FERRETDB_MARKER="-stack $STACK_DIR"
POSTGRESQL_MARKER="-D $POSTGRESQL_DATA"

# Runs a Kafka class from the cached jars with quiet logging (console tools, storage tool).
kafka_java() {
    java -Xmx256m -Dlog4j2.configurationFile="$STACK_REPO/stack/kafka/tools-log4j2.properties" \
        -cp "$KAFKA_LIBS/*" "$@"
}
