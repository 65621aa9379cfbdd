# Skyscope OS — build and test entry points. The README's two commands are `make run`
# and `make test`; everything else here is for developers.

GO      ?= go
GOFLAGS ?=

.PHONY: all run test vet fmt-check unit race bench fuzz clean help

all: test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: ## boot Skyscope (until the bare-metal image exists: the hosted simulation demo)
	$(GO) run ./tools/skysim

test: vet fmt-check unit race ## everything CI checks: vet, gofmt, go test ./..., race tests
	@echo "make test: all checks passed"

vet: ## go vet ./...
	$(GO) vet ./...

fmt-check: ## fail if any Go file is not gofmt-clean
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit: ## go test ./... (the capability model test runs its full 10,000+ steps)
	$(GO) test $(GOFLAGS) -count=1 ./...

race: ## the race detector over the host-side packages
	$(GO) test $(GOFLAGS) -race -count=1 ./capability/... ./kernel/... ./hal/... ./tools/...

bench: ## the IPC round-trip benchmark (numbers go in docs/PERFORMANCE.md)
	$(GO) test -run='^$$' -bench=BenchmarkIPCRoundTrip -benchmem -count=5 ./kernel/

fuzz: ## fuzz the system call decoder for a minute
	$(GO) test -run='^$$' -fuzz=FuzzSyscall -fuzztime=60s ./kernel/

clean: ## remove build outputs
	rm -rf build
