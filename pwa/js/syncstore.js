// How push results and pulled changes land in IndexedDB (one transaction per batch/page).

import { evictionPlan, expiredEvictedPhotos, RETENTION_MS } from "./eviction.js";
import { all, req, tx } from "./idb.js";

const PULL_STORES = ["records", "answers", "notes", "photos", "blobs", "outbox", "meta"];

/** Pending ops in seq order, at most `limit`. */
export async function pendingOps(limit = 500) {
  return tx(["outbox"], "readonly", async (t) => {
    const rows = await all(t, "outbox", "state", "pending");
    return rows.sort((a, b) => a.seq - b.seq).slice(0, limit);
  });
}

/** Record the server's verdict on pushed ops. */
export async function applyPushResults(results, now = Date.now()) {
  return tx(["outbox", "answers", "notes", "photos"], "readwrite", async (t) => {
    const box = t.objectStore("outbox");
    for (const r of results) {
      const row = await req(box.get(r.seq));
      if (!row || (r.op_id && row.op_id !== r.op_id)) continue;
      const status = r.status === "duplicate" ? r.original_status ?? "applied" : r.status;
      if (status === "rejected") {
        box.put({ ...row, state: "rejected", problem: r.problem ?? null, acked_at: now });
      } else {
        box.put({ ...row, state: "acked", rev: r.rev ?? null, conflict_id: r.conflict_id ?? null, acked_at: now });
      }
      await clearPending(t, row, status === "rejected" ? null : r.rev ?? null, status === "rejected");
    }
  });
}

async function clearPending(t, row, rev, rejected) {
  const op = row.op;
  if (op.op === "set_answer" || op.op === "amend_answer") {
    const s = t.objectStore("answers");
    const a = await req(s.get([op.checklist_id, op.item_key]));
    if (a && a.pending_seq === row.seq && rejected) {
      // Show what the server holds again; the refused value stays in "Aandacht nodig".
      if (a.rev == null && a.server_value == null) s.delete([op.checklist_id, op.item_key]);
      else s.put({ ...a, value: a.server_value ?? null, pending_seq: null });
    } else if (a && a.pending_seq === row.seq) {
      s.put({ ...a, pending_seq: null, rev: rev ?? a.rev });
    }
  } else if (op.op === "add_note") {
    const s = t.objectStore("notes");
    const n = await req(s.get(op.note_id));
    if (n) s.put({ ...n, pending_seq: null });
  } else if (op.op === "attach_photo") {
    const s = t.objectStore("photos");
    const p = await req(s.get(op.photo_id));
    if (p) s.put({ ...p, pending_seq: null, op_acked: true });
  }
}

function answerKey(change) {
  const d = change.data ?? {};
  if (d.checklist_id && d.item_key) return [d.checklist_id, d.item_key];
  const [c, k] = String(change.id).split("/");
  return [c, k];
}

/** Apply one pull page; returns the kinds seen. */
export async function applyPullPage(changes) {
  return tx(PULL_STORES, "readwrite", async (t) => {
    const recs = t.objectStore("records");
    for (const ch of changes) {
      const d = ch.data ?? {};
      if (ch.kind === "answer") {
        const [cid, key] = answerKey(ch);
        const s = t.objectStore("answers");
        const local = await req(s.get([cid, key]));
        if (ch.deleted) {
          if (local && !local.pending_seq) s.delete([cid, key]);
        } else if (local?.pending_seq) {
          s.put({ ...local, server_value: d.value, rev: ch.rev });
        } else {
          s.put({ ...(local ?? {}), ...d, checklist_id: cid, item_key: key, value: d.value ?? null, rev: ch.rev, pending_seq: null });
        }
      } else if (ch.kind === "note") {
        const s = t.objectStore("notes");
        if (ch.deleted) s.delete(ch.id);
        else s.put({ ...d, id: ch.id, rev: ch.rev, pending_seq: null });
      } else if (ch.kind === "photo") {
        const s = t.objectStore("photos");
        const local = await req(s.get(ch.id));
        if (ch.deleted) {
          if (local && !local.pending_seq) s.delete(ch.id);
        } else {
          const state = d.state ?? local?.state ?? "expected";
          const verifiedAt = state === "verified" ? local?.verified_at ?? Date.now() : null;
          const uploaded = state === "verified" ? d.size ?? local?.size ?? 0 : local?.uploaded ?? 0;
          // Visible again (access granted anew): no longer hidden as evicted.
          s.put({ ...(local ?? {}), ...d, id: ch.id, rev: ch.rev, state, verified_at: verifiedAt, uploaded, server: true, evicted: false });
        }
      } else if (ch.kind === "evict") {
        await evict(t, ch);
      } else if (ch.kind === "template" && !ch.deleted) {
        // Pull sends {ref, slug, version, body}; keep the template body itself.
        const body = d.body ?? d;
        recs.put({ kind: "template", id: ch.id, rev: ch.rev, data: { ...body, ref: ch.id } });
      } else if (ch.deleted) {
        recs.delete([ch.kind, ch.id]);
      } else {
        recs.put({ kind: ch.kind, id: ch.id, rev: ch.rev, data: { ...d, id: d.id ?? ch.id } });
      }
    }
  });
}

/** Remove everything of an evicted case (or checklist) inside the pull page's transaction,
 * except this device's own ops and own photo bytes, which stay hidden (see eviction.js). */
async function evict(t, ch, now = Date.now()) {
  const d = ch.data ?? {};
  const scope = { caseId: d.case_id ?? ch.id, checklistId: d.scope === "checklist" ? d.checklist_id : null };
  const [records, answers, notes, photos, outbox] = await Promise.all(
    ["records", "answers", "notes", "photos", "outbox"].map((name) => all(t, name)),
  );
  const plan = evictionPlan(scope, { records, answers, notes, photos, outbox }, now);
  for (const key of plan.records) t.objectStore("records").delete(key);
  for (const key of plan.answers) t.objectStore("answers").delete(key);
  for (const id of plan.notes) t.objectStore("notes").delete(id);
  for (const id of plan.photos) t.objectStore("photos").delete(id);
  for (const sha of plan.blobs) t.objectStore("blobs").delete(sha);
  const keep = new Set(plan.keepPhotos);
  for (const p of photos) if (keep.has(p.id)) t.objectStore("photos").put({ ...p, evicted: true, evicted_at: p.evicted_at ?? now });
  const hide = new Set(plan.outbox);
  for (const o of outbox) if (hide.has(o.seq)) t.objectStore("outbox").put({ ...o, evicted: true });
  // Tombstones, so a screen can say why the work left the phone ("deze zaak is afgesloten").
  for (const [kind, id] of plan.records) {
    if (kind === "checklist" || kind === "inspection") t.objectStore("records").put({ kind: "gone", id, rev: ch.rev, data: { id, case_id: scope.caseId, reason: d.reason ?? null } });
  }
}

/** Forget acked ops and verified photo bytes older than the retention window; of evicted
 * cases, also the hidden rejected ops and own photos whose window has ended. */
export async function purgeRetained(now = Date.now(), retention = RETENTION_MS) {
  return tx(["outbox", "photos", "blobs"], "readwrite", async (t) => {
    const box = t.objectStore("outbox");
    for (const row of await all(t, "outbox")) {
      const settled = row.state === "acked" || (row.evicted && row.state === "rejected");
      if (settled && row.acked_at && now - row.acked_at > retention) box.delete(row.seq);
    }
    const photos = await all(t, "photos");
    const expired = new Set(expiredEvictedPhotos(photos, now, retention).map((p) => p.id));
    for (const id of expired) t.objectStore("photos").delete(id);
    const keep = new Set();
    const old = [];
    for (const p of photos) {
      if (expired.has(p.id) || (p.state === "verified" && p.verified_at && now - p.verified_at > retention)) old.push(p.sha256);
      else keep.add(p.sha256);
    }
    for (const sha of old) if (!keep.has(sha)) t.objectStore("blobs").delete(sha);
  });
}
