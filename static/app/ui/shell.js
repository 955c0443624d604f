// The app shell: the room list (a navigation landmark, one link per room) beside or instead of
// the open screen, the tab bar, routing by the URL's #fragment, and the title's unread count.
import { html, useEffect, useReducer } from "../lib.js";
import { shortWhen, t } from "../i18n.js";
import { openRoom, sortedRooms, state, subscribe, totalUnread } from "../store.js";
import { Avatar } from "./common.js";
import { ChatView, StatusBar } from "./chat.js";
import { AuditView } from "./moderation.js";
import { KnockView } from "./knock.js";
import { TopicsView } from "./topics.js";
import { ReviewView } from "./review.js";
import { MeView } from "./me.js";

/** `#/room/7` → {name: "room", id: 7}; `#/knock`, `#/topics`, `#/review`, `#/me`; else the list. */
export function route(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  if (parts[0] === "room" && /^\d+$/.test(parts[1] || "")) {
    return { name: parts[2] === "audit" ? "audit" : "room", id: Number(parts[1]) };
  }
  if (["knock", "topics", "review", "me"].includes(parts[0])) return { name: parts[0] };
  return { name: "rooms" };
}

const KIND_LABELS = {
  topic: "专题公共群",
  direct: "私聊",
  coordination: "五位一体",
  work: "工作群",
};

function preview(room) {
  const log = state.logs.get(room.id);
  const last = log && log.msgs[log.msgs.length - 1];
  if (!last) return { text: room.description || "", ts: "" };
  const body = last.deleted ? t("此消息已被删除") : last.body || "";
  const who = last.kind === "system" || !last.author || room.kind === "direct" ? "" : `${last.author.display_name}：`;
  return { text: who + [...body].slice(0, 40).join(""), ts: last.ts };
}

function RoomList({ current }) {
  const rooms = sortedRooms();
  return html`<nav class="rooms" aria-label=${t("群聊")}>
    <ul>
      ${rooms.map((room) => {
        const p = preview(room);
        const descId = `room-${room.id}-desc`;
        const unread = room.unread || 0;
        return html`<li key=${room.id}>
          <a href=${`#/room/${room.id}`} class=${current === room.id ? "room current" : "room"}
            aria-label=${room.name} aria-describedby=${descId} aria-current=${current === room.id ? "page" : undefined}>
            <${Avatar} id=${room.id} name=${room.name} size=${46} />
            <span class="room-main">
              <span class="room-top">
                <span class="room-name">${room.name}</span>
                <span class="room-when">${shortWhen(p.ts)}</span>
              </span>
              <span class="room-bottom" id=${descId}>
                <span class="room-preview">
                  ${room.mentioned && html`<span class="at-me">[有人@我] </span>`}
                  ${KIND_LABELS[room.kind] && html`<span class="kind-tag">${t(KIND_LABELS[room.kind])}</span>`}
                  ${p.text}
                </span>
                ${room.kind !== "direct" && room.online > 0 && html`<span class="room-online">${t("{n}人在线", { n: room.online })}</span>`}
                ${unread > 0 && html`<span class="unread" aria-label=${t("{n} 条未读", { n: unread })}>${unread > 99 ? "99+" : unread}</span>`}
              </span>
            </span>
          </a>
        </li>`;
      })}
    </ul>
  </nav>`;
}

function Tabs({ at }) {
  const knocks = state.knocks.length;
  const isCadre = state.me && state.me.role === "cadre";
  const tab = (name, href, label, badge) => html`<a href=${href} class=${at === name ? "tab current" : "tab"}
      aria-current=${at === name ? "page" : undefined}>${label}${badge ? html`<span class="dot" aria-label=${`(${badge})`}>${badge}</span>` : ""}</a>`;
  return html`<div class="tabs">
    ${tab("rooms", "#/", t("群聊"), totalUnread())}
    ${tab("knock", "#/knock", t("敲门"), knocks)}
    ${tab("topics", "#/topics", t("专题群"))}
    ${isCadre && tab("review", "#/review", t("审核"))}
    ${tab("me", "#/me", t("我"))}
  </div>`;
}

function Sidebar({ at }) {
  const title = (state.me && state.me.community_name) || t("邻里");
  const statusText = state.status === "live" ? t("已连接") : state.status === "offline" ? t("网络已断开，正在重连…") : t("正在连接…");
  return html`<aside class="sidebar">
    <header class="side-head">
      <h1>${title}</h1>
      <span class=${`conn ${state.status}`} role="status" title=${statusText}><span class="conn-dot" aria-hidden="true"></span><span class="conn-text">${statusText}</span></span>
    </header>
    <${RoomList} current=${at.name === "room" || at.name === "audit" ? at.id : null} />
    <${Tabs} at=${at.name} />
  </aside>`;
}

function Main({ at }) {
  switch (at.name) {
    case "room":
      return html`<${ChatView} roomId=${at.id} />`;
    case "audit":
      return html`<${AuditView} roomId=${at.id} />`;
    case "knock":
      return html`<${KnockView} />`;
    case "topics":
      return html`<${TopicsView} />`;
    case "review":
      return html`<${ReviewView} />`;
    case "me":
      return html`<${MeView} />`;
    default:
      return html`<div class="pane-empty"><${StatusBar} /><p>${t("选一个群开始聊天")}</p></div>`;
  }
}

export function App() {
  const [, rerender] = useReducer((n) => n + 1, 0);
  useEffect(() => subscribe(rerender), []);
  useEffect(() => {
    const onHash = () => rerender();
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const at = route(location.hash);
  const roomOnScreen = at.name === "room" ? at.id : null;
  if (state.openRoom !== roomOnScreen) {
    if (roomOnScreen !== null && state.rooms.has(roomOnScreen)) openRoom(roomOnScreen);
    else if (roomOnScreen === null) state.openRoom = null;
  }
  useEffect(() => {
    const n = totalUnread();
    document.title = n > 0 ? `(${n > 99 ? "99+" : n}) ${t("邻里")}` : t("邻里");
  });
  if (state.removed) {
    return html`<div class="boot" role="alert"><p>${t("你已退出登录。")} <a href="/">${t("重新登录")}</a></p></div>`;
  }
  if (!state.me) {
    return html`<div class="boot" role="status">${state.status === "offline" ? t("网络已断开，正在重连…") : t("正在连接…")}</div>`;
  }
  return html`<div class=${`shell ${at.name === "rooms" ? "at-list" : "at-main"}`}>
    <${Sidebar} at=${at} />
    <main class="pane">${html`<${Main} at=${at} />`}</main>
    ${state.notice && html`<div class=${`notice ${state.notice.kind}`} role="status">${state.notice.text}</div>`}
  </div>`;
}
