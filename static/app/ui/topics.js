// 专题公共群: browse the community's topic rooms; join an open one or apply to one that needs
// its owner's approval.
import { html, useEffect, useState } from "../lib.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import { act, notify, state } from "../store.js";
import { Avatar, Empty } from "./common.js";

export function TopicsView() {
  const [topics, setTopics] = useState(null);
  const [applied, setApplied] = useState(new Set());
  const load = () =>
    api("/topics").then(setTopics, (err) => {
      notify(err.message || t("加载失败，请稍后再试"), "error");
      setTopics([]);
    });
  useEffect(() => {
    load();
  }, [state.rooms.size]);
  const join = async (topic) => {
    try {
      const ok = await act({ type: "join", room: topic.id });
      if (ok.outcome === "applied") {
        setApplied(new Set([...applied, topic.id]));
        notify(t("已申请，等待群主审核"));
      } else location.hash = `#/room/${topic.id}`;
    } catch {
      // noticed
    }
  };
  return html`<section class="screen" aria-label=${t("专题群")}>
    <header class="chat-head"><a class="back" href="#/" aria-label=${t("返回")}>‹</a><div class="chat-title"><h1>${t("专题群")}</h1></div></header>
    <div class="screen-body">
      ${topics === null ? html`<p class="log-note">…</p>` : topics.length === 0 ? html`<${Empty} text=${t("暂无记录")} />` : html`
      <ul class="topics">
        ${topics.map((topic) => {
          const joined = topic.joined || state.rooms.has(topic.id);
          return html`<li key=${topic.id} class="topic">
            <${Avatar} id=${topic.id} name=${topic.name} size=${44} />
            <div class="topic-main">
              <div class="topic-name"><strong>${topic.name}</strong>${topic.category && html`<span class="kind-tag">${topic.category}</span>`}</div>
              ${topic.description && html`<p class="topic-desc">${topic.description}</p>`}
            </div>
            ${joined ? html`<a class="button small" href=${`#/room/${topic.id}`}>${t("进入")}</a>`
              : applied.has(topic.id) ? html`<span class="muted small-text">${t("已申请，等待群主审核")}</span>`
              : html`<button type="button" class="small primary" onClick=${() => join(topic)}
                  aria-label=${`${topic.join_policy === "approval" ? t("申请加入") : t("加入")} ${topic.name}`}>
                  ${topic.join_policy === "approval" ? t("申请加入") : t("加入")}</button>`}
          </li>`;
        })}
      </ul>`}
    </div>
  </section>`;
}
