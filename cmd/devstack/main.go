// Command devstack runs the embedded stack: a Kafka broker and an
// Apicurio-compatible registry in one process, keeping their data under
// --data-dir so that a restart loses nothing. Ctrl-C stops it cleanly.
// Each flag may also be set through its environment variable (-h names
// them); --print-config prints the resolved settings.
//
//	devstack [--kafka-addr 127.0.0.1:9092] [--registry-addr 127.0.0.1:8080] [--data-dir .devstack]
package main

import "github.com/salesstream/salesstream/internal/app/devstackapp"

func main() { devstackapp.Main() }
