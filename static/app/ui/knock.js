// 敲门: knocks at my door (open, decline, block), and finding a neighbour or someone of the
// committee to knock on, with a first message.
import { html, useEffect, useState } from "../lib.js";
import { t, when } from "../i18n.js";
import { api } from "../api.js";
import { act, changed, notify, state } from "../store.js";
import { Avatar, Badges, Empty, ROLE_NAMES, Sheet } from "./common.js";

function Incoming() {
  const answer = async (knock, accept) => {
    try {
      const ok = await act({ type: "knock_answer", knock: knock.id, accept });
      state.knocks = state.knocks.filter((k) => k.id !== knock.id);
      changed();
      if (accept && ok.room) location.hash = `#/room/${ok.room}`;
    } catch {
      // noticed
    }
  };
  const block = async (knock) => {
    try {
      await act({ type: "block", user: knock.from.id });
      if (state.knocks.some((k) => k.id === knock.id)) {
        await act({ type: "knock_answer", knock: knock.id, accept: false }).catch(() => {});
      }
      state.knocks = state.knocks.filter((k) => k.from.id !== knock.from.id);
      notify(t("已屏蔽"));
    } catch {
      // noticed
    }
  };
  if (!state.knocks.length) return null;
  const official = state.me && ["cadre", "property", "police", "owners_committee"].includes(state.me.role);
  return html`<section class="card-list" aria-label=${t("有人敲门")}>
    <h2>${t("有人敲门")}</h2>
    ${state.knocks.map((k) => html`<article class="knock" key=${k.id} aria-label=${k.from.display_name}>
      <${Avatar} id=${k.from.id} name=${k.from.display_name} size=${42} />
      <div class="knock-main">
        <div class="knock-who"><strong>${k.from.display_name}</strong> <span class="muted">${t(ROLE_NAMES[k.from.role] || "")} · ${when(k.ts)}</span></div>
        <p class="knock-body">${k.body}</p>
        <div class="knock-actions">
          <button type="button" class="small primary" onClick=${() => answer(k, true)}>${t("开门")}</button>
          ${!official && html`<button type="button" class="small" onClick=${() => answer(k, false)}>${t("婉拒")}</button>`}
          <button type="button" class="small danger-text" onClick=${() => block(k)}>${t("屏蔽")}</button>
        </div>
      </div>
    </article>`)}
  </section>`;
}

function KnockSheet({ person, onClose }) {
  const [body, setBody] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (!body.trim() || busy) return;
    setBusy(true);
    const clientId = crypto.randomUUID ? crypto.randomUUID() : `k-${Date.now()}`;
    try {
      const answer = await act({ type: "knock", user: person.id, body: body.trim(), client_id: clientId });
      notify(answer.type === "ack" ? "✓" : t("已敲门，等待对方开门"), "ok");
      if (answer.type === "ack") location.hash = `#/room/${answer.room}`;
      onClose();
    } catch {
      setBusy(false);
    }
  };
  return html`<${Sheet} title=${t("敲门 {name}", { name: person.display_name })} onClose=${onClose}>
    <form onSubmit=${submit}>
      <label class="field-label" for="knock-body">${t("敲门留言")}</label>
      <textarea id="knock-body" rows="3" value=${body} onInput=${(e) => setBody(e.currentTarget.value)}></textarea>
      <div class="sheet-buttons">
        <button type="button" onClick=${onClose}>${t("取消")}</button>
        <button type="submit" class="primary" disabled=${!body.trim() || busy}>${t("敲门")}</button>
      </div>
    </form>
  </${Sheet}>`;
}

function People({ people, onKnock }) {
  if (people === null) return null;
  if (!people.length) return html`<${Empty} text=${t("没有找到")} />`;
  return html`<ul class="people">
    ${people.map((p) => html`<li key=${p.id}>
      <${Avatar} id=${p.id} name=${p.display_name} size=${40} />
      <span class="person-main"><span class="person-name">${p.display_name}</span><${Badges} badges=${p.badges} />
        <span class="muted person-role">${t(ROLE_NAMES[p.role] || "")}</span></span>
      <button type="button" class="small primary" onClick=${() => onKnock(p)} aria-label=${t("敲门 {name}", { name: p.display_name })}>${t("敲门")}</button>
    </li>`)}
  </ul>`;
}

export function KnockView() {
  const [query, setQuery] = useState("");
  const [found, setFound] = useState(null);
  const [officials, setOfficials] = useState(null);
  const [target, setTarget] = useState(null);
  useEffect(() => {
    api("/people?officials=true").then(setOfficials, () => setOfficials([]));
  }, []);
  const search = async (e) => {
    e.preventDefault();
    if (!query.trim()) return;
    try {
      setFound(await api(`/people?q=${encodeURIComponent(query.trim())}`));
    } catch (err) {
      notify(err.message || t("加载失败，请稍后再试"), "error");
    }
  };
  return html`<section class="screen" aria-label=${t("敲门")}>
    <header class="chat-head"><a class="back" href="#/" aria-label=${t("返回")}>‹</a><div class="chat-title"><h1>${t("敲门")}</h1></div></header>
    <div class="screen-body">
      <${Incoming} />
      <section class="card-list">
        <h2>${t("找邻居")}</h2>
        <form class="search" role="search" onSubmit=${search}>
          <label class="visually-hidden" for="people-q">${t("按昵称搜索")}</label>
          <input id="people-q" type="search" placeholder=${t("按昵称搜索")} value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} />
          <button type="submit" class="primary">${t("搜索")}</button>
        </form>
        <${People} people=${found} onKnock=${setTarget} />
      </section>
      <section class="card-list">
        <h2>${t("找居委和工作人员")}</h2>
        <${People} people=${officials} onKnock=${setTarget} />
      </section>
    </div>
    ${target && html`<${KnockSheet} person=${target} onClose=${() => setTarget(null)} />`}
  </section>`;
}
