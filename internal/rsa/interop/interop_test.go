package interop

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// required is set by .ci/run: there a missing toolkit is a failure, not a skip.
var required = os.Getenv("RSATUI_REQUIRE_INTEROP") == "1"

func unavailable(t *testing.T, why string) {
	t.Helper()
	if required {
		t.Fatalf("interop toolkit unavailable but RSATUI_REQUIRE_INTEROP=1: %s", why)
	}
	t.Skipf("skipped: %s (.ci/run installs it and sets RSATUI_REQUIRE_INTEROP=1)", why)
}

func startSim(t *testing.T) (endpoint, user, pw, serial string) {
	t.Helper()
	ds, _, endpoint, user, pw := serveSim(t)
	return endpoint, user, pw, ds.TokensOf("jdoe")[0]
}

// serveSim serves a seeded simulator over HTTP for a client of its own.
func serveSim(t *testing.T) (*demo.Dataset, *amsim.Sim, string, string, string) {
	t.Helper()
	ds, sim := stacktest.Seeded(t, stack.Options{Seed: 3, Users: 20})
	mux := http.NewServeMux()
	mux.Handle(amsim.ServicePath, sim)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	user, pw := sim.CommandClient()
	return ds, sim, srv.URL + amsim.ServicePath, user, pw
}

// fetchWSDL writes the simulator's WSDL to dir/name, fetched here with the
// command-client account (no password on a tool's command line).
func fetchWSDL(t *testing.T, endpoint, user, pw, dir, name string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, endpoint+"?wsdl", nil)
	req.SetBasicAuth(user, pw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("WSDL: HTTP %d %v", resp.StatusCode, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), doc, 0o600); err != nil {
		t.Fatal(err)
	}
}

func runCheck(t *testing.T, name string, args ...string) {
	t.Helper()
	endpoint, user, pw, serial := startSim(t)
	cmd := exec.Command(name, append(args, endpoint, user, pw, demo.AdminUser, demo.AdminPassword, serial)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", name, err, out)
	}
	want := "OK " + serial + " jdoe"
	if !strings.Contains(string(out), want) {
		t.Fatalf("%s printed %q, want %q", name, out, want)
	}
}

func TestZeepDrivesSimulatorFromWSDL(t *testing.T) {
	py := "/usr/bin/python3" // Debian's python3-zeep lives in the system interpreter
	if err := exec.Command(py, "-c", "import zeep").Run(); err != nil {
		unavailable(t, "python3-zeep is not installed")
	}
	runCheck(t, py, "zeep_check.py")
}

func TestNodeSoapDrivesSimulatorFromWSDL(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		unavailable(t, "node is not installed")
	}
	if _, err := os.Stat("node/node_modules/soap"); err != nil {
		unavailable(t, "node-soap is not installed (npm ci in internal/rsa/interop/node)")
	}
	runCheck(t, "node", "node/check.js")
}
