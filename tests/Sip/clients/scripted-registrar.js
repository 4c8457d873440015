#!/usr/bin/env node
// A scripted SIP registrar over WSS for the verdict checks of tests/Pester/Sip.Tests.ps1: each
// registrar behaviour of issue 16 on its own path, /ws/<scenario>, so the SAME behaviour is met by
// the real JsSIP / SIP.js (loading the files Export-SiperbClientConfig wrote) and by
// Test-SiperbRegistration -Client JsSIP|SipJs. Digest (MD5 / SHA-256, qop=auth) is checked against
// the users file {"user@domain": "password"}. Listens on 127.0.0.1, port chosen by the OS.
//
// Scenarios:
//   plain        MD5 challenge, then 200 listing the Contact
//   stale        the first authenticated REGISTER gets 401 stale=true with a new nonce, then 200
//   other        200 whose Contact list holds another device's Contact only
//   nocontact    200 without any Contact
//   sha256       a SHA-256 challenge only
//   sha256-md5   two WWW-Authenticate headers: SHA-256, then MD5
//   md5-sha256   two WWW-Authenticate headers: MD5, then SHA-256
//   proxy407     407 with Proxy-Authenticate MD5
//   minexpires   423 Min-Expires: 120 to a shorter Expires, then as plain
//   bearer       as plain, but the authenticated REGISTER must carry Authorization: Bearer (else 403)
//
// stdout: {"event":"listening","port":N} once. Exits when its standard input closes, or on SIGTERM.
// usage: node scripted-registrar.js <cert.pem> <key.pem> <users.json>
'use strict';

const fs = require('fs');
const https = require('https');
const crypto = require('crypto');
const { WebSocketServer } = require('ws');

const [certPath, keyPath, usersPath] = process.argv.slice(2);
if (!certPath || !keyPath || !usersPath) {
  process.stderr.write('usage: node scripted-registrar.js <cert.pem> <key.pem> <users.json>\n');
  process.exit(2);
}
const users = JSON.parse(fs.readFileSync(usersPath, 'utf8'));
const realm = 'scripted.test';

const server = https.createServer({ cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) }, (req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('WebSocket only.\n');
});
const wss = new WebSocketServer({ server, handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false) });

const nonce = () => crypto.randomBytes(12).toString('hex');
const hash = (algorithm, text) => crypto.createHash(algorithm === 'SHA-256' ? 'sha256' : 'md5').update(text, 'utf8').digest('hex');

function parse(text) {
  const head = text.split('\r\n\r\n')[0].split('\r\n');
  const headers = [];
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const all = (name) => headers.filter(([n]) => n === name || (name === 'contact' && n === 'm')).map(([, v]) => v);
  return { start: head[0], all, one: (name) => all(name)[0] };
}

function digestFields(value) {
  const fields = {};
  const re = /(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/g;
  let m;
  while ((m = re.exec(value.slice(7))) !== null) fields[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  return fields;
}

function digestValid(value, method, state, user) {
  const f = digestFields(value);
  const password = users[user];
  if (password === undefined || !state.nonces.has(f.nonce)) return false;
  const algorithm = f.algorithm || 'MD5';
  const ha1 = hash(algorithm, `${f.username}:${realm}:${password}`);
  const ha2 = hash(algorithm, `${method}:${f.uri}`);
  const expected = f.qop ? hash(algorithm, `${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:${f.qop}:${ha2}`) : hash(algorithm, `${ha1}:${f.nonce}:${ha2}`);
  return f.response === expected && f.realm === realm;
}

function reply(request, status, reason, extra) {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of request.all('via').concat(request.all('v'))) lines.push(`Via: ${v}`);
  lines.push(`From: ${request.one('from') || request.one('f')}`);
  lines.push(`To: ${request.one('to') || request.one('t')};tag=scripted`);
  lines.push(`Call-ID: ${request.one('call-id') || request.one('i')}`);
  lines.push(`CSeq: ${request.one('cseq')}`);
  for (const line of extra || []) lines.push(line);
  lines.push('Server: Siperb-Scripted-Registrar', 'Content-Length: 0', '', '');
  return lines.join('\r\n');
}

function challengeLines(scenario, state) {
  const n = nonce();
  state.nonces.add(n);
  const md5 = `Digest realm="${realm}", nonce="${n}", qop="auth", algorithm=MD5`;
  const sha = `Digest realm="${realm}", nonce="${n}", qop="auth", algorithm=SHA-256`;
  switch (scenario) {
    case 'sha256': return [`WWW-Authenticate: ${sha}`];
    case 'sha256-md5': return [`WWW-Authenticate: ${sha}`, `WWW-Authenticate: ${md5}`];
    case 'md5-sha256': return [`WWW-Authenticate: ${md5}`, `WWW-Authenticate: ${sha}`];
    case 'proxy407': return [`Proxy-Authenticate: ${md5}`];
    default: return [`WWW-Authenticate: ${md5}`];
  }
}

function expiresOf(request, contact) {
  const param = /;\s*expires\s*=\s*(\d+)/i.exec(contact || '');
  if (param) return Number(param[1]);
  const header = request.one('expires');
  return header === undefined ? 600 : Number(header);
}

function answer(scenario, text, state) {
  const request = parse(text);
  const method = request.start.split(' ')[0];
  if (method === 'OPTIONS') return reply(request, 200, 'OK');
  if (method !== 'REGISTER') return reply(request, 405, 'Method Not Allowed');
  const to = request.one('to') || request.one('t') || '';
  const aor = /sip:([^@>;]+)@([^>;]+)/.exec(to);
  const user = aor ? `${decodeURIComponent(aor[1])}@${aor[2]}` : '';
  const proxy = scenario === 'proxy407';
  const credentials = request.all(proxy ? 'proxy-authorization' : 'authorization').find((v) => /^digest /i.test(v));
  if (!credentials) {
    return reply(request, proxy ? 407 : 401, proxy ? 'Proxy Authentication Required' : 'Unauthorized', challengeLines(scenario, state));
  }
  if (!digestValid(credentials, 'REGISTER', state, user)) return reply(request, 403, 'Forbidden');
  const contacts = request.all('contact');
  const expires = expiresOf(request, contacts[0]);
  if (expires === 0) return reply(request, 200, 'OK');
  if (scenario === 'stale' && !state.staled) {
    state.staled = true;
    state.nonces.clear();
    const n = nonce();
    state.nonces.add(n);
    return reply(request, 401, 'Unauthorized', [`WWW-Authenticate: Digest realm="${realm}", nonce="${n}", qop="auth", algorithm=MD5, stale=true`]);
  }
  if (scenario === 'minexpires' && expires < 120) return reply(request, 423, 'Interval Too Brief', ['Min-Expires: 120']);
  if (scenario === 'bearer' && !request.all('authorization').some((v) => /^bearer /i.test(v))) return reply(request, 403, 'Bearer required');
  if (scenario === 'other') return reply(request, 200, 'OK', ['Contact: <sip:someone-else@192.0.2.9;transport=ws>;expires=600', 'Expires: 600']);
  if (scenario === 'nocontact') return reply(request, 200, 'OK', ['Expires: 600']);
  return reply(request, 200, 'OK', contacts.map((c) => `Contact: ${c.replace(/;\s*expires\s*=\s*\d+/i, '')};expires=${expires}`));
}

wss.on('connection', (socket, req) => {
  const scenario = (req.url || '').replace(/^\/ws\/?/, '').split('?')[0] || 'plain';
  const state = { nonces: new Set(), staled: false };
  socket.on('message', (data) => {
    const text = data.toString('utf8');
    if (!text.trim()) return;
    socket.send(answer(scenario, text, state));
  });
  socket.on('error', () => {});
});

server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ event: 'listening', port: server.address().port }) + '\n'));

const stop = () => {
  for (const client of wss.clients) client.terminate();
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
