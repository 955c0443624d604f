// 我: who I am in the rooms, the language (the person's setting), and logging out.
import { html } from "../lib.js";
import { language, t } from "../i18n.js";
import { postForm } from "../api.js";
import { state } from "../store.js";
import { Avatar, Badges, ROLE_NAMES } from "./common.js";

export function MeView({ boot }) {
  const me = state.me;
  const urls = window.linliBoot.urls;
  const choose = (code) => postForm(urls.set_language, { language: code, next: `/${location.hash}` });
  return html`<section class="screen" aria-label=${t("我")}>
    <header class="chat-head"><a class="back" href="#/" aria-label=${t("返回")}>‹</a><div class="chat-title"><h1>${t("我")}</h1></div></header>
    <div class="screen-body">
      <div class="me-card">
        <${Avatar} id=${me.id} name=${me.display_name} size=${64} />
        <div>
          <div class="me-name">${me.display_name} <${Badges} badges=${me.badges} /></div>
          <div class="muted">${me.community_name || ""} · ${t(ROLE_NAMES[me.role] || me.role)}</div>
        </div>
      </div>
      <div class="settings">
        <div class="setting">
          <span id="lang-label">${t("语言")}</span>
          <div class="segmented" role="group" aria-labelledby="lang-label">
            <button type="button" aria-pressed=${language() !== "en"} onClick=${() => choose("zh-hans")}>中文</button>
            <button type="button" aria-pressed=${language() === "en"} onClick=${() => choose("en")}>English</button>
          </div>
        </div>
        <button type="button" class="danger wide" onClick=${() => postForm(urls.logout, {})}>${t("退出登录")}</button>
      </div>
    </div>
  </section>`;
}
