# supervisord-lite: `make test` and `make demo` work on a fresh Debian 12 machine as root.
GO      ?= go
# Debian packages the end-to-end tests run against (the real tools we match).
DEB_PKGS := supervisor gunicorn python3-gunicorn python3-flask python3-venv pipenv logrotate openssl procps curl shellcheck systemd ansible dash bash busybox chromium php-cgi libfcgi-bin prometheus
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: test demo deps vet unit bench fmt bench-compare build fuzz fuzz-smoke centos6 go123 test-2632 soak

# deps installs the Debian packages the tests need, only when one is missing, and Go 1.23.
deps: go123
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

# test: vet and the Linux 2.6.32 profile run (test-2632), then every test with the race detector
# (E2E=1 turns a missing tool into a failure; every fuzz target's seeds and saved regression
# inputs run here as plain tests), then the fuzz smoke: each fuzz target fuzzed for
# FUZZ_SMOKE_TIME with new random inputs. A failing input lands in the package's
# testdata/fuzz/<Target>/ and is a regression case of every later `go test` (commit it with
# the fix).
test: deps vet test-2632
	E2E=1 $(GO) test -race -count=1 -timeout 30m ./...
	GO=$(GO) scripts/fuzz.sh $(FUZZ_SMOKE_TIME)

# fuzz-smoke runs each fuzz target (every `func Fuzz...`) for FUZZ_SMOKE_TIME, as `test` ends;
# fuzz for FUZZTIME. scripts/fuzz.sh lists the targets, builds each package's instrumented test
# binary once and runs the targets one after the other.
FUZZ_SMOKE_TIME ?= 2s
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

# soak: one daemon with 1,000 misbehaving programs for SOAK_MIN minutes (examples/soak), ending
# with its summary line, bin/soak/samples.csv and bin/soak/soak.png. It fails on a lost,
# duplicated or split log line, a process left after the stop, or growth after warm-up.
SOAK_MIN ?= 10
soak: build
	$(GO) build -o bin/soak/soak ./examples/soak
	bin/soak/soak -daemon bin/supervisord-lite -minutes $(SOAK_MIN) -out bin/soak

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

# --- CentOS 6 (Linux 2.6.32): Go 1.23 is the last Go that runs there. ---------------------------
# GO123 is that toolchain (Debian's golang-1.23-go from bookworm-backports). C6ENV builds static
# (no cgo: no glibc to match) and never lets the go command switch to another toolchain.
GO123 ?= /usr/lib/go-1.23/bin/go
C6ENV := GOTOOLCHAIN=local CGO_ENABLED=0

# go123 installs golang-1.23-go when GO123 is missing: bookworm-backports is added to apt's
# sources on the mirror of the main bookworm suite (deb822 .sources or a one-line sources.list).
go123:
	@if [ ! -x "$(GO123)" ]; then \
		if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then \
			uri=$$(awk '/^URIs:/{u=$$2} /^Suites:/{for(i=2;i<=NF;i++) if($$i=="bookworm"){print u; exit}}' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1); \
			[ -n "$$uri" ] || uri=$$(awk '$$1=="deb" && $$3=="bookworm"{print $$2; exit}' /etc/apt/sources.list 2>/dev/null); \
			[ -n "$$uri" ] || uri=http://deb.debian.org/debian; \
			echo "adding bookworm-backports ($$uri) to apt's sources"; \
			printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$$uri" \
				| $(SUDO) tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null; \
		fi; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends -t bookworm-backports golang-1.23-go; \
	fi
	@v=$$($(C6ENV) $(GO123) env GOVERSION) && case "$$v" in go1.23|go1.23.*) ;; \
		*) echo "$(GO123) is $$v: Linux 2.6.32 (CentOS 6) needs Go 1.23, the last release that supports it" >&2; exit 1;; esac

# centos6: the daemon for CentOS 6, and the 2.6.32 profile wrapper the tests run under.
centos6: go123
	$(C6ENV) $(GO123) build -trimpath -o bin/centos6/supervisord-lite ./examples/supervisord-lite
	$(C6ENV) $(GO123) build -trimpath -o bin/centos6/linux2632-exec ./internal/linux2632/cmd/linux2632-exec

# test-2632: everything vetted by Go 1.23, then the packages that talk to the kernel tested with
# Go 1.23 under the Linux 2.6.32 profile (internal/linux2632: newer syscalls ENOSYS, newer
# options refused), with the end-to-end run of the Go 1.23 daemon (TestDaemonUnder2632).
# No -race: it needs cgo with Go 1.23, and a cgo binary's libc calls would escape the filter;
# the race detector runs in `make test`'s main run. Skipped: allocation counts that Go 1.23's
# escape analysis does not reach (a property of the compiler, not of the kernel).
TEST_2632_PKGS := ./internal/linux2632/ ./internal/proctree/ ./internal/rlimit/ ./supervise/ ./logrotate/
TEST_2632_SKIP := ^TestCaptureAllocatesNothingPerChunk$$
test-2632: centos6
	$(C6ENV) $(GO123) vet ./...
	$(C6ENV) E2E=1 LINUX2632_DAEMON=$(CURDIR)/bin/centos6/supervisord-lite $(GO123) test -count=1 -timeout 15m \
		-exec $(CURDIR)/bin/centos6/linux2632-exec -skip '$(TEST_2632_SKIP)' $(TEST_2632_PKGS)
	$(C6ENV) $(GO123) test -count=1 -exec $(CURDIR)/bin/centos6/linux2632-exec -run '^TestKernelFeaturesMethod$$' ./supervise/rpc/
