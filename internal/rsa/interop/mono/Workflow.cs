// The emergency-access workflow through a proxy that Mono's wsdl generated
// from the simulator's WSDL: what PowerShell's New-WebServiceProxy (and RSA's
// own wsdl.exe-built rsaws-ci.dll) do with a real AM's WSDL.
//
// usage: mono workflow.exe ENDPOINT CMDCLIENT_USER CMDCLIENT_PASSWORD ADMIN ADMIN_PASSWORD LOGIN
// Prints one line per step and "OK <serial> <login> <rowVersion>" at the end;
// exits 1 with the reason otherwise.
using System;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Web.Services.Protocols;
using System.Xml;
using System.Xml.Serialization;

static class Workflow
{
    static CommandServerService svc;
    static string sid;

    static void Fail(string why) { Console.Error.WriteLine("FAIL: " + why); Environment.Exit(1); }
    static void Expect(bool ok, string what) { if (!ok) Fail(what); Console.WriteLine("ok   " + what); }

    static T Run<T>(TargetableCommand cmd) where T : TargetableCommand
    {
        return (T)svc.executeCommand(sid, cmd);
    }

    // A fault must arrive as a SOAP exception naming the Java class in its
    // faultstring and carrying the exception bean, of that class, in <detail>.
    static void ExpectFault(string javaClass, string text, Action call)
    {
        try { call(); }
        catch (SoapException e)
        {
            string local = javaClass.Substring(javaClass.LastIndexOf('.') + 1);
            XmlElement bean = e.Detail == null ? null : e.Detail.ChildNodes.OfType<XmlElement>().FirstOrDefault(n => n.LocalName == "fault");
            string type = bean == null ? "" : bean.GetAttribute("type", "http://www.w3.org/2001/XMLSchema-instance");
            Expect(e.Message.StartsWith(javaClass + ": ") && e.Message.Contains(text) && type.EndsWith(":" + local),
                "fault " + local + " (" + text + ") with its bean: " + e.Message + " / " + type);
            return;
        }
        Fail("no fault where " + javaClass + " was expected");
    }

    // a proxy class by its SOAP type (wsdl renames classes whose local names
    // repeat across namespaces: LogoutCommand1 and the like)
    static object New(string ns, string name)
    {
        foreach (Type t in Assembly.GetExecutingAssembly().GetTypes())
        {
            var a = (SoapTypeAttribute)Attribute.GetCustomAttribute(t, typeof(SoapTypeAttribute));
            if (a != null && a.Namespace == ns && (string.IsNullOrEmpty(a.TypeName) ? t.Name : a.TypeName) == name) return Activator.CreateInstance(t);
        }
        Fail("no proxy class for {" + ns + "}" + name);
        return null;
    }

    static TokenEmergencyAccessDTO LookupEA(string guid)
    {
        return Run<LookupTokenEmergencyAccessCommand>(new LookupTokenEmergencyAccessCommand { guid = guid }).tokenEmergencyAccess;
    }

    static TokenDTO LookupToken(string guid)
    {
        return Run<LookupTokenCommand>(new LookupTokenCommand { guid = guid }).token;
    }

    static int Main(string[] args)
    {
        string endpoint = args[0], cu = args[1], cp = args[2], admin = args[3], pw = args[4], login = args[5];
        svc = new CommandServerService { Url = endpoint, Credentials = new NetworkCredential(cu, cp), PreAuthenticate = true };

        var lc = Run<LoginCommand>(new LoginCommand {
            authenticationMethodId = "RSA_Password", authenticationState = "initial",
            parameters = new AbstractParameterDTO[] {
                new FieldParameterDTO { promptKey = "AUTHENTICATIONSERVICE_PRINCIPALID", value = admin },
                new FieldParameterDTO { promptKey = "PASSWORD_CREDENTIAL", value = pw, masked = true },
            } });
        Expect(lc.authenticationState == "authenticated" && !string.IsNullOrEmpty(lc.sessionId), "login");
        sid = lc.sessionId;

        var sources = Run<GetIdentitySourcesCommand>(new GetIdentitySourcesCommand()).identitySources;
        var src = sources.First(s => !s.@internal);
        Expect(src.guid.Length == 32, "identity source " + src.name + " (srcType " + src.srcType + ")");

        var found = Run<SearchPrincipalsCommand>(new SearchPrincipalsCommand {
            identitySourceGuid = src.guid, limit = 10, searchSubDomains = true,
            filter = new Filter { comp = new Simple { attr = "LOGINUID", core = true, type = new Equal(), value = login } } }).principals;
        Expect(found.Length == 1 && found[0].userID == login, "principal " + login + " (rowVersion " + found[0].rowVersion + ")");
        var who = found[0];

        var list = Run<ListTokensByPrincipalCommand>(new ListTokensByPrincipalCommand { principalId = who.guid }).tokenDTOs;
        Expect(list.Length >= 1, login + " holds " + list.Length + " token(s)");

        var tok = Run<LookupTokenCommand>(new LookupTokenCommand { serialNumber = list[0].serialNumber }).token;
        long rowVersion = tok.rowVersion;
        Expect(tok.id == list[0].guid && tok.principalId == who.guid, "token " + tok.serialNumber);

        var ea = LookupEA(tok.id);
        Expect(ea.eaMode == 0 && !ea.tokenLost, "emergency access off");

        // a temporary fixed tokencode generated by AM, for the longest time allowed
        string code = Run<GenerateEmergencyAccessCodeCommand>(new GenerateEmergencyAccessCodeCommand { tokenGuid = tok.id }).emergencyAccessCode;
        Expect(code != null && code.Length == 8, "generated fixed code");
        ea.tokenLost = true; ea.eaMode = 1; ea.lostMode = 1; ea.temporaryFixedTokencode = code;
        ea.eaExpiration = DateTime.UtcNow.AddDays(14).AddMinutes(-5); ea.validOnlineData = true; ea.clearUnusedCodes = true;
        Run<UpdateTokenEmergencyAccessCommand>(new UpdateTokenEmergencyAccessCommand { tokenEmergencyAccessDTO = ea });
        var back = LookupEA(tok.id);
        Expect(back.tokenLost && back.eaMode == 1 && back.lostMode == 1 && back.temporaryFixedTokencode == code && back.eaExpiration.HasValue,
            "fixed code for 14 days, if available: end emergency access");

        // 15 days: refused, and nothing of it lands
        back.eaExpiration = DateTime.UtcNow.AddDays(15);
        ExpectFault("com.rsa.command.exception.InvalidArgumentException", "maximum lifetime",
            () => Run<UpdateTokenEmergencyAccessCommand>(new UpdateTokenEmergencyAccessCommand { tokenEmergencyAccessDTO = back }));

        // a set of one-time codes instead
        string[] otts = Run<GenerateOneTimeTokenCodeSetCommand>(new GenerateOneTimeTokenCodeSetCommand { tokenGuid = tok.id, setSize = 5 }).otts;
        Expect(otts.Length == 5, "generated 5 one-time codes");
        ea = LookupEA(tok.id);
        ea.eaMode = 2; ea.oneTimeTokencodeSet = otts; ea.temporaryFixedTokencode = null; ea.clearUnusedCodes = true;
        ea.eaExpiration = DateTime.UtcNow.AddDays(2);
        Run<UpdateTokenEmergencyAccessCommand>(new UpdateTokenEmergencyAccessCommand { tokenEmergencyAccessDTO = ea });
        back = LookupEA(tok.id);
        Expect(back.eaMode == 2 && back.numUnusedCodes == 5, "one-time set installed");

        // emergency access ended
        back.tokenLost = false; back.eaMode = 0; back.eaExpiration = null;
        Run<UpdateTokenEmergencyAccessCommand>(new UpdateTokenEmergencyAccessCommand { tokenEmergencyAccessDTO = back });
        back = LookupEA(tok.id);
        Expect(!back.tokenLost && back.eaMode == 0 && back.temporaryFixedTokencode == null, "emergency access cleared");

        // unassign and assign again
        Run<UnlinkTokensFromPrincipalsCommand>(new UnlinkTokensFromPrincipalsCommand { tokenGuids = new[] { tok.id } });
        Expect(LookupToken(tok.id).principalId == null, "unassigned");
        Run<LinkTokensWithPrincipalCommand>(new LinkTokensWithPrincipalCommand { principalGuid = who.guid, tokenGuids = new[] { tok.id } });
        Expect(LookupToken(tok.id).principalId == who.guid, "assigned again");

        // disable, enable
        Run<EnableTokensCommand>(new EnableTokensCommand { enable = false, tokenGuids = new[] { tok.id } });
        Expect(!LookupToken(tok.id).tokenEnabled, "disabled");
        Run<EnableTokensCommand>(new EnableTokensCommand { enable = true, tokenGuids = new[] { tok.id } });
        var last = LookupToken(tok.id);
        Expect(last.tokenEnabled && last.rowVersion > rowVersion, "enabled (rowVersion " + rowVersion + " -> " + last.rowVersion + ")");

        // faults, as typed SOAP exceptions
        ExpectFault("com.rsa.command.exception.DataNotFoundException", "IdentitySource Guid is not specified",
            () => Run<GenerateEmergencyAccessCodeCommand>(new GenerateEmergencyAccessCodeCommand { tokenGuid = null }));
        string real = sid;
        sid = "bogus-session-0000";
        ExpectFault("com.rsa.session.InvalidSessionException", "invalid",
            () => Run<LookupTokenCommand>(new LookupTokenCommand { serialNumber = tok.serialNumber }));
        sid = real;

        var logout = (TargetableCommand)New("http://authn.rsa.com", "LogoutCommand");
        logout.GetType().GetProperty("sessionId").SetValue(logout, sid);
        sid = null;
        Run<TargetableCommand>(logout);
        Console.WriteLine("OK " + tok.serialNumber + " " + login + " " + last.rowVersion);
        return 0;
    }
}
