#!/usr/bin/env node
// Registers with SIP.js 0.21 using a file written by `Export-SiperbClientConfig -Format SipJs`,
// loaded UNMODIFIED and used exactly as the contract says:
//   new UserAgent({...o.userAgentOptions, uri: UserAgent.makeURI(o.userAgentOptions.uri)})
//   new Registerer(ua, o.registererOptions)
// Prints one JSON line {"client","registered","status","reason","unregistered"} on stdout and exits
// (0 when registered, 1 otherwise). SIP.js logs through console: everything but the result line is
// sent to stderr. TLS trust: NODE_EXTRA_CA_CERTS, set by the caller at start.
//
// usage: node register-sipjs.js <config.json> [--timeout-ms 10000]
'use strict';

// Node 20 has no global WebSocket: SIP.js's transport needs one. Set before SIP.js loads.
const WebSocket = require('ws');
globalThis.WebSocket = WebSocket;

const fs = require('fs');

// stdout carries the one result line only.
for (const name of ['log', 'info', 'warn', 'debug', 'trace']) {
  console[name] = (...args) => process.stderr.write(args.map(String).join(' ') + '\n');
}

const { configPath, timeoutMs } = parseArguments(process.argv.slice(2));
const o = JSON.parse(fs.readFileSync(configPath, 'utf8'));
const result = { client: 'sipjs', registered: false, status: null, reason: null, unregistered: false };
let finished = false;
let ua = null;

function finish(exitCode) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  const write = () => process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(exitCode));
  if (ua) {
    // SIP.js's stop() can wait for its own transaction timers (a REGISTER whose 2xx did not list our
    // Contact): the result is known, so it gets two seconds, not more.
    Promise.race([ua.stop().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000))]).finally(write);
  } else {
    write();
  }
}

const timer = setTimeout(() => {
  result.reason = result.reason || `timeout after ${timeoutMs} ms`;
  finish(1);
}, timeoutMs);

(async () => {
  const { UserAgent, Registerer, RegistererState } = await import('sip.js');
  ua = new UserAgent({ ...o.userAgentOptions, uri: UserAgent.makeURI(o.userAgentOptions.uri) });
  ua.delegate = {
    onDisconnect: (error) => {
      if (!result.registered) {
        result.reason = result.reason || `disconnected${error ? `: ${error.message}` : ''}`;
        finish(1);
      }
    },
  };
  const registerer = new Registerer(ua, o.registererOptions);

  try {
    await ua.start();
  } catch (error) {
    result.reason = `transport: ${error && error.message ? error.message : error}`;
    finish(1);
    return;
  }

  const accepted = new Promise((resolve) => {
    // After a 423 SIP.js registers again on its own, without this request's delegate: the
    // Registerer's state is what says it registered.
    registerer.stateChange.addListener((state) => {
      if (state === RegistererState.Registered) resolve({ ok: true, message: { statusCode: 200, reasonPhrase: 'OK (Registerer state)' } });
    });
    registerer.register({
      requestDelegate: {
        onAccept: (response) => resolve({ ok: true, message: response.message }),
        onReject: (response) => resolve({ ok: false, message: response.message }),
      },
    }).catch((error) => resolve({ ok: false, error }));
  });
  const outcome = await accepted;
  if (outcome.message) {
    result.status = outcome.message.statusCode;
    result.reason = outcome.message.reasonPhrase;
  } else if (outcome.error) {
    result.reason = String(outcome.error.message || outcome.error);
  }
  if (!outcome.ok) {
    finish(1);
    return;
  }
  result.registered = true;

  // Outside onAccept (unregister() inside it throws "already in progress"); unregister() drops
  // the extra headers, so they are passed again.
  await new Promise((resolve) => setImmediate(resolve));
  try {
    await new Promise((resolve) => {
      registerer.unregister({
        requestOptions: { extraHeaders: (o.registererOptions && o.registererOptions.extraHeaders) || [] },
        requestDelegate: {
          onAccept: () => { result.unregistered = true; resolve(); },
          onReject: () => resolve(),
        },
      }).catch(() => resolve());
    });
  } finally {
    finish(0);
  }
})().catch((error) => {
  result.reason = result.reason || String(error && error.message ? error.message : error);
  finish(1);
});

function parseArguments(args) {
  let path = null;
  let timeout = 10000;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--timeout-ms') timeout = Number(args[++i]);
    else path = args[i];
  }
  if (!path) {
    process.stderr.write('usage: node register-sipjs.js <config.json> [--timeout-ms N]\n');
    process.exit(2);
  }
  return { configPath: path, timeoutMs: timeout };
}
