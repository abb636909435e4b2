#!/usr/bin/env bash
# Runs every test of the project: installs what the tests need that Go does
# not bring (kcat, Chromium, and the Node clients that prove registry fidelity), then
# runs the Go tests with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

# kcat, a third-party Kafka client, checks that readers see only committed rows.
if ! command -v kcat >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null
	else
		echo "kcat is not installed (sudo apt-get install kcat): its test will be skipped" >&2
	fi
fi

# Chromium, driven headless through chromedp, checks the enricher's dashboard
# and the registry's pages in a real browser.
if ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	else
		echo "chromium is not installed (sudo apt-get install chromium): the browser test will be skipped (it fails under CI=true)" >&2
	fi
fi

if [ -f clients/package-lock.json ] && command -v npm >/dev/null 2>&1; then
	npm ci --prefix clients --no-audit --no-fund --loglevel=error
fi

go vet ./...
go test -race -count=1 -timeout 20m ./...
