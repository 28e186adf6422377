#!/bin/sh
# fuzz.sh FUZZTIME: runs every fuzz target of the module (each `func Fuzz...` in a _test.go
# file) for FUZZTIME (a Go duration, or Nx for N inputs), one target at a time.
#
# `go test -fuzz` takes one target and builds (links) the test binary again for each, which
# is most of the time of a short run. Instead the test binaries of every package with a target
# are built once, in one `go test -c` with the instrumentation `go test -fuzz` adds (the
# compiler's -d=libfuzzer coverage counters on every package but the few that cmd/go leaves
# out, as the runtime, sync and testing), and each target is run by its package's binary from
# the package's directory, with the flags `go test -fuzz` passes (-test.fuzz,
# -test.fuzzcachedir in the go build cache's fuzz directory, as go's own). The instrumented
# packages are cached by the go build cache like any build, so later runs build little.
#
# An input that fails is written by Go to the package's testdata/fuzz/<Target>/ and from then
# on runs as a regression case in every plain `go test`: commit it with the fix. Exit status 1
# when any target failed; every target runs regardless. $GO picks the go tool.
set -u
fuzztime=${1:-3s}
go=${GO:-go}
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
start=$(date +%s)
bin=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-bin.XXXXXX") || exit 1
trap 'rm -rf "$bin"' EXIT
dirs=$(git ls-files '*_test.go' 2>/dev/null | xargs grep -l '^func Fuzz' | xargs -n1 dirname | sort -u)
module=$($go list -m) || exit 1

# cmd/go's skipInstrumentation (cmd/go/internal/test): what the fuzzing machinery itself runs.
noinstr=""
for p in context internal/fuzz internal/godebug internal/runtime/maps internal/sync reflect runtime sync sync/atomic syscall testing time; do
	noinstr="$noinstr -gcflags=$p="
done
pkgs=""
for dir in $dirs; do pkgs="$pkgs ./$dir"; done
# One binary a package, DIR/<package name>.test (so the packages with targets need distinct
# names: go refuses to build otherwise).
# shellcheck disable=SC2086 # word splitting of the package and flag lists is meant
if ! out=$($go test -c -vet=off -o "$bin/" -gcflags=all=-d=libfuzzer $noinstr $pkgs 2>&1); then
	echo "$out"
	echo "fuzz: building the instrumented test binaries failed"
	exit 1
fi
built=$(($(date +%s) - start))
cache=$($go env GOCACHE)/fuzz

# inputs DIR: how many saved inputs DIR holds (0 when it does not exist).
inputs() { find "$1" -type f 2>/dev/null | wc -l; }

failed=""
n=0
for dir in $dirs; do
	name=$($go list -f '{{.Name}}' "./$dir")
	exe="$bin/$name.test"
	if [ ! -x "$exe" ]; then
		echo "FAIL  $dir: no test binary $exe"
		failed="$failed $dir"
		continue
	fi
	# shellcheck disable=SC2013 # one Go identifier a line: words are lines
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$dir"/*_test.go); do
		n=$((n + 1))
		corpus="$dir/testdata/fuzz/$target"
		before=$(inputs "$corpus")
		if out=$(cd "$dir" && "$exe" -test.run='^$' -test.fuzz="^$target\$" -test.fuzztime="$fuzztime" \
			-test.fuzzminimizetime=10s -test.fuzzcachedir="$cache/$module/$dir" -test.paniconexit0 2>&1); then
			echo "ok    $dir $target"
		elif [ "$(inputs "$corpus")" = "$before" ] && echo "$out" | grep -q '^    context deadline exceeded' &&
			(cd "$dir" && "$exe" -test.run="^$target\$" -test.count=1 >/dev/null 2>&1); then
			# Go's fuzz coordinator can report its own -fuzztime deadline as a failure when a
			# loaded machine delays a worker (go.dev/issue/75804): no input was written and the
			# corpus replays cleanly, so nothing was found.
			echo "ok    $dir $target (coordinator deadline, nothing found)"
		else
			echo "FAIL  $dir $target"
			echo "$out" | tail -40
			failed="$failed $dir:$target"
		fi
	done
done
echo "fuzz: $n targets, $fuzztime each, $(($(date +%s) - start)) s ($built s building) in $root"
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed (inputs in the packages' testdata/fuzz/)"
	exit 1
fi
