// The sync loop: push the outbox, pull changes, upload photos. Runs on start, `online`,
// page visible, a timer with backoff, after edits (debounced) and on "Nu synchroniseren".
// One tab at a time (Web Locks); Background Sync only as an extra.

import { api, DeviceRevoked, HttpError, NetworkError } from "./api.js";
import { backoffDelay, classifyStatus, nextDelay, retryAfterMs } from "./backoff.js";
import { clientState, stateReportDue } from "./clientstate.js";
import { resendBatch } from "./ops.js";
import { getMeta, outbox, patchPhoto, photos, putRecord, records, setMeta } from "./store.js";
import { applyPullPage, applyPushResults, pendingOps, purgeRetained } from "./syncstore.js";
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

/**
 * A new server epoch (the server was restored from a backup): pull from empty and re-send
 * every op still held from the server's `last_seq` + 1. The first push after a restore is
 * answered with `expected_seq` anyway; this covers a device that learns of it by a pull.
 */
async function checkEpoch(epoch, serverLastSeq) {
  if (epoch === undefined || epoch === null) return;
  const known = await getMeta("epoch");
  if (known !== null && known !== epoch) {
    const values = { epoch, cursor: null };
    if (Number.isInteger(serverLastSeq) && (await getMeta("resend_from")) === null) values.resend_from = serverLastSeq + 1;
    await setMeta(values);
  } else if (known === null) {
    await setMeta({ epoch });
  }
}

/** What the next push carries: pending ops, or everything held from `resend_from` on. */
async function nextBatch() {
  const from = await getMeta("resend_from");
  if (from === null) return { from, ops: (await pendingOps(500)).map((o) => o.op), gap: null };
  const plan = resendBatch(await outbox(), from, (await getMeta("next_seq", 1)) - 1);
  return { from, ...plan };
}

async function push() {
  const deviceId = await getMeta("device_id");
  let lastExpected = null;
  for (let round = 0; round < 50; round++) {
    const { from, ops, gap } = await nextBatch();
    const report = ops.length === 0 && gap === null;
    if (report) {
      if (from !== null) {
        await setMeta({ resend_from: null }); // everything held has been re-sent
        continue;
      }
      // Nothing to send: still report the phone's state, at most once a minute.
      if (round > 0 || !stateReportDue(await getMeta("state_reported_at"))) return;
    }
    const body = { device_id: deviceId, schema_version: 1, ops, client_state: await clientState() };
    if (gap) body.gap = gap; // seqs this device no longer holds (retention window passed)
    const resp = await api("/api/v1/sync/push", { method: "POST", body });
    await setMeta({ state_reported_at: Date.now() });
    await checkEpoch(resp.epoch, resp.last_seq);
    await applyPushResults(resp.results ?? []);
    if (resp.missing_blobs?.length) {
      for (const p of await photos()) {
        if (resp.missing_blobs.includes(p.sha256) && p.state === "verified") {
          await patchPhoto(p.id, { state: "local", uploaded: 0 });
        }
      }
    }
    if (resp.expected_seq != null) {
      // The server wants everything held from there (after a restore: its first answer).
      if (resp.expected_seq === lastExpected && !resp.results?.length) return; // no progress
      lastExpected = resp.expected_seq;
      await setMeta({ resend_from: resp.expected_seq });
      continue;
    }
    if (report) return;
    if (from !== null) {
      await setMeta({ resend_from: (ops.length ? ops.at(-1).seq : gap.to) + 1 });
      continue;
    }
    const answered = new Set((resp.results ?? []).map((r) => r.seq));
    if (!ops.some((o) => answered.has(o.seq))) return; // no progress: stop, retry later
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
    await checkEpoch(resp.epoch, resp.last_seq);
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
    // A pull can start a re-send (new server epoch) or bring nothing new: push again.
    if ((await pendingOps(1)).length || (await getMeta("resend_from")) !== null) await push();
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
    let kind = "retry";
    const tusStatus = err?.originalRequest ? err.originalResponse?.getStatus?.() ?? 0 : null;
    if (err instanceof NetworkError || tusStatus === 0) {
      status.online = false;
      kind = "network";
      status.error = "De server is niet bereikbaar (geen netwerk of de server is uit).";
    } else if (err instanceof HttpError) {
      status.online = true;
      kind = classifyStatus(err.status) === "retry" ? "retry" : "permanent";
      if (err.status === 401) emit("login-needed");
      status.error = err.problem?.title ? `${err.problem.title}${err.problem.detail ? `: ${err.problem.detail}` : ""}` : `De server antwoordde met fout ${err.status}.`;
    } else {
      status.error = "Synchroniseren is onderbroken door een fout in de app; het wordt opnieuw geprobeerd.";
    }
    const retryAfter = err instanceof HttpError ? retryAfterMs(err.headers?.get?.("Retry-After")) : null;
    schedule(nextDelay({ failures: status.failures, kind, visible: document.visibilityState === "visible", retryAfter }));
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
  window.addEventListener("focus", () => syncNow("focus"));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncNow("visible");
  });
  navigator.serviceWorker?.addEventListener("message", (e) => {
    if (e.data?.type === "sync") syncNow("background");
  });
  syncNow("start");
}
