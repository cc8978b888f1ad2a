package interop

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
)

// axisJars are Debian's Axis 1.4 and what it needs (libaxis-java,
// libwsdl4j-java and their dependencies).
var axisJars = []string{"axis", "axis-jaxrpc", "axis-saaj", "wsdl4j", "commons-discovery", "commons-logging", "javax.activation", "javax.mail"}

// TestAxisClientDrivesSimulatorFromWSDL is the Java client AM's customers
// use: Axis 1.4's WSDL2Java generates stubs from the simulator's WSDL (the
// three java.* namespaces remapped, as Java 17 requires), javac compiles
// axis/Harness.java against them, and the harness runs a help desk's work —
// an admin login, identity sources, principals, tokens, emergency access
// (a fixed code, a one-time set, clear), a PIN clear with the whole record
// and a stale rowVersion refused, resync, unlock, the pool, a replacement, a
// person's SecurID_Native logins answering the next-tokencode and new-PIN
// prompts, logout with in0 null — and each AM error as the typed Java
// exception the WSDL declares, never a bare AxisFault.
func TestAxisClientDrivesSimulatorFromWSDL(t *testing.T) {
	for _, tool := range []string{"java", "javac"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, tool+" is not installed (a JDK)")
		}
	}
	var cp []string
	for _, j := range axisJars {
		p := filepath.Join("/usr/share/java", j+".jar")
		if _, err := os.Stat(p); err != nil {
			unavailable(t, p+" is missing (Debian libaxis-java, libwsdl4j-java)")
		}
		cp = append(cp, p)
	}
	ds, sim, endpoint, user, pw := serveSim(t)
	dir := t.TempDir()
	fetchWSDL(t, endpoint, user, pw, dir, "am.wsdl")
	src, err := os.ReadFile("axis/Harness.java")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Harness.java"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	classpath := strings.Join(cp, ":")
	run := func(env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(nil, "java", "-cp", classpath, "org.apache.axis.wsdl.WSDL2Java", "-o", "gen",
		"-Nhttp://cert.security.java=javacert", "-Nhttp://lang.java=javalang", "-Nhttp://net.java=javanet", "am.wsdl")
	var srcs []string
	_ = filepath.Walk(filepath.Join(dir, "gen"), func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".java") {
			srcs = append(srcs, p)
		}
		return nil
	})
	if len(srcs) < 500 {
		t.Fatalf("WSDL2Java generated %d classes", len(srcs))
	}
	if err := os.WriteFile(filepath.Join(dir, "sources.txt"), []byte(strings.Join(append(srcs, "Harness.java"), "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	run(nil, "javac", "-nowarn", "-encoding", "UTF-8", "-cp", classpath, "-d", "classes", "@sources.txt")

	// the codes last: read just before the run
	codes := func(serial string) string {
		cur, next, err := sim.Tokencodes(serial)
		if err != nil {
			t.Fatal(err)
		}
		return cur + "," + next
	}
	login, nextLogin, resync := "jdoe", "dobrien", ds.TokensOf("asmith")[0]
	env := []string{"AM_ENDPOINT=" + endpoint, "AM_CMD_USER=" + user, "AM_CMD_PASSWORD=" + pw,
		"AM_ADMIN=" + demo.AdminUser, "AM_ADMIN_PASSWORD=" + demo.AdminPassword,
		"AM_HELPDESK=" + demo.HelpdeskUser, "AM_HELPDESK_PASSWORD=" + demo.HelpdeskPassword,
		"AM_LOGIN=" + login, "AM_PIN=" + demo.DemoPIN, "AM_NEXT_LOGIN=" + nextLogin,
		"AM_CODES=" + codes(ds.TokensOf(login)[0]), "AM_NEXT_CODES=" + codes(ds.TokensOf(nextLogin)[0]),
		"AM_RESYNC_SERIAL=" + resync, "AM_RESYNC_CODES=" + codes(resync)}
	out := run(env, "java", "-cp", classpath+":classes", "Harness")
	if want := "OK " + ds.TokensOf(login)[0] + " " + login; !strings.Contains(out, want) {
		t.Fatalf("the harness printed\n%s\nwant a line %q", out, want)
	}
	t.Logf("Axis 1.4 harness:\n%s", out)
}
