package source

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Limits on what a pack may contain.
const (
	MaxFileSize  = 1 << 20
	MaxFiles     = 2000
	MaxTotalSize = 32 << 20
)

// Files is the loaded content of a pack, keyed by slash-separated path.
type Files struct {
	Revision  string
	Modules   map[string]string // *.rego without tests
	RegoTests map[string]string // *_test.rego
	CEL       map[string][]byte // cel/*.yaml
	Golden    map[string][]byte // tests/**/*.yaml
}

// Load reads a pack from fsys and computes its revision.
func Load(fsys fs.FS) (*Files, error) {
	f := &Files{
		Modules:   map[string]string{},
		RegoTests: map[string]string{},
		CEL:       map[string][]byte{},
		Golden:    map[string][]byte{},
	}
	var paths []string
	contents := map[string][]byte{}
	total := 0
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, ".") {
			return nil
		}
		kind := classify(p)
		if kind == kindNone {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > MaxFileSize {
			return fmt.Errorf("source: %s: file is larger than %d bytes", p, MaxFileSize)
		}
		if len(paths) >= MaxFiles {
			return fmt.Errorf("source: pack has more than %d files", MaxFiles)
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		total += len(b)
		if total > MaxTotalSize {
			return fmt.Errorf("source: pack is larger than %d bytes", MaxTotalSize)
		}
		paths = append(paths, p)
		contents[p] = b
		switch kind {
		case kindModule:
			f.Modules[p] = string(b)
		case kindRegoTest:
			f.RegoTests[p] = string(b)
		case kindCEL:
			f.CEL[p] = b
		case kindGolden:
			f.Golden[p] = b
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("source: load: %w", err)
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		fmt.Fprintf(h, "%d:%s\n%d:", len(p), p, len(contents[p]))
		h.Write(contents[p])
		h.Write([]byte{'\n'})
	}
	f.Revision = hex.EncodeToString(h.Sum(nil))
	return f, nil
}

type kind int

const (
	kindNone kind = iota
	kindModule
	kindRegoTest
	kindCEL
	kindGolden
)

func classify(p string) kind {
	ext := path.Ext(p)
	parts := strings.Split(p, "/")
	if parts[0] == "tests" {
		if ext == ".yaml" || ext == ".yml" {
			return kindGolden
		}
		return kindNone
	}
	switch ext {
	case ".rego":
		if strings.HasSuffix(p, "_test.rego") {
			return kindRegoTest
		}
		return kindModule
	case ".yaml", ".yml":
		if len(parts) >= 2 && parts[len(parts)-2] == "cel" {
			return kindCEL
		}
	}
	return kindNone
}
