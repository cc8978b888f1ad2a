// An Apache Axis 1.4 client of the simulator, from stubs WSDL2Java generated
// off its WSDL: the stack RSA's Java customers and vendors call AM's
// CommandServer with (CommandServerServiceLocator, CommandServerSoapBindingStub;
// SailPoint's MFA library among them). Written for rsatui; it runs in CI
// against the simulator (axis_test.go).
//
// Everything secret comes from the environment, never the command line:
// AM_ENDPOINT, AM_CMD_USER, AM_CMD_PASSWORD, AM_ADMIN, AM_ADMIN_PASSWORD,
// AM_HELPDESK, AM_HELPDESK_PASSWORD, AM_LOGIN (the person whose token is
// worked on), AM_PIN, AM_NEXT_LOGIN and AM_NEXT_CODES ("current,next" of a
// token in next-tokencode mode), AM_CODES ("current,next" of AM_LOGIN's token).
// Prints a line a step and "OK <serial> <login>" at the end; exits 1 otherwise.
import java.net.URL;
import java.util.Calendar;

import com.rsa.admin.GetIdentitySourcesCommand;
import com.rsa.admin.SearchPrincipalsCommand;
import com.rsa.admin.data.IdentitySourceDTO;
import com.rsa.admin.data.PrincipalDTO;
import com.rsa.authmgr.admin.tokenmgt.*;
import com.rsa.authmgr.admin.tokenmgt.data.*;
import com.rsa.authn.LoginCommand;
import com.rsa.authn.data.AbstractParameterDTO;
import com.rsa.authn.data.FieldParameterDTO;
import com.rsa.command.TargetableCommand;
import com.rsa.common.search.Equal;
import com.rsa.common.search.Filter;
import com.rsa.common.search.Simple;
import com.rsa.ucm.am.UnLockUserAccountCommand;
import com.rsa.webservice.CommandServer;
import com.rsa.webservice.CommandServerServiceLocator;

public class Harness {
    static CommandServer port;
    static String sid;

    static String env(String k) {
        String v = System.getenv(k);
        if (v == null || v.isEmpty()) fail("environment variable " + k + " is not set");
        return v;
    }

    static void fail(String why) { System.err.println("FAIL: " + why); System.exit(1); }

    static void expect(boolean ok, String what) {
        if (!ok) fail(what);
        System.out.println("ok   " + what);
    }

    @SuppressWarnings("unchecked")
    static <T extends TargetableCommand> T run(TargetableCommand cmd) throws Exception {
        return (T) port.executeCommand(sid, cmd);
    }

    interface Call { void run() throws Exception; }

    // An AM error must arrive as the typed exception the WSDL declares for
    // it, carrying AM's message: never a bare AxisFault.
    static void expectFault(Class<?> type, String text, Call call) throws Exception {
        try {
            call.run();
        } catch (Exception e) {
            String msg = e instanceof com.rsa.common.LocalizableException ? ((com.rsa.common.LocalizableException) e).getMessage1()
                : e instanceof com.rsa.common.SystemException ? ((com.rsa.common.SystemException) e).getMessage1() : String.valueOf(e);
            expect(e.getClass() == type && msg != null && msg.contains(text),
                "typed fault " + type.getSimpleName() + " (" + text + "): got " + e.getClass().getName() + ": " + msg);
            return;
        }
        fail("no fault where " + type.getName() + " was expected");
    }

    static FieldParameterDTO field(String key, String value) {
        FieldParameterDTO f = new FieldParameterDTO();
        f.setPromptKey(key);
        f.setValue(value);
        f.setMasked(true);
        return f;
    }

    static LoginCommand login(String method, String state, String session, FieldParameterDTO... fs) throws Exception {
        LoginCommand lc = new LoginCommand();
        lc.setAuthenticationMethodId(method);
        lc.setAuthenticationState(state);
        lc.setSessionId(session);
        lc.setParameters(fs);
        String keep = sid;
        sid = null; // a login goes without an admin session (in0 null)
        try { return run(lc); } finally { sid = keep; }
    }

    static String adminLogin(String user, String pw) throws Exception {
        LoginCommand r = login("RSA_Password", "initial", null,
            field("AUTHENTICATIONSERVICE_PRINCIPALID", user), field("PASSWORD_CREDENTIAL", pw));
        expect("authenticated".equals(r.getAuthenticationState()) && r.getSessionId() != null, "admin login " + user);
        return r.getSessionId();
    }

    static void logout(String session) throws Exception {
        com.rsa.authn.LogoutCommand out = new com.rsa.authn.LogoutCommand();
        out.setSessionId(session);
        String keep = sid;
        sid = null; // in0 null, the session in the command (as RSA's samples do)
        try { run(out); } finally { sid = keep; }
    }

    // A person's passcode checked as SailPoint's loop does: LoginCommand
    // with SecurID_Native, then an answer for each prompt AM sends back.
    static String personLogin(String login, String passcode, String[] answers) throws Exception {
        LoginCommand r = login("SecurID_Native", "initial", null,
            field("AUTHENTICATIONSERVICE_PRINCIPALID", login), field("ACEPROXY_PASSCODE", passcode));
        int i = 0;
        StringBuilder asked = new StringBuilder();
        while ("in_progress".equals(r.getAuthenticationState())) {
            AbstractParameterDTO[] ps = r.getParameters();
            if (ps == null || ps.length == 0 || i >= answers.length) fail("AM asks " + (ps == null ? "nothing" : ps[0].getPromptKey()) + " with no answer left");
            String prompt = ps[0].getPromptKey();
            asked.append(prompt).append(' ');
            r = login("SecurID_Native", "in_progress", r.getSessionId(), field(prompt, answers[i++]));
        }
        if ("authenticated".equals(r.getAuthenticationState()) && r.getSessionId() != null) logout(r.getSessionId());
        return r.getAuthenticationState() + " after " + asked.toString().trim();
    }

    static PrincipalDTO principal(IdentitySourceDTO src, String login) throws Exception {
        SearchPrincipalsCommand sp = new SearchPrincipalsCommand();
        Simple eq = new Simple();
        eq.setAttr("LOGINUID"); eq.setCore(true); eq.setType(new Equal()); eq.setValue(login);
        Filter f = new Filter(); f.setComp(eq);
        sp.setFilter(f); sp.setIdentitySourceGuid(src.getGuid()); sp.setLimit(10); sp.setSearchSubDomains(true);
        PrincipalDTO[] found = ((SearchPrincipalsCommand) run(sp)).getPrincipals();
        expect(found.length == 1 && login.equals(found[0].getUserID()), "principal " + login);
        return found[0];
    }

    static TokenEmergencyAccessDTO lookupEA(String guid) throws Exception {
        LookupTokenEmergencyAccessCommand c = new LookupTokenEmergencyAccessCommand();
        c.setGuid(guid);
        return ((LookupTokenEmergencyAccessCommand) run(c)).getTokenEmergencyAccess();
    }

    static TokenDTO lookupToken(String guid, String serial) throws Exception {
        LookupTokenCommand c = new LookupTokenCommand();
        c.setGuid(guid);
        c.setSerialNumber(serial);
        return ((LookupTokenCommand) run(c)).getToken();
    }

    static Calendar days(int n) {
        Calendar c = Calendar.getInstance();
        c.add(Calendar.DAY_OF_MONTH, n);
        c.add(Calendar.MINUTE, -5);
        return c;
    }

    public static void main(String[] args) throws Exception {
        port = new CommandServerServiceLocator().getCommandServer(new URL(env("AM_ENDPOINT")));
        org.apache.axis.client.Stub stub = (org.apache.axis.client.Stub) port;
        stub.setUsername(env("AM_CMD_USER"));
        stub.setPassword(env("AM_CMD_PASSWORD"));
        String who = env("AM_LOGIN"), pin = env("AM_PIN");
        String[] codes = env("AM_CODES").split(","), next = env("AM_NEXT_CODES").split(",");

        sid = adminLogin(env("AM_ADMIN"), env("AM_ADMIN_PASSWORD"));

        GetIdentitySourcesCommand gis = run(new GetIdentitySourcesCommand());
        IdentitySourceDTO src = null;
        for (IdentitySourceDTO s : gis.getIdentitySources()) if (!s.isInternal()) src = s;
        expect(src != null && src.getGuid().length() == 32, "identity source " + (src == null ? "" : src.getName()));
        PrincipalDTO person = principal(src, who);

        // a person AM locked out, in next-tokencode mode: unlocked, then
        // their passcode with the next-tokencode prompt answered (the codes
        // were read just before the run)
        PrincipalDTO locked = principal(src, env("AM_NEXT_LOGIN"));
        expect(locked.isLockoutStatus(), env("AM_NEXT_LOGIN") + " is locked by AM");
        UnLockUserAccountCommand un = new UnLockUserAccountCommand();
        un.setPrincipalGuid(locked.getGuid()); un.setIdentitySourceGuid(src.getGuid());
        run(un);
        expect(!principal(src, env("AM_NEXT_LOGIN")).isLockoutStatus(), "unlocked");
        String got = personLogin(env("AM_NEXT_LOGIN"), pin + next[0], new String[] {next[1]});
        expect(got.equals("authenticated after ACEPROXY_NEXT_TOKENCODE"), "SecurID_Native login with the next-tokencode prompt: " + got);

        ListTokensByPrincipalCommand lt = new ListTokensByPrincipalCommand();
        lt.setPrincipalId(person.getGuid());
        ListTokenDTO[] list = ((ListTokensByPrincipalCommand) run(lt)).getTokenDTOs();
        expect(list.length >= 1, who + " holds " + list.length + " token(s)");
        TokenDTO tok = lookupToken(null, list[0].getSerialNumber());
        expect(tok.getId().equals(list[0].getGuid()) && person.getGuid().equals(tok.getPrincipalId()), "token " + tok.getSerialNumber());

        // emergency access: a fixed code generated by AM, 14 days
        TokenEmergencyAccessDTO ea = lookupEA(tok.getId());
        expect(ea.getEaMode() == 0 && !ea.isTokenLost(), "emergency access off");
        GenerateEmergencyAccessCodeCommand gen = new GenerateEmergencyAccessCodeCommand();
        gen.setTokenGuid(tok.getId());
        String code = ((GenerateEmergencyAccessCodeCommand) run(gen)).getEmergencyAccessCode();
        expect(code != null && code.length() == 8, "generated fixed code");
        ea.setTokenLost(true); ea.setEaMode(1); ea.setLostMode(1); ea.setTemporaryFixedTokencode(code);
        ea.setEaExpiration(days(14)); ea.setValidOnlineData(true); ea.setClearUnusedCodes(true);
        UpdateTokenEmergencyAccessCommand up = new UpdateTokenEmergencyAccessCommand();
        up.setTokenEmergencyAccessDTO(ea);
        run(up);
        TokenEmergencyAccessDTO back = lookupEA(tok.getId());
        expect(back.isTokenLost() && back.getEaMode() == 1 && code.equals(back.getTemporaryFixedTokencode()), "fixed code for 14 days");

        final TokenEmergencyAccessDTO tooLong = back;
        tooLong.setEaExpiration(days(16));
        expectFault(com.rsa.command.exception.InvalidArgumentException.class, "maximum", () -> {
            UpdateTokenEmergencyAccessCommand c = new UpdateTokenEmergencyAccessCommand();
            c.setTokenEmergencyAccessDTO(tooLong);
            run(c);
        });

        GenerateOneTimeTokenCodeSetCommand ott = new GenerateOneTimeTokenCodeSetCommand();
        ott.setTokenGuid(tok.getId()); ott.setSetSize(5);
        String[] otts = ((GenerateOneTimeTokenCodeSetCommand) run(ott)).getOtts();
        expect(otts.length == 5, "generated 5 one-time codes");
        ea = lookupEA(tok.getId());
        ea.setEaMode(2); ea.setOneTimeTokencodeSet(otts); ea.setTemporaryFixedTokencode(null); ea.setEaExpiration(days(2));
        up.setTokenEmergencyAccessDTO(ea);
        run(up);
        expect(lookupEA(tok.getId()).getNumUnusedCodes() == 5, "one-time set installed");
        ea = lookupEA(tok.getId());
        ea.setTokenLost(false); ea.setEaMode(0); ea.setEaExpiration(null);
        up.setTokenEmergencyAccessDTO(ea);
        run(up);
        back = lookupEA(tok.getId());
        expect(!back.isTokenLost() && back.getEaMode() == 0, "emergency access cleared");

        // the toolbox: clear the PIN (the whole record), then a stale record is refused
        TokenDTO rec = lookupToken(tok.getId(), null);
        long rv = rec.getRowVersion();
        rec.setNewPinMode(true); rec.setPinIsSet(false); rec.setPin("");
        UpdateTokenCommand ut = new UpdateTokenCommand();
        ut.setToken(rec);
        run(ut);
        TokenDTO cleared = lookupToken(tok.getId(), null);
        expect(!cleared.isPinIsSet() && cleared.getRowVersion() == rv + 1, "PIN cleared (rowVersion " + rv + " -> " + cleared.getRowVersion() + ")");
        expectFault(com.rsa.command.exception.ConcurrentUpdateException.class, "", () -> run(ut)); // rowVersion rv again

        // the new-PIN prompt: tokencode alone, a new PIN, then PIN + the next tokencode
        got = personLogin(who, codes[0], new String[] {"13579", "13579" + codes[1]});
        expect(got.equals("authenticated after ACEPROXY_NEW_PIN ACEPROXY_PASSCODE"), "SecurID_Native login with the new-PIN prompt: " + got);

        // resync (the codes of a token AM does not count as used: the next-tokencode person's next two)
        ResynchronizeTokenCommand rs = new ResynchronizeTokenCommand();
        rs.setTokenSerialNum(env("AM_RESYNC_SERIAL"));
        String[] rc = env("AM_RESYNC_CODES").split(",");
        rs.setFirstTokencode(rc[0]); rs.setSecondTokencode(rc[1]);
        run(rs);
        expect(true, "resync");

        // the pool and a replacement
        GetNextAvailableTokenCommand nx = run(new GetNextAvailableTokenCommand());
        TokenDTO spare = nx.getToken();
        expect(spare != null && spare.getPrincipalId() == null, "next available token " + spare.getSerialNumber());
        ReplaceTokensCommand rp = new ReplaceTokensCommand();
        ReplaceTokenDTO pair = new ReplaceTokenDTO();
        pair.setReplacingTokenGuid(tok.getId()); pair.setReplacementTokenGuid(spare.getId());
        rp.setRepTknDTO(new ReplaceTokenDTO[] {pair});
        run(rp);
        TokenDTO successor = lookupToken(spare.getId(), null);
        expect(person.getGuid().equals(successor.getPrincipalId()) && successor.getReplacementMode() == 2, "replaced by " + spare.getSerialNumber());

        // the other typed faults
        expectFault(com.rsa.command.exception.DataNotFoundException.class, "IdentitySource Guid is not specified", () -> {
            GenerateEmergencyAccessCodeCommand g = new GenerateEmergencyAccessCodeCommand();
            run(g);
        });
        expectFault(com.rsa.command.exception.DataNotFoundException.class, "not found", () -> lookupToken(null, "999999999999"));
        String real = sid;
        sid = "bogus-session-0000";
        expectFault(com.rsa.session.InvalidSessionException.class, "invalid", () -> lookupToken(null, tok.getSerialNumber()));
        sid = adminLogin(env("AM_HELPDESK"), env("AM_HELPDESK_PASSWORD"));
        expectFault(com.rsa.command.exception.InsufficientPrivilegeException.class, "permission", () -> {
            EnableTokensCommand en = new EnableTokensCommand();
            en.setEnable(false); en.setTokenGuids(new String[] {tok.getId()});
            run(en);
        });
        logout(sid);
        sid = real;
        logout(sid);
        System.out.println("OK " + tok.getSerialNumber() + " " + who);
    }
}
