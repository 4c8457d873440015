#!/usr/bin/env node
// Benchmark client: registers and unregisters many accounts with JsSIP 3.13, --concurrency at once,
// in ONE Node process, each from a UA configuration file written by `Export-SiperbClientConfig
// -Format JsSIP` (loaded unmodified but for the sockets, as register-jssip.js does). Prints one JSON
// line {"ms","registered","unregistered","failed":[...]} on stdout: ms is the wall time from the
// first UA started to the last one stopped (module loading not included). TLS trust:
// NODE_EXTRA_CA_CERTS, set by the caller at start.
//
// usage: node register-many-jssip.js --concurrency 32 [--timeout-ms 15000] <config.json>...
'use strict';

const WebSocket = require('ws');
globalThis.WebSocket = WebSocket;
const fs = require('fs');
const JsSIP = require('jssip');

const args = process.argv.slice(2);
let concurrency = 32;
let timeoutMs = 15000;
const paths = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--concurrency') concurrency = Number(args[++i]);
  else if (args[i] === '--timeout-ms') timeoutMs = Number(args[++i]);
  else paths.push(args[i]);
}
const configs = paths.map((p) => JSON.parse(fs.readFileSync(p, 'utf8')));

function registerOnce(cfg) {
  return new Promise((resolve) => {
    let done = false;
    const outcome = { registered: false, unregistered: false, reason: null };
    const ua = new JsSIP.UA({ ...cfg, sockets: cfg.sockets.map((u) => new JsSIP.WebSocketInterface(u)) });
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try { ua.stop(); } catch { /* best effort */ }
      resolve(outcome);
    };
    const timer = setTimeout(() => { outcome.reason = `timeout after ${timeoutMs} ms`; finish(); }, timeoutMs);
    ua.on('registered', () => {
      outcome.registered = true;
      ua.on('unregistered', () => { outcome.unregistered = true; finish(); });
      ua.unregister();
    });
    ua.on('registrationFailed', (e) => { outcome.reason = e.response ? `${e.response.status_code} ${e.response.reason_phrase}` : String(e.cause); finish(); });
    ua.on('disconnected', () => { if (!outcome.registered) { outcome.reason = outcome.reason || 'disconnected'; finish(); } });
    ua.start();
  });
}

(async () => {
  const started = process.hrtime.bigint();
  let next = 0;
  const outcomes = new Array(configs.length);
  async function worker() {
    while (next < configs.length) {
      const i = next++;
      outcomes[i] = await registerOnce(configs[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, configs.length) }, worker));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const failed = outcomes.map((o, i) => (o.registered && o.unregistered ? null : `${paths[i]}: ${o.reason}`)).filter((x) => x);
  process.stdout.write(JSON.stringify({ ms, registered: outcomes.filter((o) => o.registered).length, unregistered: outcomes.filter((o) => o.unregistered).length, failed }) + '\n',
    () => process.exit(failed.length ? 1 : 0));
})();
