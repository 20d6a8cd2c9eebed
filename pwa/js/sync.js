// The sync loop: push the outbox, pull changes, upload photos. Runs on start, `online`,
// page visible, a timer with backoff, after edits (debounced) and on "Nu synchroniseren".
// One tab at a time (Web Locks); Background Sync only as an extra.

import { api, DeviceRevoked, HttpError, NetworkError } from "./api.js";
import { backoffDelay, classifyStatus, retryAfterMs } from "./backoff.js";
import { getMeta, patchPhoto, photos, putRecord, records, setMeta } from "./store.js";
import { applyPullPage, applyPushResults, pendingOps, purgeRetained, resendRetained } from "./syncstore.js";
import { fetchThumbnails } from "./thumbs.js";
import { uploadPending } from "./upload.js";

export const events = new EventTarget();
export const status = { online: navigator.onLine, syncing: false, lastSync: null, error: null, failures: 0 };

let timer = null;
let debounce = null;
let again = false;
let stopped = false;

function emit(type, detail) {
  events.dispatchEvent(new CustomEvent(type, { detail }));
}

async function checkEpoch(epoch) {
  if (epoch === undefined || epoch === null) return;
  const known = await getMeta("epoch");
  if (known !== null && known !== epoch) {
    // Restore on the server: re-send everything still held, re-pull from empty.
    await resendRetained();
    await setMeta({ epoch, cursor: null });
  } else if (known === null) {
    await setMeta({ epoch });
  }
}

async function push() {
  const deviceId = await getMeta("device_id");
  for (let round = 0; round < 50; round++) {
    const batch = await pendingOps(500);
    if (batch.length === 0) return;
    const resp = await api("/api/v1/sync/push", {
      method: "POST",
      body: { device_id: deviceId, schema_version: 1, ops: batch.map((o) => o.op) },
    });
    await checkEpoch(resp.epoch);
    await applyPushResults(resp.results ?? []);
    if (resp.missing_blobs?.length) {
      for (const p of await photos()) {
        if (resp.missing_blobs.includes(p.sha256) && p.state === "verified") {
          await patchPhoto(p.id, { state: "local", uploaded: 0 });
        }
      }
    }
    const answered = new Set((resp.results ?? []).map((r) => r.seq));
    if (!batch.some((o) => answered.has(o.seq))) return; // no progress: stop, retry later
  }
}

async function pull() {
  let cursor = await getMeta("cursor");
  for (let page = 0; page < 1000; page++) {
    const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    let resp;
    try {
      resp = await api(`/api/v1/sync/pull?limit=500${q}`);
    } catch (err) {
      if (err instanceof HttpError && err.status === 410 && cursor) {
        cursor = null; // the server cannot honour the cursor: re-pull from empty
        continue;
      }
      throw err;
    }
    await checkEpoch(resp.epoch);
    await applyPullPage(resp.changes ?? []);
    cursor = resp.cursor ?? cursor;
    await setMeta({ cursor, server_last_seq: resp.last_seq ?? null });
    if (!resp.has_more) break;
  }
  await fetchMissingTemplates();
}

/** "slug@version" of a checklist record, whatever shape the server sends. */
export function templateRef(cl) {
  if (typeof cl.template === "string") return cl.template;
  if (cl.template_slug) return `${cl.template_slug}@${cl.template_version}`;
  return null;
}

async function fetchMissingTemplates() {
  const have = new Set((await records("template")).map((t) => t.ref ?? `${t.slug}@${t.version}`));
  for (const cl of await records("checklist")) {
    const ref = templateRef(cl);
    if (!ref || have.has(ref)) continue;
    const [slug, version] = ref.split("@");
    const body = await api(`/api/v1/templates/${encodeURIComponent(slug)}/${encodeURIComponent(version)}`);
    const template = body.body ?? body.template ?? body;
    await putRecord("template", ref, { ...template, ref });
    have.add(ref);
  }
}

async function runOnce() {
  status.syncing = true;
  emit("status", status);
  try {
    await push();
    await pull();
    // A pull can put ops back in the outbox (new server epoch): send them in this round.
    if ((await pendingOps(1)).length) await push();
    const uploaded = await uploadPending(() => emit("changed"));
    if (uploaded > 0) {
      await pull();
      await push();
    }
    await fetchThumbnails();
    await purgeRetained();
    status.online = true;
    status.error = null;
    status.failures = 0;
    status.lastSync = Date.now();
    await setMeta({ last_sync: status.lastSync });
    const waiting = (await photos()).some((p) => p.state === "received" || p.state === "uploading");
    schedule(waiting ? 1500 : backoffDelay(0));
  } catch (err) {
    if (err instanceof DeviceRevoked) {
      stopped = true;
      clearTimeout(timer);
      emit("revoked");
      return;
    }
    status.failures += 1;
    let retryable = true;
    if (err instanceof NetworkError) status.online = false;
    else if (err instanceof HttpError) {
      status.online = true;
      retryable = classifyStatus(err.status) === "retry";
      if (err.status === 401) emit("login-needed");
    }
    status.error = err.message;
    const hinted = err instanceof HttpError ? retryAfterMs(err.headers?.get?.("Retry-After")) : null;
    schedule(hinted ?? (retryable ? backoffDelay(status.failures) : backoffDelay(status.failures + 3)));
  } finally {
    status.syncing = false;
    emit("status", status);
    emit("changed");
  }
}

function schedule(ms) {
  clearTimeout(timer);
  if (stopped) return;
  timer = setTimeout(() => syncNow("timer"), ms);
}

/** Run a sync now unless another tab or call is syncing (then run once more after it). */
export async function syncNow(reason = "manual") {
  if (stopped || !(await getMeta("auth"))) return;
  if (status.syncing) {
    again = true;
    return;
  }
  const body = async (lock) => {
    if (lock === null) return; // another tab holds the lock and is syncing
    do {
      again = false;
      status.trigger = reason; // shown on the Status screen
      await runOnce();
    } while (again);
  };
  if (navigator.locks?.request) {
    await navigator.locks.request("schouw-sync", { ifAvailable: true }, body);
  } else {
    await body(true);
  }
}

/** After a local edit: sync soon (debounced) and ask for Background Sync where it exists. */
export function syncSoon() {
  emit("changed");
  clearTimeout(debounce);
  debounce = setTimeout(() => syncNow("edit"), 1200);
  navigator.serviceWorker?.ready
    .then((reg) => reg.sync?.register("schouw-sync"))
    .catch(() => {});
}

/** Wire the triggers; call once after login. */
export function startSyncLoop() {
  window.addEventListener("online", () => syncNow("online"));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncNow("visible");
  });
  navigator.serviceWorker?.addEventListener("message", (e) => {
    if (e.data?.type === "sync") syncNow("background");
  });
  syncNow("start");
}
