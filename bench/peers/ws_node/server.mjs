// The ws-node peer: Node's `ws`, one process, broadcasting each received message to every socket
// in the same room (sender included). The room is the URL path /ws/chat/<room>/. Stores nothing.
// This is the plain broadcast loop from ws' README, the single-core near-limit reference.
//
//   node server.mjs --port 9000 [--host 127.0.0.1]
import { WebSocketServer } from 'ws';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const port = Number(args.port || 9000);
const host = args.host || '127.0.0.1';

const rooms = new Map(); // room -> Set<WebSocket>
const wss = new WebSocketServer({ host, port, perMessageDeflate: false, clientTracking: false, maxPayload: 64 * 1024 });

wss.on('connection', (ws, req) => {
  const m = /^\/ws\/chat\/(\w+)\/?/.exec(req.url || '');
  if (!m) { ws.close(4004, 'no room'); return; }
  const name = m[1];
  let room = rooms.get(name);
  if (!room) { room = new Set(); rooms.set(name, room); }
  room.add(ws);
  ws.on('message', (data, isBinary) => {
    for (const client of room) {
      if (client.readyState === 1) client.send(data, { binary: isBinary });
    }
  });
  ws.on('close', () => {
    room.delete(ws);
    if (room.size === 0 && rooms.get(name) === room) rooms.delete(name);
  });
  ws.on('error', () => {});
});
wss.on('listening', () => process.stderr.write(`ws-node listening on ${host}:${port}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { wss.close(); process.exit(0); });
