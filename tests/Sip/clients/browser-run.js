#!/usr/bin/env node
// Runs documented browser loaders (the ```js blocks of docs/Export-SiperbClientConfig.md, unmodified)
// in ONE headless Chromium, page after page, driven over the DevTools protocol (CDP).
//
// At start: bundles JsSIP and SIP.js from node_modules with esbuild into browser scripts that set
// the globals JsSIP and SIP (the libraries' code unchanged), serves them and the pages on
// 127.0.0.1 over HTTP, starts Chromium (--headless, a profile under --profile; Chromium trusts the
// test CA through the NSS database in $HOME/.pki/nssdb that the caller made), and writes
// {"event":"ready"} to the events file.
//
// Commands, one JSON object per stdin line; each answered with an event line in the events file:
//   {"cmd":"open","id":"p1","library":"jssip|sipjs","code":"<block.mjs>","root":"<folder>"}
//       a new page /p/<id>/index.html loading the library bundle, then the block as a module script;
//       files under root are served below /p/<id>/ (the block fetches 'sip/<file>')  -> {"event":"opened","id"}
//   {"cmd":"pagehide","id":"p1"}   dispatches the page's pagehide event (the page stays, so the
//       library can finish the un-REGISTER, its digest round trip included)           -> {"event":"pagehide","id"}
//   {"cmd":"exit"}                 closes the browser and exits
// Page console messages and exceptions go to stderr as "[id] ..." lines; an exception also becomes
// {"event":"exception","id","text"}.
//
// usage: node browser-run.js --chromium <path> --profile <folder> --events <file>
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const readline = require('readline');
const { spawn } = require('child_process');
const WebSocket = require('ws');
const esbuild = require('esbuild');

const args = parseArguments(process.argv.slice(2));
const pages = new Map(); // id -> { library, code, root, sessionId }
let browser = null;
let nextMessageId = 1;
const pending = new Map();

function emit(value) { fs.appendFileSync(args.events, JSON.stringify(value) + '\n'); }
function log(text) { process.stderr.write(text + '\n'); }

(async () => {
  const bundles = bundle();
  const base = await serve(bundles);
  const wsUrl = await startChromium();
  browser = new WebSocket(wsUrl, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { browser.once('open', resolve); browser.once('error', reject); });
  browser.on('message', onMessage);

  const commands = readline.createInterface({ input: process.stdin });
  commands.on('line', (line) => handle(JSON.parse(line), base).catch((error) => emit({ event: 'error', message: String(error.stack || error) })));
  commands.on('close', () => shutdown(0));
  emit({ event: 'ready', base });
})().catch((error) => {
  emit({ event: 'error', message: String(error && error.stack ? error.stack : error) });
  shutdown(1);
});

async function handle(command, base) {
  if (command.cmd === 'open') {
    pages.set(command.id, { library: command.library, code: command.code, root: command.root });
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    pages.get(command.id).sessionId = sessionId;
    pages.get(command.id).targetId = targetId;
    await send('Runtime.enable', {}, sessionId);
    await send('Page.enable', {}, sessionId);
    await send('Page.navigate', { url: `${base}p/${encodeURIComponent(command.id)}/index.html` }, sessionId);
    emit({ event: 'opened', id: command.id });
  } else if (command.cmd === 'pagehide') {
    const page = pages.get(command.id);
    await send('Runtime.evaluate', { expression: "dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }))" }, page.sessionId);
    emit({ event: 'pagehide', id: command.id });
  } else if (command.cmd === 'exit') {
    shutdown(0);
  }
}

function onMessage(data) {
  const message = JSON.parse(data);
  if (message.id && pending.has(message.id)) {
    const { resolve, reject } = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) reject(new Error(`${message.error.message} (${message.error.code})`));
    else resolve(message.result);
    return;
  }
  const id = [...pages.entries()].find(([, page]) => page.sessionId && page.sessionId === message.sessionId)?.[0] ?? '?';
  if (message.method === 'Runtime.consoleAPICalled') {
    log(`[${id}] console.${message.params.type}: ${message.params.args.map((a) => a.value ?? a.description ?? '').join(' ')}`);
  } else if (message.method === 'Runtime.exceptionThrown') {
    const details = message.params.exceptionDetails;
    const text = details.exception && details.exception.description ? details.exception.description : details.text;
    log(`[${id}] exception: ${text}`);
    emit({ event: 'exception', id, text });
  }
}

function send(method, params, sessionId) {
  const id = nextMessageId++;
  browser.send(JSON.stringify(sessionId ? { id, method, params, sessionId } : { id, method, params }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

// The libraries as browser scripts: `var JsSIP = ...` / `var SIP = ...` (IIFE bundles, code unchanged).
function bundle() {
  const resolveDir = __dirname;
  const build = (contents, globalName) => esbuild.buildSync({
    stdin: { contents, resolveDir, sourcefile: `${globalName}.entry.js` },
    bundle: true, format: 'iife', globalName, platform: 'browser', target: 'es2020', write: false, logLevel: 'silent',
  }).outputFiles[0].text;
  return {
    jssip: build("module.exports = require('jssip');", 'JsSIP'),
    sipjs: build("export * from 'sip.js';", 'SIP'),
  };
}

function serve(bundles) {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://x');
    const reply = (status, type, body) => response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
    const lib = /^\/lib\/(jssip|sipjs)\.js$/.exec(url.pathname);
    if (lib) return reply(200, 'text/javascript', bundles[lib[1]]);
    const page = /^\/p\/([^/]+)\/(.+)$/.exec(url.pathname);
    const entry = page && pages.get(decodeURIComponent(page[1]));
    if (!entry) return reply(404, 'text/plain', 'not found');
    const rest = decodeURIComponent(page[2]);
    if (rest === 'index.html') {
      return reply(200, 'text/html', `<!doctype html><html><head><meta charset="utf-8"><title>${page[1]}</title>` +
        `<script src="/lib/${entry.library}.js"></script><script type="module" src="loader.mjs"></script></head><body></body></html>`);
    }
    if (rest === 'loader.mjs') return reply(200, 'text/javascript', fs.readFileSync(entry.code));
    const root = path.resolve(entry.root);
    const file = path.resolve(root, rest);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return reply(404, 'text/plain', 'not found');
    return reply(200, 'application/json', fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}/`)));
}

// Starts Chromium with a DevTools port of the OS's choosing; resolves to the browser's WebSocket URL.
function startChromium() {
  const userData = path.join(args.profile, 'chromium');
  fs.mkdirSync(userData, { recursive: true });
  const portFile = path.join(userData, 'DevToolsActivePort');
  if (fs.existsSync(portFile)) fs.unlinkSync(portFile);
  const flags = ['--headless', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-extensions',
    '--disable-background-networking', '--disable-dev-shm-usage', `--user-data-dir=${userData}`, '--remote-debugging-port=0', 'about:blank'];
  if (process.getuid && process.getuid() === 0) flags.unshift('--no-sandbox'); // Chromium refuses to run as root with its sandbox
  const child = spawn(args.chromium, flags, { env: { ...process.env, HOME: args.profile }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', () => {}); // Chromium is chatty; its output is not ours
  process.on('exit', () => { try { child.kill('SIGKILL'); } catch { /* gone */ } });
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (child.exitCode !== null) return reject(new Error(`chromium exited with code ${child.exitCode}`));
      if (fs.existsSync(portFile)) {
        const [port, browserPath] = fs.readFileSync(portFile, 'utf8').split('\n');
        if (port && browserPath) return resolve(`ws://127.0.0.1:${port.trim()}${browserPath.trim()}`);
      }
      if (Date.now() - started > 30000) return reject(new Error('chromium did not open its DevTools port within 30 s'));
      return setTimeout(poll, 25);
    };
    poll();
  });
}

function shutdown(code) {
  const finish = () => process.exit(code);
  if (browser && browser.readyState === WebSocket.OPEN) {
    send('Browser.close', {}).catch(() => {}).finally(finish);
    setTimeout(finish, 3000).unref();
  } else {
    finish();
  }
}

function parseArguments(list) {
  const result = { chromium: null, profile: null, events: null };
  for (let i = 0; i < list.length; i++) {
    if (list[i] === '--chromium') result.chromium = list[++i];
    else if (list[i] === '--profile') result.profile = list[++i];
    else if (list[i] === '--events') result.events = list[++i];
  }
  if (!result.chromium || !result.profile || !result.events) {
    process.stderr.write('usage: node browser-run.js --chromium <path> --profile <folder> --events <file>\n');
    process.exit(2);
  }
  return result;
}
