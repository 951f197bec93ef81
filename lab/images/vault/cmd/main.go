// The vault command, built from HashiCorp's module rather than its repository: the repository's own
// main package also calls internal.PatchSha1, which Go's internal-package rule hides from dependents;
// it only re-enables SHA-1 signed certificates, which the lab never uses.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
