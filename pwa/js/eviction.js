// What an `evict` record removes from the phone, decided as a pure function of the local
// stores so that syncstore.js can apply it in ONE IndexedDB transaction.
//
// Need-to-know: once access to a case (or one checklist) is withdrawn, everything of it leaves
// the phone at once: records, everyone's answers, notes, photos and thumbnails, comments,
// conflicts. What stays is only what the sync protocol's restore rule needs: this device's
// OWN ops and the bytes of its OWN photos inside the retention window, marked `evicted` so no
// screen shows them. Own work the server does not have yet (pending ops, photos not yet
// verified) stays too: it is still sent, and the screen says so.

import { isOwnPhoto } from "./handin.js";

export const RETENTION_MS = 7 * 24 * 3600 * 1000;

const KEPT_AFTER_SETTLED = (p) => p.state === "verified" || p.state === "rejected" || Boolean(p.withdrawn_at);

/**
 * `scope` is `{caseId, checklistId}` (checklistId null for the whole case); `state` holds
 * the rows of `records`, `answers`, `notes`, `photos` and `outbox`. Returns the keys to delete
 * per store, the photos and outbox rows to keep hidden, and the blob hashes to delete.
 */
export function evictionPlan(scope, state, now = Date.now(), retention = RETENTION_MS) {
  const { caseId, checklistId } = scope;
  const checklists = new Set();
  if (checklistId) checklists.add(checklistId);
  else {
    for (const r of state.records) if (r.kind === "checklist" && r.data?.case_id === caseId) checklists.add(r.id);
    for (const o of state.outbox) if (o.op.op === "create_case" && o.op.case_id === caseId) checklists.add(o.op.checklist_id);
  }
  const ofScope = (r) => {
    if (r.kind === "template") return false;
    if (r.kind === "checklist") return checklists.has(r.id);
    if (checklists.has(r.data?.checklist_id)) return true;
    if (checklistId) return false;
    return (r.kind === "case" && r.id === caseId) || r.data?.case_id === caseId;
  };
  const records = state.records.filter(ofScope).map((r) => [r.kind, r.id]);
  const answers = state.answers.filter((a) => checklists.has(a.checklist_id)).map((a) => [a.checklist_id, a.item_key]);
  const notes = state.notes.filter((n) => checklists.has(n.checklist_id)).map((n) => n.id);

  const casePhotos = state.photos.filter((p) => checklists.has(p.checklist_id));
  const keep = casePhotos.filter((p) => isOwnPhoto(p) && !expired(p, now, retention));
  const keepIds = new Set(keep.map((p) => p.id));
  const gone = casePhotos.filter((p) => !keepIds.has(p.id));
  const goneIds = new Set(gone.map((p) => p.id));
  const stillUsed = new Set(state.photos.filter((p) => !goneIds.has(p.id)).map((p) => p.sha256));
  const blobs = [...new Set(gone.map((p) => p.sha256))].filter((sha) => sha && !stillUsed.has(sha));

  const photoIds = new Set(casePhotos.map((p) => p.id));
  const outbox = state.outbox
    .filter((o) => checklists.has(o.op.checklist_id) || (!checklistId && o.op.case_id === caseId) || photoIds.has(o.op.photo_id))
    .map((o) => o.seq);
  return { records, answers, notes, photos: gone.map((p) => p.id), keepPhotos: keep.map((p) => p.id), blobs, outbox };
}

/** An own photo of an evicted case whose bytes no restore can need any more. */
function expired(p, now, retention) {
  if (!KEPT_AFTER_SETTLED(p)) return false; // not on the server yet: unsynced work stays
  const since = p.state === "verified" ? p.verified_at ?? p.evicted_at : p.evicted_at ?? p.verified_at;
  return since != null && now - since > retention;
}

/** Hidden (evicted) own photos whose retention window has ended. */
export function expiredEvictedPhotos(photos, now = Date.now(), retention = RETENTION_MS) {
  return photos.filter((p) => p.evicted && expired({ ...p, evicted_at: p.evicted_at ?? now }, now, retention));
}
