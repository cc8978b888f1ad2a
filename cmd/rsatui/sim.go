package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

func newSimCmd() *cobra.Command {
	var (
		listen string
		users  int
		seed   uint64
		inline bool
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the AM CommandServer simulator with the demo data set",
		Long: `sim serves a simulated RSA AM SOAP CommandServer (WSDL on GET ?wsdl, executeCommand on
POST) seeded with the demo data set, until interrupted. It prints the endpoint and the
credentials to use. It is meant for loopback only: demo credentials, plain HTTP.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if users < 0 || users > 1_000_000 {
				return usageErr("--users must be between 0 and 1000000")
			}
			sim := amsim.New(amsim.Options{Seed: seed, Inline: inline})
			ds := demo.Generate(seed, users, time.Now())
			if err := ds.SeedAM(sim); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return &exitError{code: exitServer, err: fmt.Errorf("listen on %s: %w", listen, err)}
			}
			mux := http.NewServeMux()
			mux.Handle(amproto.ServicePath, sim)
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			cu, cp := sim.CommandClient()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "AM simulator: http://%s%s  (WSDL: ?wsdl)\n", ln.Addr(), amproto.ServicePath)
			fmt.Fprintf(out, "command client (HTTP Basic): %s / %s\n", cu, cp)
			fmt.Fprintf(out, "admin: %s / %s   read-only admin: %s / %s\n", demo.AdminUser, demo.AdminPassword, demo.HelpdeskUser, demo.HelpdeskPassword)
			fmt.Fprintf(out, "identity source: %q, %d users, %d tokens (seed %d)\n", demo.IdentitySourceName, len(ds.People), len(ds.Tokens), seed)

			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:7002", "address to listen on")
	cmd.Flags().IntVar(&users, "users", 200, "number of generated users besides the fixtures")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the demo data set")
	cmd.Flags().BoolVar(&inline, "inline", false, "answer inline instead of Axis multiRefs")
	return cmd
}
