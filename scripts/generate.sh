#!/usr/bin/env bash
# Regenerates gateway/gen from gateway/proto with protoc and local plugins
# (run through `go tool`, pinned in go.mod). Each service directory
# gateway/proto/clearance/<svc>/v1 may carry <svc>_http.yaml with its REST
# routes (grpc-gateway's grpc_api_configuration).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "protoc missing: apt-get install protobuf-compiler libprotobuf-dev" >&2; exit 1; }
BIN="$(mktemp -d)"; trap 'rm -rf "$BIN"' EXIT
for t in google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc \
         github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2; do
  go build -o "$BIN/$(basename $t)" "$t"
done
export PATH="$BIN:$PATH"
INC=/usr/include
for dir in gateway/proto/clearance/*/v1; do
  svc="$(basename "$(dirname "$dir")")"
  out="gateway/gen"
  mkdir -p "$out/openapiv2"
  files=$(ls "$dir"/*.proto)
  http="$dir/${svc}_http.yaml"
  gwopt=""; oaopt=""
  if [ -f "$http" ]; then gwopt="grpc_api_configuration=$http,"; oaopt="grpc_api_configuration=$http,"; fi
  protoc -I gateway/proto -I "$INC" \
    --go_out=paths=source_relative:gateway/gen \
    --go-grpc_out=paths=source_relative:gateway/gen \
    --grpc-gateway_out=${gwopt}paths=source_relative,generate_unbound_methods=false:gateway/gen \
    --openapiv2_out=${oaopt}json_names_for_fields=false,allow_merge=true,merge_file_name=$svc:gateway/gen/openapiv2 \
    $files
done
# protoc writes into gateway/gen/clearance/<svc>/v1; flatten to gateway/gen/<svc>/v1.
if [ -d gateway/gen/clearance ]; then
  for d in gateway/gen/clearance/*/v1; do
    svc="$(basename "$(dirname "$d")")"; mkdir -p "gateway/gen/$svc/v1"; mv "$d"/*.go "gateway/gen/$svc/v1/"
  done
  rm -rf gateway/gen/clearance
fi
gofmt -w gateway/gen
echo "generated: $(find gateway/gen -name '*.go' | wc -l) Go files"
