package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

func newSimCmd() *cobra.Command {
	var (
		listen    string
		users     int
		seed      uint64
		inline    bool
		plainHTTP bool
		caFile    string
		latency   time.Duration
		jitter    time.Duration
		rate      int
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the demo back end: the AM CommandServer simulator and the directory, with the demo data set",
		Long: `sim serves a simulated RSA AM SOAP CommandServer (WSDL on GET ?wsdl, executeCommand on
POST) and the embedded directory (LDAPS), both seeded with the demo data set,
until interrupted: one state that the console, the verbs and several terminals
share. It serves HTTPS with a certificate from a CA it makes for the run and
writes to --ca-file (the directory's CA beside it), so that rsatui connects with
verification on, and prints the endpoints, the credentials, the demo people's PIN
and the settings to use (RSATUI_* lines to paste, or eval "$(rsatui sim | …)").
It is meant for loopback only: demo credentials.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if users < 0 || users > 1_000_000 {
				return usageErr("--users must be between 0 and 1000000")
			}
			if rate < 0 || rate > 100000 {
				return usageErr("--traffic-rate %d: give 0 to 100000 authentications a second", rate)
			}
			if latency < 0 || jitter < 0 || latency > time.Minute || jitter > time.Minute {
				return usageErr("--latency and --jitter must be between 0 and 1m (not %s, %s)", latency, jitter)
			}
			traffic, _ := cmd.Flags().GetDuration("traffic")
			if err := checkTraffic(traffic); err != nil {
				return err
			}
			srv, err := stack.Serve(stack.Options{Seed: seed, Users: users, Listen: listen, PlainHTTP: plainHTTP,
				Sim: amsim.Options{Inline: inline, RandomCodes: true}})
			if err != nil {
				return &exitError{code: exitServer, err: err}
			}
			defer srv.Close()
			sim, ds := srv.Sim, srv.DS
			sim.SetLatencyJitter(latency, jitter)
			if !plainHTTP {
				if caFile == "" {
					caFile = filepath.Join(os.TempDir(), fmt.Sprintf("rsatui-sim-ca-%d.pem", os.Getpid()))
				}
				// a CA certificate is public: readable by whoever runs the clients
				if err := os.WriteFile(caFile, srv.AMCAPEM, 0o644); err != nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("writing the CA file: %w", err)}
				}
				defer os.Remove(caFile)
			}
			dir := srv.Directory
			dirCA := filepath.Join(os.TempDir(), fmt.Sprintf("rsatui-sim-ldap-ca-%d.pem", os.Getpid()))
			if caFile != "" {
				dirCA = strings.TrimSuffix(caFile, ".pem") + "-ldap.pem"
			}
			if err := os.WriteFile(dirCA, dir.CAPEM(), 0o644); err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("writing the directory's CA file: %w", err)}
			}
			defer os.Remove(dirCA)
			// the Authentication API's client key: a secret, in a file only its owner reads
			keyFile := strings.TrimSuffix(dirCA, "-ldap.pem") + "-authapi.key"
			if caFile == "" {
				keyFile = filepath.Join(os.TempDir(), fmt.Sprintf("rsatui-sim-authapi-%d.key", os.Getpid()))
			}
			if err := os.WriteFile(keyFile, []byte(srv.AuthAPIKey.Reveal()+"\n"), 0o600); err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("writing the Authentication API's key file: %w", err)}
			}
			defer os.Remove(keyFile)
			cu, cp := sim.CommandClient()
			url := srv.Endpoint()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "AM simulator: %s  (WSDL: ?wsdl)\n", url)
			fmt.Fprintf(out, "command client (HTTP Basic): %s / %s\n", cu, cp)
			fmt.Fprintf(out, "admin: %s / %s   help-desk admin (PIN, resync, unlock, emergency access only): %s / %s\n", demo.AdminUser, demo.AdminPassword, demo.HelpdeskUser, demo.HelpdeskPassword)
			fmt.Fprintf(out, "identity source: %q, %d users, %d tokens (seed %d)\n", demo.IdentitySourceName, len(ds.People), len(ds.Tokens), seed)
			fmt.Fprintf(out, "directory: %s  (bind %s / %s)\n", dir.URL(), ds.ServiceUPN(), demo.ServicePassword)
			fmt.Fprintf(out, "Authentication API: %s%s… (client key in %s), agents: %s; %s; %s\n", srv.AMURL, amsim.AuthAPIPath, keyFile,
				demo.VPNAgent, demo.PortalAgent, demo.WindowsAgent)
			fmt.Fprintf(out, "the demo people's PIN: %s — a passcode is the PIN + the tokencode of: rsatui sim tokencode SERIAL --seed %d --users %d\n", demo.DemoPIN, seed, users)
			if latency > 0 || jitter > 0 {
				fmt.Fprintf(out, "every request is delayed by %s (+ up to %s): an AM far away\n", latency, jitter)
			}
			fmt.Fprintln(out, "settings for rsatui (paste into another shell):")
			settings := [][2]string{{"RSATUI_AM_URL", url}, {"RSATUI_AM_CMDCLIENT_USER", cu}, {"RSATUI_AM_CMDCLIENT_PASSWORD", cp},
				{"RSATUI_AM_ADMIN", demo.AdminUser}, {"RSATUI_AM_ADMIN_PASSWORD", demo.AdminPassword},
				{"RSATUI_IDENTITY_SOURCE", demo.IdentitySourceName},
				{"RSATUI_LDAP_URL", dir.URL()}, {"RSATUI_LDAP_BIND", ds.ServiceUPN()}, {"RSATUI_LDAP_PASSWORD", demo.ServicePassword},
				{"RSATUI_LDAP_CA_FILE", dirCA}, {"RSATUI_LDAP_BASE_DN", "OU=People," + ds.BaseDN},
				{"RSATUI_AUTHAPI_URL", srv.AMURL}, {"RSATUI_AUTHAPI_CLIENT_KEY_FILE", keyFile}, {"RSATUI_AUTHAPI_AGENT", demo.PortalAgent}}
			if plainHTTP {
				settings = append(settings, [2]string{"RSATUI_AM_ALLOW_PLAIN_HTTP", "true"})
			} else {
				settings = append(settings, [2]string{"RSATUI_AM_CA_FILE", caFile})
			}
			for _, kv := range settings {
				fmt.Fprintf(out, "  export %s='%s'\n", kv[0], kv[1]) // demo values: no quote in them
			}

			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if traffic > 0 {
				fmt.Fprintf(out, "traffic: a demo person logs in every %s (mostly right, now and then a mistyped PIN)\n", traffic)
				go ds.Traffic(ctx, sim, traffic, seed)
			}
			if rate > 0 {
				fmt.Fprintf(out, "traffic rate: %d authentications a second across the data set (activity-monitor load: accepted logins, no passcode checked)\n", rate)
				go ds.Load(ctx, sim, rate, seed)
			}
			return srv.Wait(ctx, 5*time.Second)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:7002", "address to listen on")
	cmd.Flags().IntVar(&users, "users", 200, "number of generated users besides the fixtures")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the demo data set")
	cmd.Flags().BoolVar(&inline, "inline", false, "answer inline instead of Axis multiRefs")
	cmd.Flags().IntVar(&rate, "traffic-rate", 0, "make N authentications a second across the data set (a busy AM's activity monitor)")
	cmd.Flags().DurationVar(&latency, "latency", 0, "delay every request by this much, as an AM far away would (e.g. 50ms)")
	cmd.Flags().DurationVar(&jitter, "jitter", 0, "add a random delay of up to this much to --latency")
	addTrafficFlag(cmd)
	cmd.Flags().BoolVar(&plainHTTP, "plain-http", false, "serve plain HTTP instead of HTTPS (clients then need --am-allow-plain-http)")
	cmd.Flags().StringVar(&caFile, "ca-file", "", "where to write the run's CA certificate (default: a file in the temporary directory, removed on exit)")
	cmd.AddCommand(newSimTokencodeCmd())
	// sim reads none of the console's and verbs' settings: its help lists
	// its own flags only (the thirty global ones buried them)
	cmd.SetHelpFunc(ownFlagsHelp)
	return cmd
}

// newSimTokencodeCmd is the demo's software token app: a demo token's
// current and next tokencode (SecurID's AES algorithm, as stoken computes
// it) and the seconds the current one has left, from the data set's seed (the same
// --seed as sim and --demo-seed), for a resync or, later, a login.
func newSimTokencodeCmd() *cobra.Command {
	var (
		users int
		seed  uint64
	)
	cmd := &cobra.Command{
		Use:   "tokencode SERIAL",
		Short: "Print a demo token's current and next tokencode (the demo's software token app)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rsa.ValidateSerial(args[0]); err != nil {
				return verbErr(err)
			}
			_, sim, err := stack.Seeded(stack.Options{Seed: seed, Users: users})
			if err != nil {
				return err
			}
			cur, next, left, err := sim.Showing(args[0])
			if err != nil {
				return &exitError{code: exitNotFound, err: fmt.Errorf("%v (of the demo data set with --seed %d, --users %d)", err, seed, users)}
			}
			// as the app shows it: the code, and how long it stays
			fmt.Fprintf(cmd.OutOrStdout(), "token %s: tokencode %s, next %s in %ds (demo data, seed %d; a token issued since with a new seed: its app or stoken holds it)\n",
				args[0], cur, next, int(left.Round(time.Second)/time.Second), seed)
			return nil
		},
	}
	cmd.Flags().IntVar(&users, "users", 200, "number of generated users (as given to sim or --demo-users)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the demo data set (as given to sim or --demo-seed)")
	cmd.SetHelpFunc(ownFlagsHelp)
	return cmd
}

// addTrafficFlag is --traffic: demo people log in now and then, so the
// dashboards show live activity. --traffic alone is every 3 s;
// --traffic=500ms sets the interval.
func addTrafficFlag(cmd *cobra.Command) {
	cmd.Flags().Duration("traffic", 0, "make demo people log in now and then (every 3s; --traffic=1s for another interval)")
	cmd.Flags().Lookup("traffic").NoOptDefVal = "3s"
}

func checkTraffic(d time.Duration) error {
	if d < 0 || (d > 0 && d < 100*time.Millisecond) || d > time.Hour {
		return usageErr("--traffic must be between 100ms and 1h (not %s)", d)
	}
	return nil
}

// ownFlagsHelp is a command's help with its own flags only: for commands
// that read none of the global settings.
func ownFlagsHelp(c *cobra.Command, _ []string) {
	out := c.OutOrStdout()
	text := c.Long
	if text == "" {
		text = c.Short
	}
	fmt.Fprintf(out, "%s\n\nUsage:\n  %s\n", text, c.UseLine())
	if c.HasAvailableSubCommands() {
		fmt.Fprintln(out, "\nCommands:")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				fmt.Fprintf(out, "  %-12s %s\n", sub.Name(), sub.Short)
			}
		}
	}
	fmt.Fprintf(out, "\nFlags:\n%s", c.LocalFlags().FlagUsages())
}
