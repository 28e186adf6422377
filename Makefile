# supervisord-lite: `make test` and `make demo` work on a fresh Debian 12 machine as root.
GO      ?= go
# Debian packages the end-to-end tests run against (the real tools we match).
DEB_PKGS := supervisor gunicorn python3-gunicorn python3-flask python3-venv pipenv logrotate openssl procps curl shellcheck systemd ansible dash bash busybox chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: test demo deps vet unit bench fmt bench-compare build fuzz fuzz-smoke

# deps installs the Debian packages the tests need, only when one is missing.
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# Debian's supervisor package starts a system supervisord; our tests run their own.
	@-$(SUDO) service supervisor stop >/dev/null 2>&1 || true

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }

# test: vet, then every test with the race detector; E2E=1 turns a missing tool into a failure;
# then every fuzz target briefly.
test: deps vet
	E2E=1 $(GO) test -race -count=1 -timeout 30m ./...
	$(MAKE) fuzz-smoke

# fuzz-smoke runs each fuzz target (every `func Fuzz...`) for FUZZ_SMOKE_TIME; fuzz for FUZZTIME.
# A failing input lands in the package's testdata/fuzz/<Target>/ and is a regression case of
# every later `go test` (commit it with the fix). scripts/fuzz.sh lists and runs the targets.
FUZZ_SMOKE_TIME ?= 3s
FUZZTIME ?= 1m
fuzz-smoke:
	GO=$(GO) scripts/fuzz.sh $(FUZZ_SMOKE_TIME)
fuzz:
	GO=$(GO) scripts/fuzz.sh $(FUZZTIME)

# unit: what a laptop without the Debian packages runs (end-to-end tests skip and say why).
unit:
	$(GO) test -race -count=1 ./...

# build: the daemon as one static binary (no cgo: no libc to match on the target, so a binary
# built on Debian runs on an old glibc, and 1.3 MB less resident memory than a cgo build).
STATIC_BUILD = CGO_ENABLED=0 $(GO) build -trimpath
build:
	$(STATIC_BUILD) -o bin/supervisord-lite ./examples/supervisord-lite

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# demo: the seed stack in the foreground: scripts/demo-setup.sh (venv registered as a pyenv
# version in .demo/pyenv, self-signed cert), the daemon built into .demo/bin, the guide
# printed, then supervisord-lite serving https://127.0.0.1:5001 until Ctrl-C.
DEMO_DIR ?= $(CURDIR)/.demo
demo: deps
	DEMO_DIR="$(DEMO_DIR)" scripts/demo-setup.sh
	$(STATIC_BUILD) -o "$(DEMO_DIR)/bin/supervisord-lite" ./examples/supervisord-lite
	@DEMO_DIR="$(DEMO_DIR)" SUPERVISORD_LITE="$(DEMO_DIR)/bin/supervisord-lite" scripts/demo-setup.sh --guide
	@config=$$(sed -n 's/^CONFIG=//p' "$(DEMO_DIR)/env.sh"); \
	exec env PYENV_ROOT="$(DEMO_DIR)/pyenv" "$(DEMO_DIR)/bin/supervisord-lite" -c "$$config"

# bench-compare runs Debian's supervisord and supervisord-lite side by side in one interleaved
# run (internal/benchcompare: restart after kill -9, start/stop of many programs, idle RSS and
# wakeups, getAllProcessInfo time, status through each side's client, crash storm, log
# throughput against cat) and prints medians and ratios; REPS repetitions, QUICK=1 for a smoke
# run (its numbers mean nothing), SCENARIOS to pick (restart many idle crash log). Results
# and summary: bin/bench-results.txt. BENCH_HARNESS=shared runs the older harness in BENCH_DIR
# instead.
REPS ?= 3
BENCH_DIR ?= ../shared/bench
BENCH_HARNESS ?= go
bench-compare: deps build
ifeq ($(BENCH_HARNESS),shared)
	@printf "SUP_LABEL=supervisord-lite\nSUP_START='%s -n -c {conf}'\nSUP_CTL='%s ctl -c {conf}'\n" \
		"$(CURDIR)/bin/supervisord-lite" "$(CURDIR)/bin/supervisord-lite" > bin/supervisord-lite.env
	rm -f bin/bench-results.txt # run.sh appends: the summary is of this run only
	cd $(BENCH_DIR) && ./run.sh $(if $(QUICK),-q) -r $(REPS) -o $(CURDIR)/bin/bench-results.txt \
		-p profiles/python-supervisord.env -p $(CURDIR)/bin/supervisord-lite.env $(SCENARIOS)
else
	$(GO) build -o bin/benchcompare ./internal/benchcompare/cmd/benchcompare
	bin/benchcompare -lite bin/supervisord-lite -reps $(REPS) $(if $(QUICK),-quick) -o bin/bench-results.txt $(SCENARIOS)
endif
