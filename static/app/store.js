// The client's state and everything it does over the socket: rooms, each room's messages, the
// outbox of messages not yet acknowledged, knocks, typing, mutes. Screens read `state` and call
// the functions below; any change calls `changed()`, which re-renders once per frame.
//
// It holds no rule of its own: the server decides, and its answers (ack, ok, error) are shown.

import { Connection } from "./socket.js";

/** Messages kept per room while reading the newest; older ones are paged back in on demand. */
export const KEEP_WHILE_FOLLOWING = 400;
/** Hard cap per room, however far back one scrolls (the DOM holds far fewer: the view window). */
const KEEP_MAX = 3000;
const HISTORY_PAGE = 50;
const TYPING_EVERY_MS = 3000;
const READ_EVERY_MS = 500;

export const KIND_ORDER = { neighbourhood: 0, topic: 1, direct: 2, coordination: 3, work: 4 };

/** One room's messages in memory, in seq order, each seq once. */
export class RoomLog {
  constructor() {
    this.msgs = [];
    this.bySeq = new Map();
    this.hasOlder = true;
    this.loadingOlder = false;
    this.loaded = false; // the newest page was read
    this.syncing = false;
  }

  get first() {
    return this.msgs.length ? this.msgs[0].seq : null;
  }

  get last() {
    return this.msgs.length ? this.msgs[this.msgs.length - 1].seq : 0;
  }

  /** Index of the first message with seq ≥ ``seq``. */
  lowerBound(seq) {
    let lo = 0;
    let hi = this.msgs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.msgs[mid].seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Store a message; true when its seq is new (a known seq is replaced: edit, tombstone). */
  put(msg) {
    const known = this.bySeq.has(msg.seq);
    this.bySeq.set(msg.seq, msg);
    if (known) {
      this.msgs[this.lowerBound(msg.seq)] = msg;
      return false;
    }
    if (!this.msgs.length || msg.seq > this.last) this.msgs.push(msg);
    else this.msgs.splice(this.lowerBound(msg.seq), 0, msg);
    return true;
  }

  /** Forget the oldest messages beyond ``keep`` (they can be paged back in). */
  trim(keep) {
    const extra = this.msgs.length - keep;
    if (extra <= 0) return;
    for (const msg of this.msgs.splice(0, extra)) this.bySeq.delete(msg.seq);
    this.hasOlder = true;
  }
}

export const state = {
  status: "connecting", // connecting | live | offline
  everLive: false,
  me: null, // welcome.user
  rooms: new Map(), // id → welcome room entry (+ mutedUntil, mentioned)
  logs: new Map(), // id → RoomLog
  outbox: [], // {client_id, room, body, reply_to, mentions, state, error, ts}
  knocks: [], // knocks to me, pending
  typing: new Map(), // room → Map(user → {name, until})
  mutes: new Map(), // room → Map(user → until | null): who is muted, as far as this client saw
  joinRequests: new Map(), // room → [{user, ts}]
  notice: null, // {text, kind}: a short message at the bottom of the screen
  openRoom: null, // the room on screen
  following: true, // the open room is scrolled to its newest message
  removed: false, // the account was removed or logged out: the socket stays closed
};

// --- Re-rendering ------------------------------------------------------------------------------

const listeners = new Set();
let scheduled = false;

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function flushListeners() {
  scheduled = false;
  for (const listener of listeners) listener();
}

/** Something changed: re-render once, on the next frame (a background tab: soon). */
export function changed() {
  if (scheduled) return;
  scheduled = true;
  if (document.visibilityState === "visible") requestAnimationFrame(flushListeners);
  else setTimeout(flushListeners, 200);
}

export function notify(text, kind = "info") {
  state.notice = { text, kind, at: Date.now() };
  changed();
  setTimeout(() => {
    if (state.notice && Date.now() - state.notice.at >= 3900) {
      state.notice = null;
      changed();
    }
  }, 4000);
}

// --- The connection ----------------------------------------------------------------------------

let conn = null;
let welcomes = 0;

export function start(socketUrl) {
  const url = new URL(socketUrl, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  conn = new Connection(url.href, {
    frame: received,
    status: (status) => {
      state.status = status;
      if (status === "live") state.everLive = true;
      if (status !== "live") for (const e of state.outbox) if (e.state === "sending") e.state = "queued";
      changed();
    },
    opened: () => {},
    closed: (code) => {
      if (code === 4003 || code === 4001) {
        state.removed = true;
        changed();
      }
    },
  });
  conn.connect();
  document.addEventListener("visibilitychange", () => {
    changed();
    if (document.visibilityState === "visible" && state.openRoom) markRead(state.openRoom);
  });
}

export function connection() {
  return conn;
}

export function logOf(roomId) {
  let log = state.logs.get(roomId);
  if (!log) {
    log = new RoomLog();
    state.logs.set(roomId, log);
  }
  return log;
}

/** True while the person is looking at the newest messages of this room. */
function reading(roomId) {
  return (
    state.openRoom === roomId && state.following && document.visibilityState === "visible"
  );
}

const handlers = {
  welcome: onWelcome,
  message: onMessage,
  edited(f) {
    const log = state.logs.get(f.room);
    const msg = log && log.bySeq.get(f.seq);
    if (msg) log.put({ ...msg, body: f.body, edited: true });
  },
  pins(f) {
    const room = state.rooms.get(f.room);
    if (room) state.rooms.set(f.room, { ...room, pins: f.pins });
  },
  muted(f) {
    mutesOf(f.room).set(f.user, f.until);
    if (state.me && f.user === state.me.id) setMyMute(f.room, f.until, true);
  },
  unmuted(f) {
    mutesOf(f.room).delete(f.user);
    if (state.me && f.user === state.me.id) setMyMute(f.room, null, false);
  },
  presence(f) {
    const room = state.rooms.get(f.room);
    if (room) state.rooms.set(f.room, { ...room, online: f.online });
  },
  typing(f) {
    if (state.me && f.user === state.me.id) return;
    let typers = state.typing.get(f.room);
    if (!typers) state.typing.set(f.room, (typers = new Map()));
    const ttl = (f.ttl || 6) * 1000;
    typers.set(f.user, { name: f.display_name, until: Date.now() + ttl });
    setTimeout(changed, ttl + 50);
  },
  read(f) {
    const room = state.rooms.get(f.room);
    if (room) state.rooms.set(f.room, { ...room, read_seq: f.seq, unread: f.unread, mentioned: false });
  },
  mention(f) {
    const room = state.rooms.get(f.room);
    if (room && !reading(f.room)) state.rooms.set(f.room, { ...room, mentioned: true });
  },
  knock(f) {
    if (!state.knocks.some((k) => k.id === f.knock.id)) state.knocks.push(f.knock);
  },
  knock_answered(f) {
    if (f.accepted) notify(f.message || "✓", "ok");
    else notify(f.message || "—", "info");
  },
  room_joined(f) {
    const entry = { ...f.room };
    state.rooms.set(entry.id, entry);
    if (entry.last_seq > 0) loadLatest(entry.id);
    else logOf(entry.id).loaded = true;
  },
  room_left(f) {
    state.rooms.delete(f.room);
    state.logs.delete(f.room);
    if (state.openRoom === f.room && location.hash.startsWith(`#/room/${f.room}`)) location.hash = "#/";
  },
  join_request(f) {
    const list = state.joinRequests.get(f.room) || [];
    if (!list.some((r) => r.user.id === f.user.id)) list.push({ user: f.user, ts: f.ts });
    state.joinRequests.set(f.room, list);
  },
  join_answered(f) {
    notify(f.accepted ? "✓" : "—", f.accepted ? "ok" : "info");
  },
};

function received(frame) {
  const handle = handlers[frame.type];
  if (handle) {
    handle(frame);
    changed();
  }
}

function mutesOf(roomId) {
  let mutes = state.mutes.get(roomId);
  if (!mutes) state.mutes.set(roomId, (mutes = new Map()));
  return mutes;
}

const muteTimers = new Map();

function setMyMute(roomId, until, muted) {
  const room = state.rooms.get(roomId);
  if (!room) return;
  state.rooms.set(roomId, { ...room, muted, mutedUntil: muted ? until : null });
  clearTimeout(muteTimers.get(roomId));
  if (muted && until) {
    // The mute ends by itself; the server sends no event for that.
    const ms = new Date(until).getTime() - Date.now();
    muteTimers.set(
      roomId,
      setTimeout(() => {
        setMyMute(roomId, null, false);
        changed();
      }, Math.max(0, Math.min(ms, 2 ** 31 - 1))),
    );
  }
}

async function onWelcome(w) {
  welcomes += 1;
  state.me = w.user;
  const previous = state.rooms;
  state.rooms = new Map();
  const catchUp = {};
  for (const entry of w.rooms) {
    const before = previous.get(entry.id);
    const room = { ...entry };
    if (before && before.muted) Object.assign(room, { muted: before.muted, mutedUntil: before.mutedUntil });
    state.rooms.set(entry.id, room);
    const log = state.logs.get(entry.id);
    if (log && log.last > 0 && entry.last_seq > log.last) catchUp[entry.id] = log.last;
    else if ((!log || !log.loaded) && entry.last_seq > 0) loadLatest(entry.id);
    else if (entry.last_seq === 0) logOf(entry.id).loaded = true;
  }
  for (const id of [...state.logs.keys()]) if (!state.rooms.has(id)) state.logs.delete(id);
  state.knocks = w.knocks || [];
  changed();
  flushOutbox();
  if (Object.keys(catchUp).length) await syncRooms(catchUp);
  // Edits and deletions are not replayed by sync: re-read the open room's newest page.
  if (welcomes > 1 && state.openRoom && state.rooms.has(state.openRoom)) loadLatest(state.openRoom);
}

/** `sync` from the last seq seen in each room, again while `more` names rooms. */
async function syncRooms(rooms) {
  let pending = rooms;
  for (const id of Object.keys(pending)) logOf(Number(id)).syncing = true;
  try {
    while (Object.keys(pending).length) {
      const answer = await conn.request({ type: "sync", rooms: pending }, 30000);
      pending = answer.more || {};
    }
  } catch {
    // The socket dropped mid-sync: the next welcome starts over from what arrived.
  } finally {
    for (const id of Object.keys(rooms)) {
      const log = state.logs.get(Number(id));
      if (log) log.syncing = false;
    }
  }
}

function onMessage(msg) {
  const room = state.rooms.get(msg.room);
  if (!room) return;
  const log = logOf(msg.room);
  const previousLast = log.last;
  const isNew = log.put(msg);
  const mine = state.me && msg.author && msg.author.id === state.me.id;
  if (mine && msg.client_id) dropFromOutbox(msg.client_id);
  if (!isNew) return;
  if (previousLast > 0 && msg.seq > previousLast + 1 && !log.syncing) {
    syncRooms({ [msg.room]: previousLast }); // a gap in the live stream: fill it
  }
  if (msg.seq > room.last_seq) {
    const update = { ...room, last_seq: msg.seq };
    if (mine || reading(msg.room)) {
      update.read_seq = Math.max(room.read_seq || 0, mine ? msg.seq : room.read_seq || 0);
    } else {
      update.unread = (room.unread || 0) + 1;
    }
    state.rooms.set(msg.room, update);
    if (reading(msg.room)) markRead(msg.room);
  }
  if (state.openRoom !== msg.room || state.following) log.trim(KEEP_WHILE_FOLLOWING);
  else log.trim(KEEP_MAX);
}

// --- Reading -----------------------------------------------------------------------------------

export async function loadLatest(roomId) {
  const log = logOf(roomId);
  try {
    const page = await conn.request({ type: "history", room: roomId, limit: 40 });
    for (const msg of page.messages) log.put(msg);
    if (page.messages.length === 0 || page.messages[0].seq <= 1) log.hasOlder = false;
    else if (log.first === page.messages[0].seq) log.hasOlder = true;
  } catch {
    return;
  } finally {
    log.loaded = true;
    changed();
  }
}

export async function loadOlder(roomId) {
  const log = logOf(roomId);
  if (log.loadingOlder || !log.hasOlder || !log.msgs.length) return;
  log.loadingOlder = true;
  changed();
  try {
    const page = await conn.request({
      type: "history",
      room: roomId,
      before: log.first,
      limit: HISTORY_PAGE,
    });
    for (const msg of page.messages) log.put(msg);
    if (page.messages.length < HISTORY_PAGE || page.messages[0].seq <= 1) log.hasOlder = false;
  } catch {
    // offline: tried again when scrolled to the top once back
  } finally {
    log.loadingOlder = false;
    changed();
  }
}

const lastRead = new Map();

/** Move the read marker to the newest message of a room on screen. */
export function markRead(roomId) {
  const room = state.rooms.get(roomId);
  const log = state.logs.get(roomId);
  if (!room || !log || !log.last) return;
  const seq = Math.min(log.last, room.last_seq);
  if (room.unread || room.mentioned) state.rooms.set(roomId, { ...room, unread: 0, mentioned: false });
  if (seq <= (room.read_seq || 0)) return;
  const now = Date.now();
  if (now - (lastRead.get(roomId) || 0) < READ_EVERY_MS) {
    setTimeout(() => markRead(roomId), READ_EVERY_MS);
    return;
  }
  lastRead.set(roomId, now);
  if (conn.send({ type: "read", room: roomId, seq })) {
    state.rooms.set(roomId, { ...state.rooms.get(roomId), read_seq: seq, unread: 0 });
  }
  changed();
}

export function openRoom(roomId) {
  state.openRoom = roomId;
  state.following = true;
  const log = logOf(roomId);
  if (!log.loaded && conn.live) loadLatest(roomId);
  markRead(roomId);
}

export function setFollowing(following) {
  if (state.following === following) return;
  state.following = following;
  if (following && state.openRoom) markRead(state.openRoom);
  changed();
}

// --- Sending: the outbox -----------------------------------------------------------------------

function newClientId() {
  return crypto.randomUUID ? crypto.randomUUID() : `c-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

function dropFromOutbox(clientId) {
  const i = state.outbox.findIndex((e) => e.client_id === clientId);
  if (i >= 0) state.outbox.splice(i, 1);
}

/** Queue a message; it is sent now if live, or once back online, with the same client_id. */
export function sendMessage(roomId, body, { replyTo = null, mentions = [] } = {}) {
  state.outbox.push({
    client_id: newClientId(),
    room: roomId,
    body,
    reply_to: replyTo,
    mentions,
    state: "queued",
    error: null,
    ts: new Date().toISOString(),
  });
  state.following = true;
  changed();
  flushOutbox();
}

export function retry(entry) {
  entry.state = "queued";
  entry.error = null;
  entry.client_id = newClientId(); // refused before: a new message as far as the server knows
  changed();
  flushOutbox();
}

export function discard(entry) {
  dropFromOutbox(entry.client_id);
  changed();
}

const RETRY_SAME = new Set(["disconnected", "timeout", "unavailable", "internal", "rate_limited"]);
let flushing = false;

async function flushOutbox() {
  if (flushing || !conn || !conn.live) return;
  flushing = true;
  try {
    for (;;) {
      const entry = state.outbox.find((e) => e.state === "queued");
      if (!entry || !conn.live) break;
      entry.state = "sending";
      changed();
      const frame = { type: "send", room: entry.room, body: entry.body, client_id: entry.client_id };
      if (entry.reply_to) frame.reply_to = entry.reply_to;
      if (entry.mentions && entry.mentions.length) frame.mentions = entry.mentions;
      try {
        const ack = await conn.request(frame);
        const log = state.logs.get(ack.room);
        if (log && log.bySeq.has(ack.seq)) dropFromOutbox(entry.client_id);
        else entry.state = "acked"; // its message is on its way
      } catch (err) {
        if (RETRY_SAME.has(err.code)) {
          // Nothing or the same message was stored: send it again later, same client_id.
          entry.state = "queued";
          const wait = err.code === "rate_limited" ? (err.retry_after || 1) * 1000 : 3000;
          if (err.code !== "disconnected") setTimeout(flushOutbox, wait);
          break;
        }
        entry.state = "failed";
        entry.error = err;
        if (err.code === "muted") setMyMute(entry.room, err.until ?? null, true);
      }
      changed();
    }
  } finally {
    flushing = false;
  }
}

// --- Other acts --------------------------------------------------------------------------------

const typingSent = new Map();

export function typing(roomId) {
  const now = Date.now();
  if (now - (typingSent.get(roomId) || 0) < TYPING_EVERY_MS) return;
  typingSent.set(roomId, now);
  conn.send({ type: "typing", room: roomId });
}

/** Ask the server to do something; errors are shown as a notice and passed on. */
export async function act(frame) {
  try {
    return await conn.request(frame);
  } catch (err) {
    notify(err.message || err.code, "error");
    throw err;
  }
}

export function typers(roomId) {
  const typersMap = state.typing.get(roomId);
  if (!typersMap) return [];
  const now = Date.now();
  return [...typersMap.values()].filter((x) => x.until > now).map((x) => x.name);
}

export function totalUnread() {
  let n = 0;
  for (const room of state.rooms.values()) n += room.unread || 0;
  return n;
}

export function mayModerate(room) {
  return room && (room.rank === "owner" || room.rank === "moderator");
}

/** Rooms in list order: 小区群 and 社区群 first, then topic, direct, coordination, work. */
export function sortedRooms() {
  const lastTs = (room) => {
    const log = state.logs.get(room.id);
    return log && log.msgs.length ? log.msgs[log.msgs.length - 1].ts : "";
  };
  return [...state.rooms.values()].sort((a, b) => {
    const kind = (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9);
    if (kind) return kind;
    if (a.kind === "neighbourhood") return a.id - b.id;
    return lastTs(b).localeCompare(lastTs(a)) || a.id - b.id;
  });
}
