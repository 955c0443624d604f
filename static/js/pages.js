// The server-rendered pages' few behaviours, kept out of the HTML: the Content-Security-Policy
// allows no inline script.
"use strict";

document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches && field.matches("[data-submit-on-change]") && field.form) field.form.submit();
});

// The join form: the ID number's check digit (GB 11643-1999) and the mobile number are checked
// as they are typed, with the server's wording carried in the form's data-* attributes. The
// server checks again; this only saves a round trip.
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS = "10X98765432";

function normalise(text) {
  return (text || "").normalize("NFKC").replace(/\s+/g, "").toUpperCase();
}

function idNumberProblem(raw, messages) {
  const id = normalise(raw);
  if (id.length !== 18) return messages.idLength;
  if (!/^[0-9]{17}[0-9X]$/.test(id)) return messages.idShape;
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  const born = new Date(year, month - 1, day);
  const valid = born.getFullYear() === year && born.getMonth() === month - 1 && born.getDate() === day;
  if (!valid || year < 1900 || born > new Date()) return messages.idBirth;
  let total = 0;
  for (let i = 0; i < 17; i++) total += Number(id[i]) * ID_WEIGHTS[i];
  if (ID_CHECK_CHARS[total % 11] !== id[17]) return messages.idCheck;
  return "";
}

function phoneProblem(raw, messages) {
  let phone = (raw || "").normalize("NFKC").replace(/[\s\-()]/g, "");
  for (const prefix of ["+86", "0086", "86"]) {
    if (phone.startsWith(prefix) && phone.length === prefix.length + 11) phone = phone.slice(prefix.length);
  }
  return /^1[3-9][0-9]{9}$/.test(phone) ? "" : messages.phone;
}

function checkField(field, problem) {
  let note = field.parentElement.querySelector(`[data-note-for="${field.id}"]`);
  if (!note) {
    note = document.createElement("span");
    note.className = "inline-error";
    note.dataset.noteFor = field.id;
    note.setAttribute("aria-live", "polite");
    note.id = `${field.id}-note`;
    field.setAttribute("aria-describedby", note.id);
    field.after(note);
  }
  note.textContent = problem;
  field.setAttribute("aria-invalid", problem ? "true" : "false");
  field.setCustomValidity(problem);
}

const joinForm = document.querySelector("form[data-join-form]");
if (joinForm) {
  const messages = joinForm.dataset;
  const checks = { id_id_number: idNumberProblem, id_phone: phoneProblem };
  for (const [id, problemOf] of Object.entries(checks)) {
    const field = document.getElementById(id);
    if (!field) continue;
    const run = () => field.value && checkField(field, problemOf(field.value, messages));
    field.addEventListener("blur", run);
    field.addEventListener("input", () => field.getAttribute("aria-invalid") === "true" && run());
  }
}

// The pending page turns into the chat once a cadre approves: ask every 10 s.
const pending = document.querySelector("[data-poll-application]");
if (pending) {
  setInterval(async () => {
    try {
      const response = await fetch(pending.dataset.pollApplication, { credentials: "same-origin" });
      const { status } = await response.json();
      if (status && status !== "pending") location.reload();
    } catch {
      // offline for now: ask again later
    }
  }, 10000);
}
