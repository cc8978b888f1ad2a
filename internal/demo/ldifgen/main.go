// Command ldifgen writes the demo data set as LDIF for a real directory (the
// Samba AD that .ci/run starts): the bulk load, then the lockouts to apply once
// the server runs.
//
//	go run ./internal/demo/ldifgen -seed 11 -users 2000 -out users.ldif -lockouts lockouts.ldif
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
)

func main() {
	seed := flag.Uint64("seed", 11, "data set seed")
	users := flag.Int("users", 2000, "generated people besides the fixtures")
	out := flag.String("out", "users.ldif", "LDIF of OUs, service account, people and groups")
	lockouts := flag.String("lockouts", "lockouts.ldif", "LDIF modify that locks the locked people out")
	flag.Parse()
	ds := demo.Generate(*seed, *users, time.Now())
	if err := write(*out, ds.WriteLDIF); err != nil {
		fmt.Fprintln(os.Stderr, "ldifgen:", err)
		os.Exit(1)
	}
	if err := write(*lockouts, ds.WriteLockouts); err != nil {
		fmt.Fprintln(os.Stderr, "ldifgen:", err)
		os.Exit(1)
	}
	fmt.Printf("%d people, base %s, service account %s\n", len(ds.People), ds.BaseDN, ds.ServiceDN())
}

func write(path string, fn func(w io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := fn(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
