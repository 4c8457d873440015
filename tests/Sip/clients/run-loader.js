#!/usr/bin/env node
// Runs a documented browser loader (a ```js block of docs/Export-SiperbClientConfig.md, unmodified)
// in Node, in the environment a page gives it: the library as the global JsSIP or SIP, a global
// WebSocket (the ws package: Node 20 has none), fetch() resolving relative URLs against the page's
// address (a small HTTP server on 127.0.0.1 serving --root, as the web server would), and
// addEventListener/dispatchEvent on the global object (the window's).
//
// stdout carries JSON lines only: {"event":"ready","url":...} once the block has run to its end,
// {"event":"pagehide"} once the pagehide event was dispatched, {"event":"error","message":...}.
// stdin takes lines: "pagehide" dispatches the page's pagehide event; "exit" (or the end of stdin)
// ends the process. The library logs through console: sent to stderr.
// TLS trust: NODE_EXTRA_CA_CERTS, set by the caller at start.
//
// usage: node run-loader.js --library jssip|sipjs --code <block.mjs> --root <folder>
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const readline = require('readline');
const { pathToFileURL } = require('url');

for (const name of ['log', 'info', 'warn', 'debug', 'trace', 'error']) {
  console[name] = (...args) => process.stderr.write(args.map(String).join(' ') + '\n');
}

function emit(value) { process.stdout.write(JSON.stringify(value) + '\n'); }

const args = parseArguments(process.argv.slice(2));

(async () => {
  globalThis.WebSocket = require('ws');
  if (args.library === 'jssip') globalThis.JsSIP = require('jssip');
  else globalThis.SIP = await import('sip.js');

  const page = new EventTarget();
  globalThis.addEventListener = page.addEventListener.bind(page);
  globalThis.removeEventListener = page.removeEventListener.bind(page);
  globalThis.dispatchEvent = page.dispatchEvent.bind(page);

  const base = await serve(args.root);
  const nodeFetch = globalThis.fetch;
  globalThis.fetch = (resource, init) => nodeFetch(new URL(String(resource), base), init);

  const commands = readline.createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const command = line.trim();
    if (command === 'pagehide') {
      dispatchEvent(new Event('pagehide'));
      emit({ event: 'pagehide' });
    } else if (command === 'exit') {
      process.exit(0);
    }
  });
  commands.on('close', () => process.exit(0));

  await import(pathToFileURL(path.resolve(args.code)).href);
  emit({ event: 'ready', url: base });
})().catch((error) => {
  emit({ event: 'error', message: String(error && error.stack ? error.stack : error) });
  process.exit(1);
});

// Serves the files under root (GET only, no listing, nothing outside root) on 127.0.0.1.
function serve(root) {
  const rootPath = path.resolve(root);
  const server = http.createServer((request, response) => {
    const file = path.resolve(rootPath, '.' + decodeURIComponent(new URL(request.url, 'http://x').pathname));
    if (request.method !== 'GET' || !file.startsWith(rootPath + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(fs.readFileSync(file));
  });
  server.unref();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}/`)));
}

function parseArguments(list) {
  const result = { library: null, code: null, root: null };
  for (let i = 0; i < list.length; i++) {
    if (list[i] === '--library') result.library = list[++i];
    else if (list[i] === '--code') result.code = list[++i];
    else if (list[i] === '--root') result.root = list[++i];
  }
  if (!['jssip', 'sipjs'].includes(result.library) || !result.code || !result.root) {
    process.stderr.write('usage: node run-loader.js --library jssip|sipjs --code <block.mjs> --root <folder>\n');
    process.exit(2);
  }
  return result;
}
