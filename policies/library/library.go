package library

import (
	"embed"
	"io/fs"
)

//go:embed rego cel
var files embed.FS

// FS returns the shipped policy pack: rego/*.rego (with *_test.rego beside
// each file) and cel/*.yaml.
func FS() fs.FS {
	return files
}
