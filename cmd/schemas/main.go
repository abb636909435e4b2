// Command schemas registers the pipeline's six Avro schemas in Apicurio
// Registry, idempotently: an unchanged schema makes no new version.
//
//	schemas [--registry-url URL] [--validity FULL] [--compatibility BACKWARD]
package main

import (
	"github.com/salesstream/salesstream/internal/app/schemasapp"
	"github.com/salesstream/salesstream/internal/platform/cli"
)

func main() { cli.Main("schemas", schemasapp.Declare) }
