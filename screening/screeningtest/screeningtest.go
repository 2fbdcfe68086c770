package screeningtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// SanctionsDir returns the directory of the full sanctions snapshot:
// $CLEARANCE_SANCTIONS_DIR, or <repo root>/../shared/data/sanctions. The
// test is skipped if the directory has no sdn.csv.
func SanctionsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CLEARANCE_SANCTIONS_DIR")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		// file is <repo>/screening/screeningtest/screeningtest.go
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data", "sanctions")
	}
	if _, err := os.Stat(filepath.Join(dir, "sdn.csv")); err != nil {
		t.Skipf("sanctions snapshot not found in %s (set CLEARANCE_SANCTIONS_DIR): %v", dir, err)
	}
	return dir
}

// OFACFiles are the OFAC snapshot file names.
var OFACFiles = []string{"sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"}

// Paths joins names onto dir.
func Paths(dir string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Join(dir, n)
	}
	return out
}
