// 群主 tools in place: a message's menu (reply, edit and delete one's own; pin, mute, delete,
// remove for the room's owners and moderators), the room's menu, its pins, and its audit log.
// Buttons a person may not use are hidden; the server decides either way.
import { html, useEffect, useState } from "../lib.js";
import { t, when } from "../i18n.js";
import { api } from "../api.js";
import { act, mayModerate, notify, state } from "../store.js";
import { Empty, Sheet } from "./common.js";
import { startEdit, startReply } from "./composer.js";

const EDIT_WINDOW_MS = 15 * 60 * 1000;
export const MUTE_CHOICES = [
  [10, "10 分钟"],
  [60, "1 小时"],
  [1440, "1 天"],
  [10080, "7 天"],
  [43200, "30 天"],
  [0, "直至解除"],
];

export function MessageMenu({ room, msg, onClose }) {
  const [step, setStep] = useState("menu");
  const [title, setTitle] = useState("");
  const me = state.me;
  const mine = msg.author && msg.author.id === me.id;
  const moderator = mayModerate(room);
  const pinned = (room.pins || []).some((p) => p.seq === msg.seq);
  const author = msg.author;
  const targetMuted = author && (state.mutes.get(room.id) || new Map()).has(author.id);
  const run = async (frame, done = onClose) => {
    try {
      await act(frame);
      done();
    } catch {
      // the notice says why
    }
  };
  if (step === "delete") {
    return html`<${Sheet} title=${t("确定删除这条消息？")} onClose=${onClose}>
      <p class="sheet-text">${[...(msg.body || "")].slice(0, 80).join("")}</p>
      <div class="sheet-buttons">
        <button type="button" onClick=${onClose}>${t("取消")}</button>
        <button type="button" class="danger" onClick=${() => run({ type: "delete", room: room.id, seq: msg.seq })}>${t("删除")}</button>
      </div>
    </${Sheet}>`;
  }
  if (step === "pin") {
    return html`<${Sheet} title=${t("置顶为议题")} onClose=${onClose}>
      <form onSubmit=${(e) => { e.preventDefault(); run({ type: "pin", room: room.id, seq: msg.seq, title: title.trim() || undefined }); }}>
        <label class="field-label" for="pin-title">${t("置顶标题（可不填）")}</label>
        <input id="pin-title" maxlength="100" value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} />
        <div class="sheet-buttons">
          <button type="button" onClick=${onClose}>${t("取消")}</button>
          <button type="submit" class="primary">${t("确定")}</button>
        </div>
      </form>
    </${Sheet}>`;
  }
  if (step === "mute") {
    return html`<${Sheet} title=${t("禁言 {name}", { name: author.display_name })} onClose=${onClose}>
      <div class="choices">
        ${MUTE_CHOICES.map(([minutes, label]) => html`<button type="button"
          onClick=${() => run({ type: "mute", room: room.id, user: author.id, minutes })}>${t(label)}</button>`)}
      </div>
      <div class="sheet-buttons"><button type="button" onClick=${onClose}>${t("取消")}</button></div>
    </${Sheet}>`;
  }
  if (step === "remove") {
    return html`<${Sheet} title=${t("确定把 {name} 移出本群？", { name: author.display_name })} onClose=${onClose}>
      <div class="sheet-buttons">
        <button type="button" onClick=${onClose}>${t("取消")}</button>
        <button type="button" class="danger" onClick=${() => run({ type: "remove", room: room.id, user: author.id })}>${t("移出群聊")}</button>
      </div>
    </${Sheet}>`;
  }
  const items = [];
  if (msg.kind !== "system") items.push(["回复", () => { startReply(room.id, msg); onClose(); }]);
  if (mine && Date.now() - new Date(msg.ts).getTime() < EDIT_WINDOW_MS) {
    items.push(["编辑", () => { startEdit(room.id, msg); onClose(); }]);
  }
  if (mine || moderator) items.push(["删除", () => setStep("delete"), "danger"]);
  if (moderator) {
    if (pinned) items.push(["取消置顶", () => run({ type: "unpin", room: room.id, seq: msg.seq })]);
    else items.push(["置顶为议题", () => setStep("pin")]);
    if (author && !mine && author.role !== "cadre") {
      if (targetMuted) items.push(["解除禁言", () => run({ type: "unmute", room: room.id, user: author.id })]);
      else items.push(["禁言", () => setStep("mute")]);
      if (room.kind === "topic") items.push(["移出群聊", () => setStep("remove"), "danger"]);
    }
  }
  return html`<${Sheet} title=${t("消息操作")} onClose=${onClose}>
    <div class="menu" role="menu">
      ${items.map(([label, fn, cls]) => html`<button type="button" role="menuitem" class=${cls || ""} onClick=${fn}>${t(label)}</button>`)}
    </div>
    <div class="sheet-buttons"><button type="button" onClick=${onClose}>${t("取消")}</button></div>
  </${Sheet}>`;
}

export function RoomMenu({ room, onClose, onPins }) {
  const leave = async () => {
    try {
      await act({ type: "leave", room: room.id });
      onClose();
      location.hash = "#/";
    } catch {
      // noticed
    }
  };
  return html`<${Sheet} title=${room.name} onClose=${onClose}>
    <div class="menu" role="menu">
      <button type="button" role="menuitem" onClick=${onPins}>${t("群公告与议题")}</button>
      ${mayModerate(room) && html`<a role="menuitem" class="menu-link" href=${`#/room/${room.id}/audit`} onClick=${onClose}>${t("管理日志")}</a>`}
      ${room.kind === "topic" && room.rank !== "owner" && html`<button type="button" role="menuitem" class="danger" onClick=${leave}>${t("退出群聊")}</button>`}
    </div>
    <div class="sheet-buttons"><button type="button" onClick=${onClose}>${t("取消")}</button></div>
  </${Sheet}>`;
}

export function PinsSheet({ room, onClose, onJump }) {
  const log = state.logs.get(room.id);
  const pins = [...(room.pins || [])].reverse();
  return html`<${Sheet} title=${t("群公告与议题")} onClose=${onClose}>
    ${pins.length === 0 && html`<${Empty} text=${t("暂无记录")} />`}
    <ul class="pins">
      ${pins.map((pin) => {
        const msg = log && log.bySeq.get(pin.seq);
        return html`<li>
          <button type="button" class="pin-item" onClick=${() => onJump(pin.seq)}>
            <strong>${pin.title || (msg && msg.body) || `#${pin.seq}`}</strong>
            ${pin.title && msg && msg.body && html`<span class="pin-body">${[...msg.body].slice(0, 80).join("")}</span>`}
            <span class="pin-when">${when(pin.ts)}</span>
          </button>
          ${mayModerate(room) && html`<button type="button" class="small" onClick=${() => act({ type: "unpin", room: room.id, seq: pin.seq }).catch(() => {})}>${t("取消置顶")}</button>`}
        </li>`;
      })}
    </ul>
    <div class="sheet-buttons"><button type="button" onClick=${onClose}>${t("取消")}</button></div>
  </${Sheet}>`;
}

const ACTION_NAMES = {
  pin: "置顶为议题",
  unpin: "取消置顶",
  mute: "禁言",
  unmute: "解除禁言",
  delete: "删除",
  remove: "移出群聊",
};

export function AuditView({ roomId }) {
  const room = state.rooms.get(roomId);
  const [entries, setEntries] = useState(null);
  useEffect(() => {
    api(`/rooms/${roomId}/audit`).then(setEntries, (err) => {
      notify(err.message || t("加载失败，请稍后再试"), "error");
      setEntries([]);
    });
  }, [roomId]);
  return html`<section class="screen" aria-label=${t("管理日志")}>
    <header class="chat-head">
      <a class="back always" href=${`#/room/${roomId}`} aria-label=${t("返回")}>‹</a>
      <div class="chat-title"><h1>${t("管理日志")}</h1>${room && html`<p class="sub">${room.name}</p>`}</div>
    </header>
    <div class="screen-body">
      ${entries === null ? html`<p class="log-note">…</p>` : entries.length === 0 ? html`<${Empty} text=${t("暂无记录")} />` : html`
      <ol class="audit">
        ${entries.map((e) => {
          const actor = e.actor || e.by || {};
          const reason = e.reason || (e.detail && typeof e.detail === "object" ? Object.values(e.detail).join(" ") : e.detail);
          return html`<li>
            <span class="audit-when">${when(e.ts || e.at)}</span>
            <span class="audit-what"><strong>${actor.display_name || ""}</strong> ${t(ACTION_NAMES[e.action] || e.action)} ${auditTarget(e)}</span>
            ${reason && html`<span class="audit-reason">${String(reason)}</span>`}
          </li>`;
        })}
      </ol>`}
    </div>
  </section>`;
}

/** What an entry acted on: a person (by name when this client knows it) or a message. */
function auditTarget(e) {
  const target = e.target && typeof e.target === "object" ? e.target : {};
  if (target.display_name) return target.display_name;
  const seq = target.seq ?? e.seq;
  const user = target.id ?? target.user ?? e.user;
  if (seq) return `#${seq}`;
  if (user) return `#${user}`;
  return typeof e.target === "string" ? e.target : "";
}
