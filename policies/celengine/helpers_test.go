package celengine_test

import (
	"io/fs"
	"os"
	"testing"
)

func osDir(t testing.TB, dir string) fs.FS {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	return os.DirFS(dir)
}
