// 入驻审核: a cadre reviews join applications in the browser — masked ID and phone only —
// and approves or rejects with a reason the applicant will see.
import { html, useEffect, useState } from "../lib.js";
import { t, when } from "../i18n.js";
import { api } from "../api.js";
import { notify, state } from "../store.js";
import { Empty, Sheet } from "./common.js";

function RejectSheet({ person, onClose, onDone }) {
  const [reason, setReason] = useState("");
  const submit = async (e) => {
    e.preventDefault();
    try {
      await api(`/applications/${person.id}/reject`, { method: "POST", body: { reason: reason.trim() } });
      onDone();
    } catch (err) {
      notify(err.message || err.code, "error");
    }
  };
  return html`<${Sheet} title=${`${t("不通过")} · ${person.real_name}`} onClose=${onClose}>
    <form onSubmit=${submit}>
      <label class="field-label" for="reject-reason">${t("不通过的理由（申请人会看到）")}</label>
      <textarea id="reject-reason" rows="3" maxlength="1000" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)}></textarea>
      <div class="sheet-buttons">
        <button type="button" onClick=${onClose}>${t("取消")}</button>
        <button type="submit" class="danger" disabled=${!reason.trim()}>${t("不通过")}</button>
      </div>
    </form>
  </${Sheet}>`;
}

export function ReviewView() {
  const [people, setPeople] = useState(null);
  const [rejecting, setRejecting] = useState(null);
  const community = state.me && state.me.community;
  const load = () =>
    api(`/communities/${community}/applications?status=pending`).then(setPeople, (err) => {
      notify(err.message || t("加载失败，请稍后再试"), "error");
      setPeople([]);
    });
  useEffect(() => {
    load();
  }, [community]);
  const approve = async (person) => {
    try {
      await api(`/applications/${person.id}/approve`, { method: "POST" });
      notify(`${t("已通过")}：${person.real_name}`, "ok");
      load();
    } catch (err) {
      notify(err.message || err.code, "error");
    }
  };
  return html`<section class="screen" aria-label=${t("入驻审核")}>
    <header class="chat-head"><a class="back" href="#/" aria-label=${t("返回")}>‹</a><div class="chat-title"><h1>${t("待审核的入驻申请")}</h1></div></header>
    <div class="screen-body">
      ${people === null ? html`<p class="log-note">…</p>` : people.length === 0 ? html`<${Empty} text=${t("没有待审核的申请")} />` : html`
      <ul class="applications">
        ${people.map((p) => html`<li key=${p.id} class="application">
          <dl>
            <div><dt>${t("真实姓名")}</dt><dd>${p.real_name}</dd></div>
            <div><dt>${t("昵称")}</dt><dd>${p.display_name}</dd></div>
            <div><dt>${t("身份证")}</dt><dd class="mono">${p.id_masked}</dd></div>
            <div><dt>${t("手机")}</dt><dd class="mono">${p.phone_masked}</dd></div>
            <div><dt>${t("住址")}</dt><dd>${[p.neighbourhood && p.neighbourhood.name, p.building, p.unit, p.room_number].filter(Boolean).join(" ")}</dd></div>
            <div><dt>${t("申请时间")}</dt><dd>${when(p.applied_at)}</dd></div>
          </dl>
          <div class="application-actions">
            <button type="button" class="primary" onClick=${() => approve(p)} aria-label=${`${t("通过")} ${p.real_name}`}>${t("通过")}</button>
            <button type="button" onClick=${() => setRejecting(p)} aria-label=${`${t("不通过")} ${p.real_name}`}>${t("不通过")}</button>
          </div>
        </li>`)}
      </ul>`}
    </div>
    ${rejecting && html`<${RejectSheet} person=${rejecting} onClose=${() => setRejecting(null)}
        onDone=${() => { notify(`${t("未通过")}：${rejecting.real_name}`); setRejecting(null); load(); }} />`}
  </section>`;
}
