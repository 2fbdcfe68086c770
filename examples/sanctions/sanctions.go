package sanctions

import (
	"embed"
	"io/fs"
)

//go:embed *.csv
var files embed.FS

// FS returns the embedded list files.
func FS() fs.FS { return files }
