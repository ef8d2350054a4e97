# Shared by scripts/stack and the Kafka console-tool wrappers: versions, ports and where things live.
# shellcheck shell=bash
STACK_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAFKA_VERSION=${CUSTOMER_ASYNC_STACK_KAFKA_VERSION:-4.3.1}
FERRETDB_VERSION=v1.24.2 # pinned by stack/ferretdb/go.mod
KAFKA_PORT=${CUSTOMER_ASYNC_STACK_KAFKA_PORT:-9092}
CONTROLLER_PORT=${CUSTOMER_ASYNC_STACK_CONTROLLER_PORT:-9093}
MONGODB_PORT=${CUSTOMER_ASYNC_STACK_MONGODB_PORT:-27017}

CACHE_DIR=${CUSTOMER_ASYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/customer-async}
STACK_DIR=${CUSTOMER_ASYNC_STACK_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/customer-async/stack-$KAFKA_PORT}
LOG_DIR=$STACK_DIR/logs
KAFKA_DIR=$STACK_DIR/kafka
FERRETDB_DIR=$STACK_DIR/ferretdb
KAFKA_LIBS=$CACHE_DIR/kafka-$KAFKA_VERSION/libs
FERRETDB_BIN=$CACHE_DIR/bin/ferretdb-sqlite-$FERRETDB_VERSION
KAFKA_PID=$STACK_DIR/kafka.pid
FERRETDB_PID=$STACK_DIR/ferretdb.pid
# Markers on the command lines let `down` recognise its own processes, never others by name.
KAFKA_MARKER="customer-async.stack=$STACK_DIR"
FERRETDB_MARKER="file:$FERRETDB_DIR/data/"

# Runs a Kafka class from the cached jars with quiet logging (console tools, storage tool).
kafka_java() {
    java -Xmx256m -Dlog4j2.configurationFile="$STACK_REPO/stack/kafka/tools-log4j2.properties" \
        -cp "$KAFKA_LIBS/*" "$@"
}
