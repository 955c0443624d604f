// Small pieces every screen uses: avatars with initials, badges, sheets (dialogs).
import { html, useEffect, useRef } from "../lib.js";
import { t } from "../i18n.js";

const AVATAR_COLOURS = ["#2f7d5b", "#3a6ea5", "#8a5a2b", "#7b4fa0", "#a0463c", "#3c7f86", "#6a7a2a", "#8c4a6b"];

/** The first character a person would recognise: a Chinese name's first character, or a letter. */
export function initial(name) {
  const first = [...(name || "?").trim()][0] || "?";
  return first.toUpperCase();
}

export function Avatar({ id, name, size = 40 }) {
  const colour = AVATAR_COLOURS[Math.abs(Number(id) || 0) % AVATAR_COLOURS.length];
  return html`<span class="avatar" aria-hidden="true"
    style=${{ background: colour, width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.45)}px` }}
    >${initial(name)}</span>`;
}

const BADGE_NAMES = {
  party: "党员",
  cadre: "居委",
  moderator: "版主",
  property: "物业",
  police: "民警",
  owners_committee: "业委会",
};

export function Badges({ badges }) {
  if (!badges || !badges.length) return null;
  return badges
    .filter((b) => BADGE_NAMES[b])
    .map((b) => html`<span class=${`badge badge-${b}`}>${t(BADGE_NAMES[b])}</span>`);
}

export const ROLE_NAMES = {
  resident: "居民",
  cadre: "居委干部",
  moderator: "居民版主",
  owners_committee: "业委会",
  property: "物业",
  police: "社区民警",
  observer: "观察员",
};

/** A dialog: a bottom sheet on a phone, a centred card on a desktop; Escape closes it. */
export function Sheet({ title, onClose, children }) {
  const ref = useRef(null);
  useEffect(() => {
    const previous = document.activeElement;
    const first = ref.current && ref.current.querySelector("button, textarea, input, select, a[href]");
    if (first) first.focus();
    const onKey = (e) => e.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      if (previous && previous.focus) previous.focus();
    };
  }, []);
  return html`<div class="scrim" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <div class="sheet" role="dialog" aria-modal="true" aria-label=${title} ref=${ref}>
      <div class="sheet-title">${title}</div>
      ${children}
    </div>
  </div>`;
}

export function Empty({ text }) {
  return html`<p class="empty">${text}</p>`;
}
