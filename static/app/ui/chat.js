// A room on screen: header, pinned 议题, the message list (a window over the room's messages,
// so the page holds a bounded number however far one scrolls), and the composer.
import {
  Component,
  html,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from "../lib.js";
import { t, when } from "../i18n.js";
import {
  act,
  changed,
  discard,
  loadOlder,
  logOf,
  mayModerate,
  retry,
  setFollowing,
  state,
  typers,
} from "../store.js";
import { Avatar, Badges } from "./common.js";
import { Composer, startReply } from "./composer.js";
import { MessageMenu, PinsSheet, RoomMenu } from "./moderation.js";

/** Messages in the page at once, at most; the rest stay in memory or on the server. */
export const WINDOW = 120;
const STEP = 40;
const NEAR_EDGE_PX = 400;
const TIME_GAP_MS = 5 * 60 * 1000;

export function ChatView({ roomId }) {
  const room = state.rooms.get(roomId);
  const [menuFor, setMenuFor] = useState(null);
  const [sheet, setSheet] = useState(null);
  const [jumpTo, setJumpTo] = useState(null);
  if (!room) return html`<div class="pane-empty">${t("选一个群开始聊天")}</div>`;
  const log = logOf(roomId);
  const names = typers(roomId);
  const subtitle = names.length
    ? t("{name} 正在输入…", { name: names.slice(0, 2).join("、") })
    : room.kind === "direct"
      ? ""
      : t("{n}人在线", { n: room.online || 0 });
  return html`<section class="chat" aria-label=${room.name}>
    <header class="chat-head">
      <a class="back" href="#/" aria-label=${t("返回")}>‹</a>
      <div class="chat-title">
        <h1>${room.name}</h1>
        ${subtitle && html`<p class=${names.length ? "sub typing" : "sub"} aria-live="polite">${subtitle}</p>`}
      </div>
      <button class="icon" type="button" aria-label=${t("更多")} onClick=${() => setSheet("room")}>⋯</button>
    </header>
    <${StatusBar} />
    ${room.pins && room.pins.length > 0 && html`<${PinBanner} room=${room} onOpen=${() => setSheet("pins")} />`}
    <${JoinRequests} room=${room} />
    <${MessageList} room=${room} log=${log} onMenu=${setMenuFor} jumpTo=${jumpTo} onJumped=${() => setJumpTo(null)} />
    <${Composer} room=${room} />
    ${menuFor && html`<${MessageMenu} room=${room} msg=${menuFor} onClose=${() => setMenuFor(null)} />`}
    ${sheet === "room" && html`<${RoomMenu} room=${room} onClose=${() => setSheet(null)} onPins=${() => setSheet("pins")} />`}
    ${sheet === "pins" && html`<${PinsSheet} room=${room} onClose=${() => setSheet(null)}
        onJump=${(seq) => { setSheet(null); setJumpTo(seq); }} />`}
  </section>`;
}

export function StatusBar() {
  if (state.status === "live") return null;
  const text = state.status === "offline" ? t("网络已断开，正在重连…") : t("正在连接…");
  return html`<div class=${`status-bar ${state.status}`} role="status">${text}</div>`;
}

function PinBanner({ room, onOpen }) {
  const latest = room.pins[room.pins.length - 1];
  const log = state.logs.get(room.id);
  const msg = log && log.bySeq.get(latest.seq);
  const title = latest.title || (msg && msg.body) || `#${latest.seq}`;
  return html`<button class="pin-banner" type="button" onClick=${onOpen}>
    <span class="pin-tag">${t("议题")}</span>
    <span class="pin-text">${title}</span>
    ${room.pins.length > 1 && html`<span class="pin-count">${t("{n} 个议题", { n: room.pins.length })}</span>`}
  </button>`;
}

function JoinRequests({ room }) {
  const list = state.joinRequests.get(room.id) || [];
  if (!list.length || !mayModerate(room)) return null;
  const answer = async (req, accept) => {
    try {
      await act({ type: "join_answer", room: room.id, user: req.user.id, accept });
      state.joinRequests.set(room.id, list.filter((r) => r !== req));
      changed();
    } catch {
      // shown as a notice
    }
  };
  return html`<div class="requests">
    ${list.map((req) => html`<div class="request">
      <span>${t("{name} 申请加入本群", { name: req.user.display_name })}</span>
      <button type="button" class="small primary" onClick=${() => answer(req, true)}>${t("同意")}</button>
      <button type="button" class="small" onClick=${() => answer(req, false)}>${t("拒绝")}</button>
    </div>`)}
  </div>`;
}

/** The visible messages: at most WINDOW, ending at `endSeq` (null: the newest, following). */
function MessageList({ room, log, onMenu, jumpTo, onJumped }) {
  const scroller = useRef(null);
  const anchor = useRef(null);
  const [endSeq, setEndSeq] = useState(null);
  const [flash, setFlash] = useState(null);
  const msgs = log.msgs;
  const end = endSeq === null ? msgs.length : Math.min(msgs.length, log.lowerBound(endSeq + 1));
  const start = Math.max(0, end - WINDOW);
  const visible = msgs.slice(start, end);
  const newer = msgs.length - end;

  // Before the page changes, note where the first message on screen is, to keep it there.
  const el = scroller.current;
  if (el) {
    anchor.current = null;
    for (const node of el.querySelectorAll("[data-seq]")) {
      if (node.offsetTop + node.offsetHeight > el.scrollTop) {
        anchor.current = { seq: node.dataset.seq, delta: node.offsetTop - el.scrollTop };
        break;
      }
    }
  }

  useEffect(() => setEndSeq(null), [room.id]);

  useLayoutEffect(() => {
    const box = scroller.current;
    if (!box) return;
    if (endSeq === null && state.following) box.scrollTop = box.scrollHeight;
    else if (anchor.current) {
      const node = box.querySelector(`[data-seq="${anchor.current.seq}"]`);
      if (node) box.scrollTop = node.offsetTop - anchor.current.delta;
    }
    if (box.scrollHeight <= box.clientHeight + 10 && log.hasOlder && log.loaded) loadOlder(room.id);
  });

  useEffect(() => {
    if (jumpTo === null) return;
    let cancelled = false;
    (async () => {
      for (let pages = 0; pages < 20 && !log.bySeq.has(jumpTo) && log.hasOlder; pages++) {
        await loadOlder(room.id);
      }
      if (cancelled || !log.bySeq.has(jumpTo)) return onJumped();
      const i = log.lowerBound(jumpTo);
      const endAt = msgs[Math.min(msgs.length - 1, i + 10)];
      setFollowing(false);
      setEndSeq(endAt.seq);
      setFlash(jumpTo);
      requestAnimationFrame(() => {
        const node = scroller.current && scroller.current.querySelector(`[data-seq="${jumpTo}"]`);
        if (node) node.scrollIntoView({ block: "center" });
        onJumped();
      });
    })();
    return () => {
      cancelled = true;
    };
  }, [jumpTo]);

  // Only the reader leaves the newest messages: by scrolling up. Content that grows below (a
  // burst of new messages before the view has caught up) moves nothing and must not count.
  const lastTop = useRef(0);
  const onScroll = () => {
    const box = scroller.current;
    const fromBottom = box.scrollHeight - box.scrollTop - box.clientHeight;
    const movedUp = box.scrollTop < lastTop.current - 2;
    lastTop.current = box.scrollTop;
    if (fromBottom < 60) {
      // `msgs` grows in place between renders: compare with what this render showed (`end`).
      const newest = endSeq === null || end >= msgs.length;
      if (!newest) setEndSeq(msgs[Math.min(msgs.length - 1, end - 1 + STEP)].seq);
      else {
        setEndSeq(null);
        setFollowing(true);
      }
    } else if (movedUp && fromBottom > 200) {
      if (endSeq === null && msgs.length) setEndSeq(msgs[end - 1].seq);
      setFollowing(false);
    }
    if (movedUp && box.scrollTop < NEAR_EDGE_PX) {
      if (start > 0) setEndSeq(msgs[Math.max(WINDOW, end - STEP) - 1].seq);
      else if (log.hasOlder) loadOlder(room.id);
    }
  };

  const toLatest = () => {
    setEndSeq(null);
    setFollowing(true);
  };

  const pending = endSeq === null ? state.outbox.filter((e) => e.room === room.id && e.state !== "acked") : [];
  const meId = state.me && state.me.id;
  let previousTs = start > 0 ? msgs[start - 1].ts : null;
  return html`<div class="log-wrap">
    <div class="log" ref=${scroller} onScroll=${onScroll} role="log" aria-label=${t("消息列表")} tabindex="0">
      ${start === 0 && log.loadingOlder && html`<p class="log-note">${t("正在加载更早的消息…")}</p>`}
      ${start === 0 && !log.hasOlder && msgs.length > 0 && html`<p class="log-note">${t("没有更早的消息了")}</p>`}
      ${log.loaded && msgs.length === 0 && pending.length === 0 && html`<p class="log-note">${t("还没有消息，打个招呼吧")}</p>`}
      ${visible.map((m) => {
        const gap = !previousTs || new Date(m.ts) - new Date(previousTs) > TIME_GAP_MS;
        previousTs = m.ts;
        return html`<${MessageItem} key=${m.seq} m=${m} mine=${m.author && m.author.id === meId}
          meId=${meId} showTime=${gap} replied=${m.reply_to ? log.bySeq.get(m.reply_to) : null}
          flash=${flash === m.seq} onMenu=${onMenu} />`;
      })}
      ${pending.map((e) => html`<${PendingItem} key=${e.client_id} entry=${e} />`)}
    </div>
    ${(newer > 0 || endSeq !== null) && html`<button class="to-latest" type="button" onClick=${toLatest}>
      ${newer > 0 ? t("{n} 条新消息", { n: newer }) : t("回到最新")} ↓</button>`}
  </div>`;
}

/** One message. Re-rendered only when the message itself (or what it replies to) changed. */
class MessageItem extends Component {
  shouldComponentUpdate(next) {
    const p = this.props;
    return p.m !== next.m || p.replied !== next.replied || p.showTime !== next.showTime || p.flash !== next.flash;
  }

  render({ m, mine, meId, showTime, replied, flash, onMenu }) {
    const time = showTime && html`<div class="time-sep" aria-hidden="true">${when(m.ts)}</div>`;
    if (m.kind === "system") {
      return html`<div data-seq=${m.seq}>${time}
        <article class="msg system" aria-label=${t("系统消息")}><p class="system-text">${m.body || t("[已删除]")}</p></article>
      </div>`;
    }
    const author = m.author || { id: 0, display_name: "?" };
    const mentioned = !mine && m.mentions && m.mentions.includes(meId);
    const cls = ["msg", mine ? "mine" : "theirs", mentioned ? "mentioned" : "", flash ? "flash" : ""].join(" ");
    return html`<div data-seq=${m.seq}>${time}
      <article class=${cls} aria-label=${author.display_name}>
        ${!mine && html`<${Avatar} id=${author.id} name=${author.display_name} size=${38} />`}
        <div class="msg-main">
          ${!mine && html`<div class="msg-author"><span class="name">${author.display_name}</span><${Badges} badges=${author.badges} />${author.building && html`<span class="building">${author.building}</span>`}</div>`}
          <div class="bubble-row">
            <div class=${m.deleted ? "bubble deleted" : "bubble"} onClick=${() => !m.deleted && onMenu(m)}>
              ${m.reply_to && html`<div class="quote">${quote(replied, m.reply_to)}</div>`}
              ${m.deleted ? html`<p class="body">${t("此消息已被删除")}</p>` : html`<p class="body">${m.body}</p>`}
              <span class="meta"><time datetime=${m.ts}>${when(m.ts)}</time>${m.edited && !m.deleted && html` · ${t("已编辑")}`}</span>
            </div>
            ${!m.deleted && html`<button class="msg-more" type="button" aria-label=${t("消息操作")} onClick=${() => onMenu(m)}>⋯</button>`}
          </div>
        </div>
      </article>
    </div>`;
  }
}

function quote(replied, seq) {
  if (!replied) return `#${seq}`;
  const name = replied.author ? replied.author.display_name : t("系统消息");
  const text = replied.deleted ? t("此消息已被删除") : replied.body || "";
  return `${name}：${[...text].slice(0, 60).join("")}`;
}

function PendingItem({ entry }) {
  const failed = entry.state === "failed";
  return html`<div>
    <article class=${`msg mine pending ${failed ? "failed" : ""}`} aria-label=${state.me ? state.me.display_name : ""}>
      <div class="msg-main">
        <div class="bubble-row">
          <div class="bubble"><p class="body">${entry.body}</p>
            <span class="meta">${failed ? `${t("发送失败")}${entry.error && entry.error.message ? `：${entry.error.message}` : ""}` : html`<span class="clock" aria-hidden="true">◷</span> ${t("等待发送")}`}</span>
          </div>
        </div>
        ${failed && html`<div class="pending-actions">
          <button type="button" class="small" onClick=${() => retry(entry)}>${t("重试")}</button>
          <button type="button" class="small" onClick=${() => discard(entry)}>${t("删除草稿")}</button>
        </div>`}
      </div>
    </article>
  </div>`;
}

export { startReply };
