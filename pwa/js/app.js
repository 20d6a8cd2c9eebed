// Boot, hash router, status bar, service worker updates, logout and device wipe.

import { api } from "./api.js";
import { checklistView, inspectionView } from "./checklist.js";
import { formatBytes, handInState } from "./handin.js";
import { deleteDb } from "./idb.js";
import { loginView } from "./login.js";
import { newInspectionView } from "./onsite.js";
import { attentionView, statusView } from "./screens.js";
import { getMeta, outbox, photos, records, seenTasks } from "./store.js";
import { events, startSyncLoop, status, syncNow } from "./sync.js";
import { todayView } from "./today.js";
import { clock, h, show } from "./ui.js";
import { openTasks } from "./worklist.js";

const $ = (id) => document.getElementById(id);
let waitingWorker = null;

async function route() {
  const auth = await getMeta("auth");
  if (!auth) {
    document.body.dataset.auth = "out";
    return loginView(() => {
      document.body.dataset.auth = "in";
      startSyncLoop();
      requestPersistence();
      location.hash = "#/vandaag";
      route();
    });
  }
  document.body.dataset.auth = "in";
  const [, name, id] = location.hash.split("/");
  for (const a of document.querySelectorAll("nav a")) {
    a.toggleAttribute("aria-current", a.getAttribute("href") === `#/${name ?? "vandaag"}`);
    if (a.hasAttribute("aria-current")) a.setAttribute("aria-current", "page");
  }
  if (name === "controle" && id) await inspectionView(id);
  else if (name === "checklist" && id) await checklistView(id);
  else if (name === "aandacht") await attentionView(route);
  else if (name === "nieuw") await newInspectionView();
  else if (name === "status") await statusView(logout);
  else await todayView();
  await refreshBar();
}

let refreshTimer = null;

/** Re-render the current screen from IndexedDB after sync news, without disturbing input. */
function refreshView() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    if (document.body.dataset.auth !== "in" || document.body.dataset.busy) return;
    const el = document.activeElement;
    const typing = el?.tagName === "TEXTAREA" || (el?.tagName === "INPUT" && !["radio", "checkbox", "file"].includes(el.type));
    const draft = Array.from(document.querySelectorAll(".notes textarea")).some((t) => t.value.trim());
    if (typing || draft) return;
    const [, name, id] = location.hash.split("/");
    if (name === "checklist" && id) checklistView(id, { keepFocus: true });
    else if (!name || name === "vandaag") quietly(todayView);
    else if (name === "aandacht") quietly(() => attentionView(route));
  }, 300);
}

async function quietly(render) {
  const focused = document.activeElement?.id;
  show.quiet = true;
  try {
    await render();
  } finally {
    show.quiet = false;
  }
  if (focused) document.getElementById(focused)?.focus({ preventScroll: true });
}

async function refreshBar() {
  if (document.body.dataset.auth === "wiped") return;
  const st = handInState(await outbox(), await photos());
  const last = status.lastSync ?? (await getMeta("last_sync"));
  $("net").textContent = status.online ? "Online" : "Offline";
  $("net").dataset.online = String(status.online);
  $("unsent").textContent = `${st.unsent} niet verzonden`;
  $("photo-bytes").textContent = st.photosOpen ? `Foto's: nog ${formatBytes(st.photoBytes)}` : "Foto's verzonden";
  $("last-sync").textContent = last ? `Bijgewerkt ${clock(last)}` : "Nog niet bijgewerkt";
  // The one compact line: what matters at a glance; the details open on tap.
  $("status-summary").textContent = [status.online ? null : "Offline", st.unsent ? `${st.unsent} niet verzonden` : null, st.photosOpen ? `foto's: nog ${formatBytes(st.photoBytes)}` : null].filter(Boolean).join(" · ");
  const safe = $("safe");
  safe.dataset.safe = String(st.safe);
  safe.textContent = st.safe ? "Veilig om in te leveren" : "Werk staat nog op dit toestel";
  const [checklists, comments, conflicts, user, seen] = await Promise.all([records("checklist"), records("comment"), records("conflict"), getMeta("user"), seenTasks()]);
  const todo = st.attention + openTasks({ checklists, comments, conflicts, user, seen }).length;
  $("attention-count").textContent = todo ? ` (${todo})` : "";
  const evicted = $("evicted-work");
  evicted.hidden = st.evictedUnsent === 0;
  evicted.textContent = st.evictedUnsent
    ? `${st.evictedUnsent} ${st.evictedUnsent === 1 ? "wijziging of foto" : "wijzigingen en foto's"} van een zaak waar je geen toegang meer toe hebt ${st.evictedUnsent === 1 ? "staat" : "staan"} nog op dit toestel. Ze worden nog naar de server gestuurd; de zaak zelf is van dit toestel verwijderd.`
    : "";
  $("sync-now").disabled = status.syncing;
  $("sync-now").textContent = status.syncing ? "Bezig…" : "Nu synchroniseren";
  const upd = $("update");
  upd.hidden = !waitingWorker;
  $("update-go").disabled = st.unsent > 0 || st.photosOpen > 0;
  $("update-text").textContent = st.unsent || st.photosOpen ? "Nieuwe versie klaar. Bijwerken kan zodra al je werk is verzonden." : "Nieuwe versie klaar.";
}

async function logout() {
  if (document.body.dataset.auth !== "in") return;
  const st = handInState(await outbox(), await photos());
  if ((st.unsent || st.photosOpen) && !window.confirm(`Er staan nog ${st.unsent} wijzigingen en ${st.photosOpen} foto's op dit toestel die de server niet heeft. Uitloggen wist ze definitief. Toch uitloggen?`)) {
    return;
  }
  try {
    await api("/api/v1/auth/logout", { method: "POST" });
  } catch {
    // Offline or token expired: the local wipe below still ends the session on this device.
  }
  // The shell cache holds no user data and keeps the login screen available offline.
  await deleteDb();
  location.hash = "";
  location.reload();
}

async function wipe() {
  await deleteDb();
  for (const key of (await caches?.keys?.()) ?? []) await caches.delete(key);
}

async function revoked() {
  document.body.dataset.auth = "wiped";
  await wipe();
  for (const reg of (await navigator.serviceWorker?.getRegistrations?.()) ?? []) await reg.unregister();
  show(h("h1", {}, "Toestel ingetrokken"), h("p", { role: "alert" }, "Dit toestel is door de beheerder ingetrokken. Alle gegevens van Schouw zijn van dit toestel gewist. Neem contact op met je teamleider."));
}

async function requestPersistence() {
  try {
    if (navigator.storage?.persist && !(await navigator.storage.persisted())) await navigator.storage.persist();
  } catch {
    // Not granted: the status screen says so.
  }
}

function iosHint() {
  const ios = /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  $("ios-hint").hidden = !(ios && !standalone);
}

function watchWorker(reg) {
  const track = (w) => {
    w?.addEventListener("statechange", () => {
      if (w.state === "installed" && navigator.serviceWorker.controller) {
        waitingWorker = w;
        refreshBar();
      }
    });
  };
  if (reg.waiting && navigator.serviceWorker.controller) waitingWorker = reg.waiting;
  reg.addEventListener("updatefound", () => track(reg.installing));
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (waitingWorker && !reloading) {
      reloading = true;
      location.reload();
    }
  });
}

/** A header taller than a fifth of the screen (large text) stops being sticky. */
function watchHeader() {
  const header = document.querySelector("header.top");
  const check = () => {
    document.body.toggleAttribute("data-tall-header", header.offsetHeight > window.innerHeight * 0.2);
  };
  if ("ResizeObserver" in window) new ResizeObserver(check).observe(header);
  window.addEventListener("resize", check);
  check();
}

async function boot() {
  $("sync-now").addEventListener("click", () => syncNow("manual"));
  $("status-toggle").addEventListener("click", () => {
    const open = $("status-toggle").getAttribute("aria-expanded") !== "true";
    $("status-toggle").setAttribute("aria-expanded", String(open));
    $("status-details").hidden = !open;
  });
  watchHeader();
  $("update-go").addEventListener("click", () => waitingWorker?.postMessage({ type: "skip-waiting" }));
  events.addEventListener("changed", () => refreshBar());
  events.addEventListener("status", () => refreshBar());
  events.addEventListener("revoked", revoked);
  events.addEventListener("login-needed", () => {
    $("banner").textContent = "Je sessie is verlopen. Log opnieuw in om te synchroniseren; je werk blijft bewaard.";
    $("banner").hidden = false;
  });
  events.addEventListener("status", () => {
    // Only a round that reached the server can have changed what the screen shows; while
    // offline (retried every few seconds) the screen is left alone.
    if (!status.syncing && !status.error) refreshView();
  });
  events.addEventListener("changed", () => {
    // Upload progress bars; nothing to redraw after a round that could not reach the server.
    if (location.hash.startsWith("#/checklist/") && !status.error) refreshView();
  });
  window.addEventListener("hashchange", route);
  iosHint();
  if ("serviceWorker" in navigator) {
    // After the first screen is up: installing precaches the whole shell.
    const register = () => navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(watchWorker).catch(() => {});
    if (document.readyState === "complete") register();
    else window.addEventListener("load", register, { once: true });
  }
  status.lastSync = await getMeta("last_sync");
  status.online = navigator.onLine;
  await route();
  await refreshBar();
  document.body.dataset.ready = "true";
  if (await getMeta("auth")) {
    startSyncLoop();
    requestPersistence();
  }
}

boot();
