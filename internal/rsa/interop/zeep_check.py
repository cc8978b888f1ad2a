"""Drive the AM simulator with python3-zeep, from its WSDL alone.

usage: zeep_check.py ENDPOINT CMDCLIENT_USER CMDCLIENT_PASSWORD ADMIN ADMIN_PASSWORD SERIAL
Prints "OK <serial> <assignedUserId> <eaMode>" on success; exits non-zero otherwise.
"""
import sys

import requests
import zeep
from zeep.transports import Transport

endpoint, cu, cp, admin, pw, serial = sys.argv[1:7]
session = requests.Session()
session.auth = (cu, cp)
client = zeep.Client(endpoint + "?wsdl", transport=Transport(session=session))

FP = client.get_type("{http://data.authn.rsa.com}FieldParameterDTO")
# the array type's name carries the WSDL's prefix of its item's namespace
# (ArrayOf_tnsN_AbstractParameterDTO, as Axis names them): found by its ending
Params = next(t for t in client.wsdl.types.types
              if t.qname is not None and t.qname.localname.startswith("ArrayOf_")
              and t.qname.localname.endswith("_AbstractParameterDTO"))
Login = client.get_type("{http://authn.rsa.com}LoginCommand")


def param(key, value, masked):
    return zeep.xsd.AnyObject(FP, FP(promptKey=key, value=value, editable=False, masked=masked))


login = Login(
    backgroundCommand=False,
    authenticateUnregisteredUser=False,
    authenticationMethodId="RSA_Password",
    authenticationState="initial",
    emergencyAuthentication=False,
    principalRegistered=False,
    usingTransientSession=False,
    parameters=Params([param("AUTHENTICATIONSERVICE_PRINCIPALID", admin, False),
                       param("PASSWORD_CREDENTIAL", pw, True)]),
)
res = client.service.executeCommand(zeep.xsd.SkipValue, login)
if res.authenticationState != "authenticated":
    sys.exit("login failed: %s" % res.authenticationState)
sid = res.sessionId

Lookup = client.get_type("{http://tokenmgt.admin.authmgr.rsa.com}LookupTokenCommand")
res = client.service.executeCommand(sid, Lookup(backgroundCommand=False, serialNumber=serial))
tok = res.token

LookupEA = client.get_type("{http://tokenmgt.admin.authmgr.rsa.com}LookupTokenEmergencyAccessCommand")
ea = client.service.executeCommand(sid, LookupEA(backgroundCommand=False, guid=tok.id)).tokenEmergencyAccess

# a fault must surface as a zeep Fault carrying the Java class
try:
    client.service.executeCommand(sid, Lookup(backgroundCommand=False, serialNumber="999999999999"))
    sys.exit("lookup of an unknown serial did not fault")
except zeep.exceptions.Fault as f:
    if not f.message.startswith("com.rsa.command.exception.DataNotFoundException: "):
        sys.exit("unexpected fault: %s" % f.message)

Logout = client.get_type("{http://authn.rsa.com}LogoutCommand")
client.service.executeCommand(zeep.xsd.SkipValue, Logout(backgroundCommand=False, sessionId=sid))
print("OK", tok.serialNumber, tok.assignedUserId, ea.eaMode)
