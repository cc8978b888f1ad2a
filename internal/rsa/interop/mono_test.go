package interop

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
)

// TestMonoProxyDrivesSimulatorFromWSDL does what an AM admin's PowerShell
// does with New-WebServiceProxy: Mono's wsdl generates a C# proxy from the
// simulator's WSDL, mcs compiles mono/Workflow.cs against it, and the program
// runs the emergency-access workflow (login, identity source, principal,
// tokens, EA lookup, generate, update for 14 days, read back, a one-time set,
// clear, unassign/assign, disable/enable) and the faults (a 15-day expiry,
// the seed's empty token GUID, a bogus session) as typed SOAP exceptions.
func TestMonoProxyDrivesSimulatorFromWSDL(t *testing.T) {
	for _, tool := range []string{"wsdl", "mcs", "mono"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, tool+" is not installed (Debian mono-devel)")
		}
	}
	endpoint, user, pw, serial := startSim(t)
	dir := t.TempDir()
	fetchWSDL(t, endpoint, user, pw, dir, "CommandServer.wsdl")
	src, err := os.ReadFile("mono/Workflow.cs")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Workflow.cs"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("wsdl", "-nologo", "-out:Proxy.cs", "CommandServer.wsdl")
	run("mcs", "-nologo", "-nowarn:0618,0649", "-out:workflow.exe", "-r:System.Web.Services", "-r:System.Xml", "Proxy.cs", "Workflow.cs")
	out := run("mono", "workflow.exe", endpoint, user, pw, demo.AdminUser, demo.AdminPassword, "jdoe")
	if want := "OK " + serial + " jdoe "; !strings.Contains(out, want) {
		t.Fatalf("the workflow printed\n%s\nwant a line %q", out, want)
	}
	t.Logf("Mono proxy workflow:\n%s", out)
}
