#!/usr/bin/env node
// A WebSocket-over-TLS server that accepts the upgrade on /ws with the 'sip' subprotocol and then
// never answers anything: the "registrar that never answers" of the SIP suite (time-bound case,
// Ctrl+C case). Listens on 127.0.0.1, port chosen by the OS.
// stdout: {"event":"listening","port":N} once. The events file (appended, one JSON object a line):
// {"event":"open"|"message"|"close","id":n,"open":<connections open now>,"bytes":n?,"time":ms}.
// Exits when its standard input closes (its parent went away) or on SIGTERM.
//
// usage: node silent-wss.js <cert.pem> <key.pem> <events.jsonl>
'use strict';

const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');

const [certPath, keyPath, eventsPath] = process.argv.slice(2);
if (!certPath || !keyPath || !eventsPath) {
  process.stderr.write('usage: node silent-wss.js <cert.pem> <key.pem> <events.jsonl>\n');
  process.exit(2);
}

const say = (o) => fs.appendFileSync(eventsPath, JSON.stringify({ ...o, time: Date.now() }) + '\n');
const server = https.createServer({ cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) }, (req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('WebSocket only.\n');
});
const wss = new WebSocketServer({
  server,
  path: '/ws',
  handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
});

let next = 0;
let open = 0;
wss.on('connection', (socket) => {
  const id = ++next;
  open++;
  say({ event: 'open', id, open });
  socket.on('message', (data) => say({ event: 'message', id, open, bytes: data.length }));
  socket.on('close', () => {
    open--;
    say({ event: 'close', id, open });
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
