// Local data: every edit and its outbox op are written in ONE durable transaction.

import { all, req, tx } from "./idb.js";
import { answerOp, clientTime, createCaseOp, noteOp, photoOp, submitOp, withdrawPhotoOp } from "./ops.js";
import { uuidv7 } from "./uuid.js";

/** One meta value (or `fallback`). */
export async function getMeta(key, fallback = null) {
  return tx(["meta"], "readonly", async (t) => {
    const row = await req(t.objectStore("meta").get(key));
    return row ? row.value : fallback;
  });
}

/** Set several meta values in one transaction. */
export async function setMeta(values) {
  return tx(["meta"], "readwrite", async (t) => {
    for (const [key, value] of Object.entries(values)) t.objectStore("meta").put({ key, value });
  });
}

async function allocSeq(t) {
  const meta = t.objectStore("meta");
  const row = await req(meta.get("next_seq"));
  const seq = row ? row.value : 1;
  meta.put({ key: "next_seq", value: seq + 1 });
  return seq;
}

function enqueue(t, op) {
  t.objectStore("outbox").put({ seq: op.seq, op_id: op.op_id, op, state: "pending", created_at: Date.now() });
}

/** All records of one pulled kind. */
export async function records(kind) {
  return tx(["records"], "readonly", (t) => all(t, "records", "kind", kind)).then((rows) =>
    rows.map((r) => r.data),
  );
}

/** One pulled record's data, or null. */
export async function record(kind, id) {
  return tx(["records"], "readonly", async (t) => {
    const row = await req(t.objectStore("records").get([kind, id]));
    return row ? row.data : null;
  });
}

/** Store a record fetched outside pull (e.g. a template). */
export async function putRecord(kind, id, data, rev = 0) {
  return tx(["records"], "readwrite", async (t) => {
    t.objectStore("records").put({ kind, id, rev, data });
  });
}

/** Everything the checklist screen needs, read in one transaction. */
export async function checklistState(checklistId) {
  return tx(["answers", "notes", "photos", "outbox", "records"], "readonly", async (t) => {
    const [answers, notes, photos, outbox, conflicts, comments] = await Promise.all([
      all(t, "answers", "checklist", checklistId),
      all(t, "notes", "checklist", checklistId),
      all(t, "photos", "checklist", checklistId),
      all(t, "outbox"),
      all(t, "records", "kind", "conflict"),
      all(t, "records", "kind", "comment"),
    ]);
    return {
      answers,
      notes,
      photos,
      outbox: outbox.filter((o) => o.op.checklist_id === checklistId),
      conflicts: conflicts.map((r) => r.data).filter((c) => c.checklist_id === checklistId),
      comments: comments.map((r) => r.data).filter((c) => c.checklist_id === checklistId),
    };
  });
}

/** Write an answer (or amendment) and its op atomically; returns the op. */
export async function saveAnswer(checklistId, itemKey, value, amendReason) {
  return tx(["answers", "outbox", "meta"], "readwrite", async (t) => {
    const store = t.objectStore("answers");
    const current = await req(store.get([checklistId, itemKey]));
    const seq = await allocSeq(t);
    const op = answerOp({
      seq,
      opId: uuidv7(),
      time: clientTime(),
      checklistId,
      itemKey,
      value,
      baseRev: current?.rev ?? null,
      amendReason,
    });
    // server_value: what the server last held, restored if the server rejects this edit.
    const serverValue = current?.pending_seq ? current.server_value ?? null : current?.rev ? current.value : null;
    store.put({ ...(current ?? {}), checklist_id: checklistId, item_key: itemKey, value, rev: current?.rev ?? null, server_value: serverValue, pending_seq: seq });
    enqueue(t, op);
    return op;
  });
}

/** Append a note and its op. */
export async function saveNote(checklistId, itemKey, text) {
  return tx(["notes", "outbox", "meta"], "readwrite", async (t) => {
    const seq = await allocSeq(t);
    const noteId = uuidv7();
    const op = noteOp({ seq, opId: uuidv7(), time: clientTime(), noteId, checklistId, itemKey, text });
    t.objectStore("notes").put({ id: noteId, checklist_id: checklistId, item_key: itemKey ?? null, text, pending_seq: seq, created_at: op.client_time });
    enqueue(t, op);
    return op;
  });
}

/** Keep the photo's bytes under their sha256, its record and the attach_photo op. */
export async function savePhoto({ checklistId, itemKey, blob, sha256, mime, thumb, geo, capturedAt = new Date().toISOString(), captureSource = "device" }) {
  return tx(["photos", "blobs", "outbox", "meta"], "readwrite", async (t) => {
    const seq = await allocSeq(t);
    const photoId = uuidv7();
    const op = photoOp({ seq, opId: uuidv7(), time: clientTime(), photoId, checklistId, itemKey, sha256, size: blob.size, mime, capturedAt, geo });
    t.objectStore("blobs").put({ sha256, blob, size: blob.size, mime });
    t.objectStore("photos").put({ id: photoId, checklist_id: checklistId, item_key: itemKey ?? null, sha256, size: blob.size, mime, thumb, state: "local", uploaded: 0, pending_seq: seq, captured_at: capturedAt, capture_source: captureSource, geo: geo ?? null, own: true });
    enqueue(t, op);
    return op;
  });
}

/** Withdraw a photo on purpose (with a reason): it stays in the server's evidence log. */
export async function withdrawPhoto(photoId, reason) {
  return tx(["photos", "outbox", "meta"], "readwrite", async (t) => {
    const s = t.objectStore("photos");
    const row = await req(s.get(photoId));
    if (!row || row.withdrawn_at) return null;
    const seq = await allocSeq(t);
    const op = withdrawPhotoOp({ seq, opId: uuidv7(), time: clientTime(), photoId, reason });
    s.put({ ...row, withdrawn_at: new Date().toISOString(), withdraw_reason: reason });
    enqueue(t, op);
    return op;
  });
}

/** Submit (lock) a checklist; later answers become amendments. */
export async function submitChecklist(checklistId) {
  return tx(["records", "outbox", "meta"], "readwrite", async (t) => {
    const seq = await allocSeq(t);
    const op = submitOp({ seq, opId: uuidv7(), time: clientTime(), checklistId });
    const recs = t.objectStore("records");
    const row = await req(recs.get(["checklist", checklistId]));
    // A returned checklist submitted again is no longer "teruggestuurd" on this phone; the
    // server clears returned_at when it applies the op, and pull confirms it.
    const resubmit = Boolean(row?.data.returned_at);
    if (row) recs.put({ ...row, data: { ...row.data, status: "submitted", submitted_locally: true, resubmitted_locally: resubmit || row.data.resubmitted_locally } });
    enqueue(t, op);
    return op;
  });
}

/** The whole outbox (small: acked ops are purged after the retention window). */
export async function outbox() {
  return tx(["outbox"], "readonly", (t) => all(t, "outbox"));
}

/** All local photos (metadata only; bytes live in `blobs`). */
export async function photos() {
  return tx(["photos"], "readonly", (t) => all(t, "photos"));
}

/** The bytes of a photo, or null once purged. */
export async function blob(sha256) {
  return tx(["blobs"], "readonly", async (t) => (await req(t.objectStore("blobs").get(sha256)))?.blob ?? null);
}

/** Update one photo record. */
export async function patchPhoto(id, patch) {
  return tx(["photos"], "readwrite", async (t) => {
    const s = t.objectStore("photos");
    const row = await req(s.get(id));
    if (row) s.put({ ...row, ...patch });
  });
}

/** Mark an attention item as seen by the inspector (it stays listed as history). */
export async function markSeen(seq) {
  return tx(["outbox"], "readwrite", async (t) => {
    const s = t.objectStore("outbox");
    const row = await req(s.get(seq));
    if (row) s.put({ ...row, seen: true });
  });
}

/** Ids of checklists with any work on this phone or from the server (answers, notes, photos, ops). */
export async function startedChecklists() {
  return tx(["answers", "notes", "photos", "outbox"], "readonly", async (t) => {
    const ids = new Set();
    for (const key of await req(t.objectStore("answers").getAllKeys())) ids.add(key[0]);
    for (const store of ["notes", "photos"]) {
      for (const row of await all(t, store)) ids.add(row.checklist_id);
    }
    for (const row of await all(t, "outbox", "state", "pending")) if (row.op.checklist_id) ids.add(row.op.checklist_id);
    return ids;
  });
}

/** Task ids ("comment:<id>", "conflict:<id>") the inspector has marked as seen. */
export async function seenTasks() {
  return new Set(await getMeta("seen_tasks", []));
}

/** Mark a task as seen (it stays visible on its checklist, without the badge). */
export async function markTaskSeen(id) {
  return tx(["meta"], "readwrite", async (t) => {
    const meta = t.objectStore("meta");
    const row = await req(meta.get("seen_tasks"));
    const list = new Set(row ? row.value : []);
    list.add(id);
    meta.put({ key: "seen_tasks", value: [...list] });
  });
}

/**
 * An inspection started on site: the case, inspection and checklist records the server will
 * create, and the create_case op, in one transaction. The inspector can fill the checklist at
 * once (offline too); pull later replaces the records with the server's.
 */
export async function saveNewCase({ user, template, subject, reason, now = new Date() }) {
  return tx(["records", "outbox", "meta"], "readwrite", async (t) => {
    const seq = await allocSeq(t);
    const [caseId, inspectionId, checklistId] = [uuidv7(), uuidv7(), uuidv7()];
    const op = createCaseOp({ seq, opId: uuidv7(), time: clientTime(now), caseId, inspectionId, checklistId, template, subject, reason });
    const day = clientTime(now).slice(0, 10);
    const recs = t.objectStore("records");
    const local = { created_locally: true };
    recs.put({ kind: "case", id: caseId, rev: 0, data: { id: caseId, reference: null, status: "planned", subject: { address: subject.address ?? null, business: subject.business ?? null }, reason, agencies: [user.agency], ...local } });
    recs.put({ kind: "inspection", id: inspectionId, rev: 0, data: { id: inspectionId, case_id: caseId, scheduled_date: day, scheduled_time: clientTime(now).slice(11, 16), status: "in_progress", inspectors: [user.id], ...local } });
    recs.put({ kind: "checklist", id: checklistId, rev: 0, data: { id: checklistId, inspection_id: inspectionId, case_id: caseId, agency_id: user.agency, status: "open", template, ...local } });
    enqueue(t, op);
    return { op, caseId, inspectionId, checklistId };
  });
}
