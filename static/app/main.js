// The Linli web client: read the boot data the page carries, open the socket, render.
import { html, render } from "./lib.js";
import { setLanguage } from "./i18n.js";
import { configureApi } from "./api.js";
import { start } from "./store.js";
import { App } from "./ui/shell.js";

const boot = JSON.parse(document.getElementById("linli-boot").textContent);
window.linliBoot = boot;
setLanguage(boot.language);
configureApi(boot);
start(boot.urls.socket);
render(html`<${App} />`, document.getElementById("app"));
