# The wallet lifecycle console. `make run` and `make test` work on a fresh
# Debian machine as root: missing system packages are installed first.

GO       ?= go
BIN      := bin/console
DATA_DIR ?=
DATA_FLAG := $(if $(DATA_DIR),--data-dir $(DATA_DIR),)

.PHONY: all deps build run test bench vet clean

all: build

# PostgreSQL (initdb, pg_ctl) for the embedded cluster and the tests, SoftHSM2
# as the default HSM, OpenSC's pkcs11-tool as an independent check of tokens.
deps:
	@need=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need="$$need postgresql"; \
	[ -e /usr/lib/softhsm/libsofthsm2.so ] || need="$$need softhsm2"; \
	command -v pkcs11-tool >/dev/null 2>&1 || need="$$need opensc"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$need"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$need; \
	  else \
	    echo "missing packages:$$need -- run: sudo apt-get update && sudo apt-get install$$need"; exit 1; \
	  fi; \
	fi

build: deps
	$(GO) build -o $(BIN) ./cmd/console

# Demo data goes into the embedded cluster once; later runs reuse it.
run: build
	./$(BIN) demo --if-empty $(DATA_FLAG)
	./$(BIN) $(DATA_FLAG)

test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

# Allocation at 1 M and 10 M paths (issue 13): p50/p95/p99 through the
# overlap rule, the floor (the same insert into a trigger-less copy with the
# same rows and indexes) and the seed's LIKE trigger, on the embedded
# default's settings; every overlap shape refused at both sizes; inventory; the console's key press to frame and start to first frame on the
# demo data with 1 M paths; the screens' View. The data is generated once
# into .bench/ and reused.
# The manufacturer migration (issue 12): 10 M paths moved with and without
# 8 allocators, next to a bare INSERT … SELECT (the floor), one run each;
# then the load test at the issue's 1 M paths (make test runs it at 200,000).
bench: deps
	WLC_BENCH_DIR=$(CURDIR)/.bench $(GO) test -run '^$$' -bench '^BenchmarkAllocate' -benchtime 2000x -timeout 3h ./store/
	WLC_BENCH_DIR=$(CURDIR)/.bench $(GO) test -run '^$$' -bench '^Benchmark(Inventory|WalletDetail)' -benchtime 200x -timeout 3h ./store/
	WLC_BENCH_DIR=$(CURDIR)/.bench $(GO) test -run '^$$' -bench '^BenchmarkOverlapShapes' -benchtime 1x -timeout 1h ./store/
	WLC_BENCH_DIR=$(CURDIR)/.bench $(GO) test -run '^$$' -bench 'Migration(1M|10M)' -benchtime 1x -timeout 4h ./store/
	WLC_MIGRATION_LOAD_PATHS=1000000 $(GO) test -count=1 -run '^TestMigrationUnderAllocationLoad$$' -v -timeout 1h ./store/
	WLC_BENCH_DIR=$(CURDIR)/.bench $(GO) test -run '^$$' -bench 'KeyToFrame|StartToFirstFrame' -benchtime 200x -timeout 1h ./cmd/console/
	$(GO) test -run '^$$' -bench . ./ui/

clean:
	rm -rf bin
