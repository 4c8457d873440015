#!/usr/bin/env node
// Registers with JsSIP 3.13 using a UA configuration file written by
// `Export-SiperbClientConfig -Format JsSIP`, loaded UNMODIFIED: the only change is the one the
// contract allows, the socket URLs turned into JsSIP.WebSocketInterface objects:
//   new JsSIP.UA({...cfg, sockets: cfg.sockets.map(u => new JsSIP.WebSocketInterface(u))})
// Prints one JSON line {"client","registered","status","reason","unregistered"} on stdout and exits
// (0 when registered, 1 otherwise). TLS trust: NODE_EXTRA_CA_CERTS, set by the caller at start.
//
// With --keep-binding it exits once registered WITHOUT unregistering (a "live phone" whose binding
// stays at the registrar until it expires).
//
// usage: node register-jssip.js <config.json> [--timeout-ms 10000] [--keep-binding]
'use strict';

// Node 20 has no global WebSocket: JsSIP's WebSocketInterface needs one.
const WebSocket = require('ws');
globalThis.WebSocket = WebSocket;

const fs = require('fs');
const JsSIP = require('jssip');

const { configPath, timeoutMs, keepBinding } = parseArguments(process.argv.slice(2));
const cfg = JSON.parse(fs.readFileSync(configPath, 'utf8'));

let finished = false;
const result = { client: 'jssip', registered: false, status: null, reason: null, unregistered: false };

function finish(exitCode) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(exitCode));
}

const timer = setTimeout(() => {
  result.reason = result.reason || `timeout after ${timeoutMs} ms`;
  try { ua.stop(); } catch { /* best effort */ }
  finish(1);
}, timeoutMs);

const ua = new JsSIP.UA({ ...cfg, sockets: cfg.sockets.map((u) => new JsSIP.WebSocketInterface(u)) });

ua.on('registered', (e) => {
  result.registered = true;
  result.status = e.response ? e.response.status_code : 200;
  result.reason = e.response ? e.response.reason_phrase : null;
  if (keepBinding) {
    // No ua.stop(): it would unregister. The socket goes with the process.
    finish(0);
    return;
  }
  // Take the binding away again (REGISTER with Expires: 0), then stop.
  ua.on('unregistered', () => {
    result.unregistered = true;
    ua.stop();
    finish(0);
  });
  ua.unregister();
});

ua.on('registrationFailed', (e) => {
  result.status = e.response ? e.response.status_code : null;
  result.reason = e.response ? e.response.reason_phrase : String(e.cause);
  ua.stop();
  finish(1);
});

// JsSIP reconnects a failed transport forever: the first disconnect before registering ends the test.
ua.on('disconnected', (e) => {
  if (result.registered) return;
  result.reason = result.reason || `disconnected${e && e.code ? ` (code ${e.code})` : ''}${e && e.reason ? `: ${e.reason}` : ''}`;
  try { ua.stop(); } catch { /* best effort */ }
  finish(1);
});

ua.start();

function parseArguments(args) {
  let path = null;
  let timeout = 10000;
  let keep = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--timeout-ms') timeout = Number(args[++i]);
    else if (args[i] === '--keep-binding') keep = true;
    else path = args[i];
  }
  if (!path) {
    process.stderr.write('usage: node register-jssip.js <config.json> [--timeout-ms N] [--keep-binding]\n');
    process.exit(2);
  }
  return { configPath: path, timeoutMs: timeout, keepBinding: keep };
}
