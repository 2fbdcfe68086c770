#!/usr/bin/env bash
# Benchmarks Clearance side by side with `opa run --server` (issue 8) and
# writes docs/benchmarks.md and docs/benchmarks-latency.svg. `make bench`
# runs this. Loopback only; everything it starts is stopped on exit.
#
# Environment (all optional):
#   BENCH_1M=1           large registry of 1,000,000 wallets instead of 100,000
#                        (the import alone takes ~5 min here; the run then
#                        exceeds 15 min on a clean machine; the import is kept
#                        in BENCH_CACHE/registries and reused next time)
#   BENCH_ROUNDS=3       closed-loop rounds      BENCH_OPEN_ROUNDS=2  open-loop rounds
#   BENCH_TRIAL=2s       measured time per trial BENCH_WARMUP=500ms   warm-up per trial
#   BENCH_PIN=1          servers on CPU 1, load generator on CPU 0 (0: unpinned)
#   BENCH_MICRO=1        also run the gateway micro-benchmarks (go test -bench)
#   BENCH_BUDGET=15m     wall-clock budget; rounds are dropped to stay inside it
#   BENCH_CACHE=~/.cache/clearance-bench  where the opa binary is installed
#   BENCH_FROM=worktree  what to build and measure: the working tree, or
#                        "head" for a clean export of the HEAD commit (the
#                        report goes to this working tree's docs/ either way)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
out_repo=$repo
start=$(date +%s)

budget=${BENCH_BUDGET:-15m}
case "$budget" in
*m) budget_s=$(( ${budget%m} * 60 )) ;;
*s) budget_s=${budget%s} ;;
*) budget_s=$budget ;;
esac
cache=${BENCH_CACHE:-$HOME/.cache/clearance-bench}
opa_version=1.22.2
work=$(mktemp -d "${TMPDIR:-/tmp}/clearance-bench.XXXXXX")
harness_pid=""

cleanup() {
	local rc=$?
	if [[ -n "$harness_pid" ]] && kill -0 "$harness_pid" 2>/dev/null; then
		kill -TERM "$harness_pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$harness_pid" 2>/dev/null || break; sleep 0.2; done
	fi
	# Servers the harness started (it stops them itself; this covers a harness
	# that died without doing so). Each is its own process group.
	if [[ -f "$work/run/pids" ]]; then
		while read -r pid; do
			kill -TERM -- "-$pid" 2>/dev/null || true
		done <"$work/run/pids"
		sleep 1
		while read -r pid; do
			kill -KILL -- "-$pid" 2>/dev/null || true
		done <"$work/run/pids"
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[bench %4ds] %s\n' "$(( $(date +%s) - start ))" "$*" >&2; }

sha=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ "${BENCH_FROM:-worktree}" == head ]]; then
	log "measuring a clean export of HEAD ($sha)"
	mkdir -p "$work/src"
	git archive HEAD | tar -x -C "$work/src"
	cd "$work/src"
	repo=$work/src
else
	git diff --quiet HEAD -- 2>/dev/null || sha="$sha+dirty"
fi

# 1. OPA, installed with go install unless a matching binary is at hand.
opa=""
# (The version is captured first: grep -q closing the pipe early would make
# pipefail report a failure.)
has_version() { local v; v=$("$1" version 2>/dev/null || true); [[ "$v" == *"Version: $opa_version"* ]]; }
if command -v opa >/dev/null && has_version "$(command -v opa)"; then
	opa=$(command -v opa)
elif [[ -x "$cache/bin/opa" ]] && has_version "$cache/bin/opa"; then
	opa="$cache/bin/opa"
else
	log "installing OPA v$opa_version (go install; the first build takes a few minutes)"
	mkdir -p "$cache/bin"
	gobin=$(mktemp -d "$work/gobin.XXXX")
	GOBIN="$gobin" go install "github.com/open-policy-agent/opa@v$opa_version"
	mv "$gobin/opa" "$cache/bin/opa"
	opa="$cache/bin/opa"
fi
log "opa: $opa ($("$opa" version | head -1))"

# 2. Binaries.
log "building clearance and the harness"
go build -o "$work/clearance" ./cmd/clearance
go build -o "$work/clearance-bench" ./cmd/clearance-bench

# 3. Micro-benchmarks first, while nothing else of this run is active.
micro=""
if [[ "${BENCH_MICRO:-1}" != 0 ]]; then
	log "gateway micro-benchmarks"
	micro="$work/micro.txt"
	go test -run '^$' -bench . -benchmem -benchtime "${BENCH_MICRO_TIME:-1s}" ./gateway/ >"$micro" 2>&1 || {
		cat "$micro" >&2
		exit 1
	}
	grep -E '^(Benchmark|goos|goarch|cpu|pkg)' "$micro" >"$micro.clean" && mv "$micro.clean" "$micro"
	log "CPU profile of a full gRPC Check (Rego)"
	go test -run '^$' -bench 'CheckGRPC/rego$' -benchtime 2000x -cpuprofile "$work/cpu.prof" -o "$work/gw.test" ./gateway/ >/dev/null
	go tool pprof -top -cum -nodecount=600 "$work/gw.test" "$work/cpu.prof" >"$work/profile.txt" 2>/dev/null || true
fi

# 4. The comparison.
args=(run -repo "$repo" -clearance "$work/clearance" -opa "$opa" -work "$work/run"
	-out "$out_repo/docs/benchmarks.md" -svg "$out_repo/docs/benchmarks-latency.svg" -docs-repo "$out_repo"
	-git-sha "$sha"
	-rounds "${BENCH_ROUNDS:-3}" -open-rounds "${BENCH_OPEN_ROUNDS:-2}"
	-trial "${BENCH_TRIAL:-2s}" -warmup "${BENCH_WARMUP:-500ms}")
[[ -n "$micro" ]] && args+=(-micro "$micro" -profile "$work/profile.txt" -profile-ops 2000)
if [[ "${BENCH_1M:-0}" == 1 ]]; then
	args+=(-big-wallets 1000000 -registry-cache "$cache/registries")
else
	args+=(-big-wallets 100000)
fi
elapsed=$(( $(date +%s) - start ))
remaining=$(( budget_s - elapsed - 45 ))
(( remaining < 240 )) && remaining=240
args+=(-budget "${remaining}s")
pin=()
if [[ "${BENCH_PIN:-1}" == 1 ]] && command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
	pin=(taskset -c 0)
	args+=(-pin=true -sut-cpu 1)
else
	args+=(-pin=false)
fi
log "running the comparison (budget ${remaining}s; load average $(cut -d' ' -f1-3 /proc/loadavg))"
mkdir -p "$work/run"
timeout --signal=TERM --kill-after=20s "$(( remaining + 120 ))s" "${pin[@]}" "$work/clearance-bench" "${args[@]}" &
harness_pid=$!
wait "$harness_pid"
harness_pid=""
log "done: docs/benchmarks.md and docs/benchmarks-latency.svg"
sed -n '/^## Headline/,/^## Machine/p' "$out_repo/docs/benchmarks.md" | sed '$d'
