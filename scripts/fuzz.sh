#!/bin/sh
# fuzz.sh FUZZTIME: runs every fuzz target of the module (each `func Fuzz...` in a _test.go
# file) for FUZZTIME (a Go duration, or Nx for N inputs), one target at a time as `go test
# -fuzz` requires. An input that fails is written by Go to the package's testdata/fuzz/<Target>/
# and from then on runs as a regression case in every plain `go test`: commit it with the fix.
# Exit status 1 when any target failed; every target runs regardless. $GO picks the go tool.
set -u
fuzztime=${1:-3s}
go=${GO:-go}
cd "$(dirname "$0")/.." || exit 1
failed=""
n=0
start=$(date +%s)
for dir in $(git ls-files '*_test.go' 2>/dev/null | xargs grep -l '^func Fuzz' | xargs -n1 dirname | sort -u); do
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$dir"/*_test.go); do
		n=$((n + 1))
		corpus="$dir/testdata/fuzz/$target"
		before=$(ls "$corpus" 2>/dev/null | wc -l)
		if out=$($go test -run '^$' -fuzz "^$target\$" -fuzztime="$fuzztime" -fuzzminimizetime=10s "./$dir" 2>&1); then
			echo "ok    $dir $target"
		elif [ "$(ls "$corpus" 2>/dev/null | wc -l)" = "$before" ] && echo "$out" | grep -q '^    context deadline exceeded' &&
			$go test -count=1 -run "^$target\$" "./$dir" >/dev/null 2>&1; then
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
echo "fuzz: $n targets, $fuzztime each, $(($(date +%s) - start)) s"
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed (inputs in the packages' testdata/fuzz/)"
	exit 1
fi
