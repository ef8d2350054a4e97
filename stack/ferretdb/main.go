// Command ferretdb runs FerretDB v1 (the MongoDB wire protocol) over PostgreSQL for the project's
// local stack and tests, with nested (dot-notation) filter pushdown.
//
// FerretDB's own cmd/ferretdb refuses to start when built by `go install` from the module proxy
// (its version file is generated at release time), and the embeddable package `ferretdb` offers
// no way to turn on nested pushdown (`ferretdb.Config` has no such option in v1.24; cmd/ferretdb
// has it as the test flag --test-enable-nested-pushdown). So this program builds the server from
// the same pieces `ferretdb.New` does, with that one option set. Its module path lies under
// FerretDB's own, which is what lets Go import FerretDB's internal packages from another module
// (as gopls, module golang.org/x/tools/gopls, imports golang.org/x/tools/internal/...).
//
// With nested pushdown an equality on a dotted path (`{"engagedParty.id": "500"}`) becomes
// `_jsonb #> '{engagedParty,id}' @> '"500"'` in PostgreSQL instead of a read of every document.
// That expression is NULL when the path crosses an array, so such a filter pushed down misses
// the documents whose match sits in an array element: the service lifts to the top level only
// equalities on paths that cross no array (customer_async/store/pushdown.py, `flat`).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/internal/clientconn"
	"github.com/FerretDB/FerretDB/internal/clientconn/connmetrics"
	"github.com/FerretDB/FerretDB/internal/handler/registry"
	"github.com/FerretDB/FerretDB/internal/util/state"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to serve the MongoDB wire protocol on")
	postgresqlURL := flag.String("postgresql-url", "postgres://postgres@127.0.0.1:5432/ferretdb", "PostgreSQL URL of the backend database")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	nestedPushdown := flag.Bool("nested-pushdown", true, "push equalities on dotted paths down to PostgreSQL")
	// Shown in the process list only, so that scripts/stack recognises the servers it started.
	_ = flag.String("stack", "", "the stack directory this server belongs to (informational)")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "bad -log-level: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// FerretDB allocates for every document it decodes from PostgreSQL; at Go's default GOGC
	// (100) a third of its time went to garbage collection (10,000 customers counted: 3.3 s,
	// 2.3 s with 400; no gain beyond). The memory limit keeps the heap that lets grow in check.
	// GOGC and GOMEMLIMIT in the environment still win.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Warn("serving", "listen-addr", *listenAddr, "postgresql-url", *postgresqlURL, "nested-pushdown", *nestedPushdown)
	if err := run(ctx, logger, *listenAddr, *postgresqlURL, *nestedPushdown); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
		os.Exit(1)
	}
}

// run serves until ctx is done: what ferretdb.New and (*ferretdb.FerretDB).Run do in v1.24.2,
// with EnableNestedPushdown as asked.
func run(ctx context.Context, logger *slog.Logger, listenAddr, postgresqlURL string, nestedPushdown bool) error {
	version.Get().Package = "embedded"

	sp, err := state.NewProvider("")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	// No telemetry reporter runs; saying so keeps FerretDB from warning about it.
	if err = sp.Update(func(s *state.State) { s.DisableTelemetry(); s.TelemetryLocked = true }); err != nil {
		return fmt.Errorf("state: %w", err)
	}

	metrics := connmetrics.NewListenerMetrics()
	h, closeBackend, err := registry.NewHandler("postgresql", &registry.NewHandlerOpts{
		Logger:        logger,
		ConnMetrics:   metrics.ConnMetrics,
		StateProvider: sp,
		TCPHost:       listenAddr,
		PostgreSQLURL: postgresqlURL,
		TestOpts: registry.TestOpts{
			EnableNestedPushdown:    nestedPushdown,
			CappedCleanupPercentage: 10,
			BatchSize:               100,
		},
	})
	if err != nil {
		if closeBackend != nil {
			closeBackend()
		}
		return fmt.Errorf("handler: %w", err)
	}
	defer closeBackend()

	l, err := clientconn.Listen(&clientconn.NewListenerOpts{
		TCP:     listenAddr,
		Mode:    clientconn.NormalMode,
		Metrics: metrics,
		Handler: h,
		Logger:  logger,
	})
	if err != nil {
		return fmt.Errorf("listener: %w", err)
	}
	l.Run(ctx)
	return nil
}
