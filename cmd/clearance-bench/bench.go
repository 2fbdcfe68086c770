package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// registryInfo describes one imported registry.
type registryInfo struct {
	Wallets   int
	Rows      int
	Import    time.Duration
	FileBytes int64
	DBBytes   int64
	Dir       string
	Cached    bool
}

// envInfo is the machine and the versions measured.
type envInfo struct {
	CPUs       int
	CPUModel   string
	Kernel     string
	Go         string
	OPA        string
	Clearance  string
	GitSHA     string
	Pinning    string
	LoadStart  string
	LoadEnd    string
	Started    time.Time
	Finished   time.Time
	MemTotal   string
	Command    string
	Rounds     int
	OpenRounds int
	Trial      time.Duration
	Warmup     time.Duration
}

func readEnv(cfg config) envInfo {
	e := envInfo{Go: runtime.Version(), GitSHA: cfg.GitSHA, Started: time.Now(), Rounds: cfg.Rounds, OpenRounds: cfg.OpenRounds, Trial: cfg.Trial, Warmup: cfg.Warmup}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "processor") {
				e.CPUs++
			}
			if v, ok := strings.CutPrefix(l, "model name"); ok && e.CPUModel == "" {
				e.CPUModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		e.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		e.MemTotal = strings.Join(strings.Fields(strings.SplitN(string(b), "\n", 2)[0])[1:], " ")
	}
	e.LoadStart = loadavg()
	if out, err := exec.Command(cfg.OPA, "version").Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(l, "Version:"); ok {
				e.OPA = strings.TrimSpace(v)
			}
		}
	}
	if out, err := exec.Command(cfg.Clearance, "version").Output(); err == nil {
		e.Clearance = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	if cfg.Pin {
		e.Pinning = fmt.Sprintf("servers pinned with `taskset -c %s` (GOMAXPROCS follows the affinity: %s); load generator on the other CPU(s)", cfg.SUTCPU, strconv.Itoa(len(strings.Split(cfg.SUTCPU, ","))))
	} else {
		e.Pinning = "unpinned: servers and load generator share every CPU"
	}
	return e
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// idleFraction samples /proc/stat over d and returns the idle share of all CPUs.
func idleFraction(d time.Duration) float64 {
	read := func() (idle, total uint64) {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			return 0, 0
		}
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		for i, x := range f[1:] {
			v, _ := strconv.ParseUint(x, 10, 64)
			total += v
			if i == 3 || i == 4 { // idle, iowait
				idle += v
			}
		}
		return idle, total
	}
	i0, t0 := read()
	time.Sleep(d)
	i1, t1 := read()
	if t1 <= t0 {
		return 0
	}
	return float64(i1-i0) / float64(t1-t0)
}

// waitQuiet waits up to maxWait for one second with at least 90 % idle
// CPU and returns the last idle share seen.
func waitQuiet(ctx context.Context, maxWait time.Duration) float64 {
	deadline := time.Now().Add(maxWait)
	idle := 0.0
	for ctx.Err() == nil {
		idle = idleFraction(time.Second)
		if idle >= 0.9 || time.Now().After(deadline) {
			break
		}
	}
	return idle
}

// prepareRegistry generates and imports a registry of n wallets, reusing a
// memoized import when cfg.RegistryMemo has one for the same generator.
func prepareRegistry(ctx context.Context, cfg config, n int, logger *slog.Logger) (registryInfo, error) {
	ri := registryInfo{Wallets: n, Dir: filepath.Join(cfg.Work, fmt.Sprintf("reg-%d", n))}
	example, err := os.ReadFile(filepath.Join(cfg.Repo, "examples", "exampledata", "registry.jsonl"))
	if err != nil {
		return ri, err
	}
	file := filepath.Join(cfg.Work, fmt.Sprintf("registry-%d.jsonl", n))
	f, err := os.Create(file)
	if err != nil {
		return ri, err
	}
	ri.Rows, err = writeRegistry(f, example, n, cfg.Seed)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ri, fmt.Errorf("write registry: %w", err)
	}
	if st, err := os.Stat(file); err == nil {
		ri.FileBytes = st.Size()
	}
	memo := ""
	if cfg.RegistryMemo != "" {
		memo = filepath.Join(cfg.RegistryMemo, fmt.Sprintf("reg-%d-seed%d-%s", n, cfg.Seed, genVersion))
		if _, err := os.Stat(filepath.Join(memo, "clearance.db")); err == nil {
			if err := os.MkdirAll(ri.Dir, 0o755); err != nil {
				return ri, err
			}
			if err := copyFile(filepath.Join(memo, "clearance.db"), filepath.Join(ri.Dir, "clearance.db")); err != nil {
				return ri, err
			}
			if b, err := os.ReadFile(filepath.Join(memo, "import-seconds")); err == nil {
				s, _ := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
				ri.Import = time.Duration(s * float64(time.Second))
			}
			ri.Cached = true
			st, _ := os.Stat(filepath.Join(ri.Dir, "clearance.db"))
			ri.DBBytes = st.Size()
			logger.Info("registry reused from cache", "wallets", n, "dir", memo)
			return ri, nil
		}
	}
	logger.Info("importing registry", "wallets", n, "rows", ri.Rows)
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, cfg.Clearance, "registry", "import", file, "--data-dir", ri.Dir)
	out, err := cmd.CombinedOutput()
	ri.Import = time.Since(t0)
	if err != nil {
		return ri, fmt.Errorf("registry import: %w: %s", err, out)
	}
	st, err := os.Stat(filepath.Join(ri.Dir, "clearance.db"))
	if err != nil {
		return ri, err
	}
	ri.DBBytes = st.Size()
	_ = os.Remove(file)
	logger.Info("registry imported", "wallets", n, "rows", ri.Rows, "seconds", ri.Import.Seconds())
	if memo != "" {
		if err := os.MkdirAll(memo, 0o755); err == nil {
			_ = copyFile(filepath.Join(ri.Dir, "clearance.db"), filepath.Join(memo, "clearance.db"))
			_ = os.WriteFile(filepath.Join(memo, "import-seconds"), []byte(fmt.Sprintf("%.3f\n", ri.Import.Seconds())), 0o644)
		}
	}
	return ri, nil
}

// genVersion changes whenever the registry generator's output changes, so
// memoized imports are not reused across generator versions.
const genVersion = "g1"

func copyFile(src, dst string) error {
	cmd := exec.Command("cp", "--sparse=always", src, dst)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cp %s: %w: %s", src, err, out)
	}
	return nil
}

// shuffled returns a random permutation of xs.
func shuffled[T any](r *rand.Rand, xs []T) []T {
	out := append([]T(nil), xs...)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

var errMismatch = errors.New("equivalence gate failed")
