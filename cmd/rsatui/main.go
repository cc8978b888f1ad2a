// Command rsatui is a terminal admin console for RSA Authentication Manager.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}
