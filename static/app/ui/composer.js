// The composer: a textarea labelled 消息, Enter to send (not while an input method is composing),
// replies, edits, @mentions with a member picker, and the muted state with its end.
import { html, useEffect, useRef, useState } from "../lib.js";
import { t, when } from "../i18n.js";
import { api } from "../api.js";
import { act, changed, sendMessage, state, typing } from "../store.js";
import { Avatar } from "./common.js";

const drafts = new Map(); // room → text not sent yet
const modes = new Map(); // room → {reply: msg} | {edit: msg}
const members = new Map(); // room → [{id, display_name, …}] for the @ picker

export function startReply(roomId, msg) {
  modes.set(roomId, { reply: msg });
  changed();
  focusComposer();
}

export function startEdit(roomId, msg) {
  modes.set(roomId, { edit: msg });
  drafts.set(roomId, msg.body || "");
  changed();
  focusComposer();
}

function focusComposer() {
  requestAnimationFrame(() => {
    const box = document.getElementById("composer-text");
    if (box) box.focus();
  });
}

async function loadMembers(roomId) {
  if (members.has(roomId)) return members.get(roomId);
  let list = [];
  try {
    list = await api(`/rooms/${roomId}/members`);
  } catch {
    // Without the list, the people seen in the room's messages.
    const seen = new Map();
    for (const m of state.logs.get(roomId)?.msgs || []) if (m.author) seen.set(m.author.id, m.author);
    list = [...seen.values()];
  }
  members.set(roomId, list);
  return list;
}

export function Composer({ room }) {
  const roomId = room.id;
  const [text, setText] = useState(drafts.get(roomId) || "");
  const [picker, setPicker] = useState(null); // {query, people, index}
  const chosen = useRef(new Map()); // display name → id, mentions picked for this draft
  const box = useRef(null);
  const mode = modes.get(roomId) || {};

  useEffect(() => {
    setText(drafts.get(roomId) || "");
    setPicker(null);
    chosen.current = new Map();
  }, [roomId, mode.edit]);

  const update = async (value) => {
    setText(value);
    drafts.set(roomId, value);
    if (value) typing(roomId);
    const caret = box.current ? box.current.selectionStart : value.length;
    const match = /@([^\s@]{0,20})$/.exec(value.slice(0, caret));
    if (!match) return setPicker(null);
    const people = (await loadMembers(roomId)).filter(
      (p) => p.id !== state.me.id && p.display_name.includes(match[1]),
    );
    setPicker(people.length ? { query: match[1], people: people.slice(0, 8), index: 0 } : null);
  };

  const pick = (person) => {
    const caret = box.current.selectionStart;
    const before = text.slice(0, caret).replace(/@([^\s@]{0,20})$/, `@${person.display_name} `);
    const value = before + text.slice(caret);
    chosen.current.set(person.display_name, person.id);
    setPicker(null);
    setText(value);
    drafts.set(roomId, value);
    requestAnimationFrame(() => {
      box.current.focus();
      box.current.setSelectionRange(before.length, before.length);
    });
  };

  const submit = async () => {
    const body = text.trim();
    if (!body) return;
    if (mode.edit) {
      try {
        await act({ type: "edit", room: roomId, seq: mode.edit.seq, body });
      } catch {
        return;
      }
    } else {
      const mentions = [...chosen.current].filter(([name]) => body.includes(`@${name}`)).map(([, id]) => id);
      sendMessage(roomId, body, { replyTo: mode.reply ? mode.reply.seq : null, mentions });
    }
    modes.delete(roomId);
    chosen.current = new Map();
    drafts.delete(roomId);
    setText("");
  };

  const onKeyDown = (e) => {
    if (picker) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const n = picker.people.length;
        setPicker({ ...picker, index: (picker.index + (e.key === "ArrowDown" ? 1 : n - 1)) % n });
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        pick(picker.people[picker.index]);
        return;
      }
      if (e.key === "Escape") return setPicker(null);
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  };

  if (room.muted) {
    const text = room.mutedUntil
      ? t("你已被禁言，{until} 解除", { until: when(room.mutedUntil) })
      : t("你已被禁言，直至群主解除");
    return html`<div class="composer muted-composer">
      <label class="visually-hidden" for="composer-text">${t("消息")}</label>
      <textarea id="composer-text" rows="1" disabled placeholder=${text}></textarea>
      <p class="muted-note" role="status">${text}</p>
    </div>`;
  }

  const cancel = () => {
    modes.delete(roomId);
    if (mode.edit) drafts.delete(roomId);
    changed();
  };
  return html`<form class="composer" onSubmit=${(e) => { e.preventDefault(); submit(); }}>
    ${mode.reply && html`<div class="composer-mode">
      <span>${t("回复 {name}：", { name: mode.reply.author ? mode.reply.author.display_name : "" })}${[...(mode.reply.body || "")].slice(0, 40).join("")}</span>
      <button type="button" class="icon small" aria-label=${t("取消回复")} onClick=${cancel}>×</button></div>`}
    ${mode.edit && html`<div class="composer-mode"><span>${t("正在编辑消息")}</span>
      <button type="button" class="icon small" aria-label=${t("取消编辑")} onClick=${cancel}>×</button></div>`}
    ${picker && html`<ul class="picker" role="listbox" aria-label=${t("@ 提到的人")}>
      ${picker.people.map((p, i) => html`<li role="option" aria-selected=${i === picker.index}
        class=${i === picker.index ? "active" : ""} onMouseDown=${(e) => { e.preventDefault(); pick(p); }}>
        <${Avatar} id=${p.id} name=${p.display_name} size=${28} /><span>${p.display_name}</span></li>`)}
    </ul>`}
    <div class="composer-row">
      <label class="visually-hidden" for="composer-text">${t("消息")}</label>
      <textarea id="composer-text" ref=${box} rows="1" value=${text} maxlength="8000"
        onInput=${(e) => update(e.currentTarget.value)} onKeyDown=${onKeyDown}></textarea>
      <button class="send" type="submit" disabled=${!text.trim()}>${t("发送")}</button>
    </div>
  </form>`;
}
