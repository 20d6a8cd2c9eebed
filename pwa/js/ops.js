// Builders for sync protocol v1 ops. Pure: the caller allocates `seq` in the same IndexedDB
// transaction that writes the edit, and passes the time and a fresh UUIDv7.

function base(kind, seq, opId, clientTime) {
  if (!Number.isInteger(seq) || seq < 1) throw new Error("seq must be a positive integer");
  return { op: kind, op_id: opId, seq, client_time: clientTime };
}

/** ISO 8601 local time with offset, as the protocol's client_time shows it. */
export function clientTime(date = new Date()) {
  const pad = (n, w = 2) => String(Math.abs(n)).padStart(w, "0");
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `.${pad(date.getMilliseconds(), 3)}${sign}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`
  );
}

/** set_answer (open checklist) or amend_answer (submitted; needs a reason). */
export function answerOp({ seq, opId, time, checklistId, itemKey, value, baseRev, amendReason }) {
  if (amendReason !== undefined && amendReason !== null) {
    return {
      ...base("amend_answer", seq, opId, time),
      checklist_id: checklistId,
      item_key: itemKey,
      value,
      reason: amendReason,
      base_rev: baseRev ?? null,
    };
  }
  return {
    ...base("set_answer", seq, opId, time),
    checklist_id: checklistId,
    item_key: itemKey,
    value,
    base_rev: baseRev ?? null,
  };
}

/** add_note (append-only). */
export function noteOp({ seq, opId, time, noteId, checklistId, itemKey, text }) {
  const op = { ...base("add_note", seq, opId, time), note_id: noteId, checklist_id: checklistId, text };
  if (itemKey) op.item_key = itemKey;
  return op;
}

/** attach_photo: the bytes follow through a tus upload. */
export function photoOp({ seq, opId, time, photoId, checklistId, itemKey, sha256, size, mime, capturedAt, geo }) {
  const op = {
    ...base("attach_photo", seq, opId, time),
    photo_id: photoId,
    checklist_id: checklistId,
    sha256,
    size,
    mime,
    captured_at: capturedAt,
  };
  if (itemKey) op.item_key = itemKey;
  if (geo) op.geo = geo;
  return op;
}

/** withdraw_photo. */
export function withdrawPhotoOp({ seq, opId, time, photoId, reason }) {
  return { ...base("withdraw_photo", seq, opId, time), photo_id: photoId, reason };
}

/** create_case: a business or address found on site becomes a case with an inspection
 * assigned to the creator and one checklist of the creator's agency. */
export function createCaseOp({ seq, opId, time, caseId, inspectionId, checklistId, template, subject, reason }) {
  return {
    ...base("create_case", seq, opId, time),
    case_id: caseId,
    inspection_id: inspectionId,
    checklist_id: checklistId,
    template,
    subject,
    reason,
  };
}

/** submit_checklist: locks the checklist; later changes are amendments. */
export function submitOp({ seq, opId, time, checklistId }) {
  return { ...base("submit_checklist", seq, opId, time), checklist_id: checklistId };
}

/** The field an op writes, "checklist_id/item_key", or null for ops without one. */
export function opField(op) {
  if (op.item_key && op.checklist_id) return `${op.checklist_id}/${op.item_key}`;
  return null;
}

/** Push batches of at most `max` ops in seq order. */
export function batches(ops, max = 500) {
  const sorted = [...ops].sort((a, b) => a.seq - b.seq);
  const out = [];
  for (let i = 0; i < sorted.length; i += max) out.push(sorted.slice(i, i + max));
  return out;
}

/**
 * After the server asked for `expectedSeq` (a restore, or ops it did not get): the next push
 * re-sends every op the device still holds from there, whatever its state (pending,
 * acknowledged, rejected), in seq order. Seqs the device no longer holds (retention passed)
 * are declared as a gap; it is never left for the server to guess. `lastSeq` is the highest
 * seq the device allocated. Returns `{ops, gap}`; both empty/null when there is nothing left.
 */
export function resendBatch(held, expectedSeq, lastSeq, max = 500) {
  const rows = held.filter((r) => r.seq >= expectedSeq).sort((a, b) => a.seq - b.seq).slice(0, max);
  if (rows.length === 0) {
    return { ops: [], gap: expectedSeq <= lastSeq ? { from: expectedSeq, to: lastSeq } : null };
  }
  const gap = rows[0].seq > expectedSeq ? { from: expectedSeq, to: rows[0].seq - 1 } : null;
  return { ops: rows.map((r) => r.op), gap };
}

/** Dutch one-line description of an op for the attention list; `label(key)` gives an
 * item's label (the template's words, never its internal key). */
export function describeOp(op, label = () => "deze vraag") {
  switch (op.op) {
    case "set_answer":
      return `Antwoord op “${label(op.item_key)}”`;
    case "amend_answer":
      return `Wijziging van “${label(op.item_key)}”`;
    case "add_note":
      return op.item_key ? `Notitie bij “${label(op.item_key)}”` : "Notitie";
    case "attach_photo":
      return op.item_key ? `Foto bij “${label(op.item_key)}”` : "Foto";
    case "create_case":
      return "Nieuwe controle ter plaatse";
    case "withdraw_photo":
      return "Foto intrekken";
    case "submit_checklist":
      return "Checklist indienen";
    default:
      return "Wijziging";
  }
}
