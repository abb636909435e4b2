#!/usr/bin/env bash
# Runs every test of the project: installs what the tests need that Go does
# not bring (the Node clients used to prove registry fidelity), then runs
# the Go tests with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f clients/package-lock.json ] && command -v npm >/dev/null 2>&1; then
	npm ci --prefix clients --no-audit --no-fund --loglevel=error
fi

go vet ./...
go test -race -count=1 -timeout 20m ./...
