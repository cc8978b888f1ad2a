// Drive the AM simulator with node-soap, from its WSDL alone.
// usage: node check.js ENDPOINT CMDCLIENT_USER CMDCLIENT_PASSWORD ADMIN ADMIN_PASSWORD SERIAL
// Prints "OK <serial> <assignedUserId>" on success; exits non-zero otherwise.
const soap = require('soap');

const [endpoint, cu, cp, admin, pw, serial] = process.argv.slice(2);
const basic = 'Basic ' + Buffer.from(cu + ':' + cp).toString('base64');
// each class named in its own namespace, declared on the element (as RSA's
// .NET client does), so nothing depends on the WSDL's prefixes
const NS = { authn: 'http://authn.rsa.com', authnd: 'http://data.authn.rsa.com', tok: 'http://tokenmgt.admin.authmgr.rsa.com' };
const typed = (type, fields) => {
  const [p, local] = type.split(':');
  return Object.assign({ attributes: { 'xsi:type': 'q' + p + ':' + local, ['xmlns:q' + p]: NS[p] } }, fields);
};
const scalar = (v) => (v && typeof v === 'object' && '$value' in v ? v.$value : v);

(async () => {
  const client = await soap.createClientAsync(endpoint + '?wsdl', { wsdl_headers: { Authorization: basic } });
  client.setSecurity(new soap.BasicAuthSecurity(cu, cp));
  const [login] = await client.executeCommandAsync({
    in1: typed('authn:LoginCommand', {
      backgroundCommand: false, authenticationMethodId: 'RSA_Password', authenticationState: 'initial',
      parameters: { item: [
        typed('authnd:FieldParameterDTO', { promptKey: 'AUTHENTICATIONSERVICE_PRINCIPALID', value: admin }),
        typed('authnd:FieldParameterDTO', { promptKey: 'PASSWORD_CREDENTIAL', value: pw }),
      ] },
    }),
  });
  const ret = login.executeCommandReturn;
  if (scalar(ret.authenticationState) !== 'authenticated') throw new Error('login: ' + scalar(ret.authenticationState));
  const sid = scalar(ret.sessionId);

  const [res] = await client.executeCommandAsync({ in0: sid, in1: typed('tok:LookupTokenCommand', { backgroundCommand: false, serialNumber: serial }) });
  const tok = res.executeCommandReturn.token;

  let faulted = false;
  try {
    await client.executeCommandAsync({ in0: sid, in1: typed('tok:LookupTokenCommand', { backgroundCommand: false, serialNumber: '999999999999' }) });
  } catch (e) {
    const fs = e.root && e.root.Envelope.Body.Fault.faultstring;
    if (!String(fs).startsWith('com.rsa.command.exception.DataNotFoundException: ')) throw new Error('unexpected fault: ' + fs);
    faulted = true;
  }
  if (!faulted) throw new Error('lookup of an unknown serial did not fault');
  await client.executeCommandAsync({ in1: typed('authn:LogoutCommand', { backgroundCommand: false, sessionId: sid }) });
  console.log('OK', scalar(tok.serialNumber), scalar(tok.assignedUserId));
})().catch((e) => { console.error('node-soap interop failed:', e.message); process.exit(1); });
