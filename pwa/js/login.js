// Login: registers this device (a UUIDv7 kept in IndexedDB) with the user's account.

import { rawFetch } from "./api.js";
import { getMeta, setMeta } from "./store.js";
import { h, show } from "./ui.js";
import { uuidv7 } from "./uuid.js";

/** The device id, created at first start. */
export async function deviceId() {
  let id = await getMeta("device_id");
  if (!id) {
    id = uuidv7();
    await setMeta({ device_id: id, next_seq: 1 });
  }
  return id;
}

async function attempt(username, password) {
  const body = { username, password, device_id: await deviceId(), device_label: navigator.userAgent.slice(0, 200) };
  return rawFetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Render the login form; `onDone(user)` runs after a successful login. */
export function loginView(onDone, message) {
  const error = h("p", { class: "error", id: "login-error", role: "alert" }, message ?? "");
  const user = h("input", { id: "username", name: "username", autocomplete: "username", required: true, autocapitalize: "none" });
  const pass = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h(
    "form",
    { class: "card", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "username" }, "Gebruikersnaam"), user),
    h("div", { class: "field" }, h("label", { for: "password" }, "Wachtwoord"), pass),
    error,
    h("button", { type: "submit", class: "primary" }, "Inloggen"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    if (!user.value.trim() || !pass.value) {
      error.textContent = "Vul je gebruikersnaam en wachtwoord in.";
      return;
    }
    let resp;
    try {
      resp = await attempt(user.value.trim(), pass.value);
      if (resp.status === 409) {
        // This device id belongs to someone else: a shared phone gets a new id per user.
        await setMeta({ device_id: uuidv7(), next_seq: 1 });
        resp = await attempt(user.value.trim(), pass.value);
      }
    } catch {
      error.textContent = "Geen verbinding met de server. Inloggen kan alleen online.";
      return;
    }
    if (!resp.ok) {
      const p = await resp.json().catch(() => null);
      error.textContent = p?.detail ?? "Inloggen is niet gelukt.";
      return;
    }
    const body = await resp.json();
    await setMeta({ auth: { ...body, expires_at: Date.now() + body.expires_in * 1000 }, user: body.user, username: user.value.trim() });
    pass.value = "";
    onDone(body.user);
  });
  show(h("h1", {}, "Inloggen"), h("p", {}, "Log in met je Schouw-account. Daarna werkt de app ook zonder verbinding."), form);
}
