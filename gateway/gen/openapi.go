// Package gen holds the generated protobuf, gRPC and grpc-gateway code
// (regenerate with `make generate`; never edit the generated files) and
// embeds the generated OpenAPI documents.
package gen

import (
	"embed"
	"io/fs"
)

//go:embed openapiv2/*.json
var openapi embed.FS

// OpenAPI returns the generated OpenAPI v2 documents, one per service
// (gateway.swagger.json, registry.swagger.json, ...).
func OpenAPI() fs.FS {
	sub, err := fs.Sub(openapi, "openapiv2")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory exists
	}
	return sub
}
