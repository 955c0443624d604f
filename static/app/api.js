// The HTTP API (/api/v1), authenticated by the session cookie; every unsafe call carries the
// CSRF token (the API checks it for session-authenticated requests).

let csrfToken = "";
let base = "/api/v1";

export function configureApi(boot) {
  csrfToken = boot.csrf_token;
  base = boot.urls.api;
}

export function csrf() {
  return csrfToken;
}

/** Call the API; resolves to the JSON body, rejects with its `error` ({code, message, …}). */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(base + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw { code: "unavailable", message: "" };
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw data.error || { code: "internal", message: String(response.status) };
  return data;
}

/** POST an HTML form's fields (Django's own views: logout, set_language). */
export function postForm(url, fields) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = url;
  for (const [name, value] of Object.entries({ ...fields, csrfmiddlewaretoken: csrfToken })) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}
