// Fast unit tests of the app's pure logic: node --test pwa/test/
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { backoffDelay, CAP_MS, classifyStatus, classifyUploadFailure, IDLE_MS, retryAfterMs } from "../js/backoff.js";
import { isAnswered, needsPhoto, parseNumber, progress, templateItems, validateChecklist, valueError, visibleKeys } from "../js/checklist-logic.js";
import { formatBytes, handInState } from "../js/handin.js";
import { answerOp, batches, clientTime, noteOp, photoOp, resendBatch, submitOp } from "../js/ops.js";
import { isUuidv7, uuidv7, uuidv7Time } from "../js/uuid.js";

test("uuidv7 has version 7, the RFC variant and the given time", () => {
  const id = uuidv7(1_700_000_000_123);
  assert.ok(isUuidv7(id), id);
  assert.equal(uuidv7Time(id), 1_700_000_000_123);
  assert.equal(id[14], "7");
  assert.ok("89ab".includes(id[19]));
});

test("uuidv7 ids made in the same millisecond still sort in creation order", () => {
  const ids = Array.from({ length: 200 }, () => uuidv7(1_800_000_000_000));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  // A clock that goes backwards never produces an id that sorts before the last one.
  const later = uuidv7(1_799_999_999_000);
  assert.ok(later > ids.at(-1));
});

test("isUuidv7 rejects v4 and malformed ids", () => {
  assert.equal(isUuidv7("3b241101-e2bb-4255-8caf-4136c566a962"), false);
  assert.equal(isUuidv7("not-a-uuid"), false);
  assert.equal(isUuidv7(uuidv7().toUpperCase()), false);
});

test("backoff grows exponentially, is jittered and capped", () => {
  assert.equal(backoffDelay(0), IDLE_MS);
  assert.equal(backoffDelay(1, () => 0.999999), 1999);
  assert.equal(backoffDelay(3, () => 0.5), 4000);
  assert.equal(backoffDelay(40, () => 0.999999), CAP_MS - 1);
  assert.equal(backoffDelay(5, () => 0), 1000, "never hammers with a zero delay");
});

test("status classification and Retry-After", () => {
  assert.equal(classifyStatus(0), "retry");
  assert.equal(classifyStatus(503), "retry");
  assert.equal(classifyStatus(429), "retry");
  assert.equal(classifyStatus(400), "permanent");
  assert.equal(classifyStatus(422), "permanent");
  assert.equal(retryAfterMs("7"), 7000);
  assert.equal(retryAfterMs(null), null);
  assert.equal(retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("Wed, 21 Oct 2015 07:27:00 GMT")), 60000);
  assert.equal(retryAfterMs("soon"), null);
});

test("op builders produce the protocol's fields", () => {
  const t = clientTime(new Date(2026, 4, 4, 9, 12, 3, 120));
  assert.match(t, /^2026-05-04T09:12:03\.120[+-]\d\d:\d\d$/);
  const set = answerOp({ seq: 17, opId: "o", time: t, checklistId: "c", itemKey: "brand-03", value: "no", baseRev: 412 });
  assert.deepEqual(set, { op: "set_answer", op_id: "o", seq: 17, client_time: t, checklist_id: "c", item_key: "brand-03", value: "no", base_rev: 412 });
  const fresh = answerOp({ seq: 1, opId: "o", time: t, checklistId: "c", itemKey: "k", value: null });
  assert.equal(fresh.base_rev, null);
  const amend = answerOp({ seq: 2, opId: "o", time: t, checklistId: "c", itemKey: "k", value: 3, baseRev: 9, amendReason: "telfout" });
  assert.equal(amend.op, "amend_answer");
  assert.equal(amend.reason, "telfout");
  assert.deepEqual(Object.keys(noteOp({ seq: 3, opId: "o", time: t, noteId: "n", checklistId: "c", text: "x" })).sort(), ["checklist_id", "client_time", "note_id", "op", "op_id", "seq", "text"]);
  const photo = photoOp({ seq: 4, opId: "o", time: t, photoId: "p", checklistId: "c", itemKey: "foto", sha256: "ab", size: 10, mime: "image/jpeg", capturedAt: "2026-05-04T07:12:03Z" });
  assert.equal(photo.op, "attach_photo");
  assert.equal(photo.item_key, "foto");
  assert.equal("geo" in photo, false);
  assert.equal(submitOp({ seq: 5, opId: "o", time: t, checklistId: "c" }).op, "submit_checklist");
  assert.throws(() => submitOp({ seq: 0, opId: "o", time: t, checklistId: "c" }));
});

test("after expected_seq every held op is re-sent, whatever its state, in seq order", () => {
  const row = (seq, state) => ({ seq, state, op: { op: "add_note", seq } });
  const held = [row(6, "pending"), row(2, "acked"), row(4, "rejected"), row(3, "acked"), row(5, "acked")];
  assert.deepEqual(resendBatch(held, 3, 6), { ops: [3, 4, 5, 6].map((seq) => ({ op: "add_note", seq })), gap: null });
  assert.deepEqual(resendBatch(held, 3, 6, 2).ops.map((o) => o.seq), [3, 4]);
  // Retention passed for 1: declare exactly the seqs no longer held, send from the lowest held.
  const gapped = resendBatch(held, 1, 6);
  assert.deepEqual(gapped.gap, { from: 1, to: 1 });
  assert.equal(gapped.ops[0].seq, 2);
  // Nothing held from there on: the gap runs to the last seq allocated; past it, nothing to do.
  assert.deepEqual(resendBatch([row(2, "acked")], 3, 9), { ops: [], gap: { from: 3, to: 9 } });
  assert.deepEqual(resendBatch([], 10, 9), { ops: [], gap: null });
});

test("batches keep seq order and the 500-op limit", () => {
  const ops = Array.from({ length: 1201 }, (_, i) => ({ seq: 1201 - i }));
  const out = batches(ops);
  assert.deepEqual(out.map((b) => b.length), [500, 500, 201]);
  assert.equal(out[0][0].seq, 1);
  assert.equal(out[2].at(-1).seq, 1201);
});

// The checklist rules are shared with the server (server/checklists/completeness.py): both
// run the same hand-written vectors.
const VECTORS = JSON.parse(readFileSync(new URL("../../tests/vectors/checklist-completeness.json", import.meta.url), "utf8"));

for (const v of VECTORS.cases) {
  test(`checklist vector: ${v.name}`, () => {
    const template = VECTORS.templates[v.template];
    const photoCount = (key) => v.photos[key] ?? 0;
    const visible = templateItems(template).map((i) => i.key).filter((k) => visibleKeys(template, v.answers).has(k));
    assert.deepEqual(visible, v.visible);
    const problems = validateChecklist(template, v.answers, photoCount);
    assert.deepEqual(problems, v.missing);
    assert.equal(Object.keys(problems).length === 0, v.complete);
    assert.deepEqual(progress(template, v.answers, photoCount), v.progress);
  });
}

test("the field app also refuses values the server would reject (per op on the server)", () => {
  const template = VECTORS.templates.vectors;
  const problems = validateChecklist(template, { open: "no", gebreken: ["brand"], tijd: "25:00", aantal: 600 }, () => 1);
  assert.deepEqual(problems, { tijd: "Vul een tijd in (uu:mm).", aantal: "Vul maximaal 500 in." });
  assert.equal(needsPhoto({ photo_on: ["no"] }, "no"), true);
  assert.equal(needsPhoto({ photo_on: ["no"] }, "yes"), false);
});

test("value checks match the protocol's wire types", () => {
  const items = {
    toegang: { type: "yes_no_na" },
    indruk: { type: "choice", options: [{ key: "goed" }, { key: "slecht" }] },
    toelichting: { type: "text", max_length: 10 },
    aantal: { type: "number", min: 0, max: 500, unit: "personen" },
    soorten: { type: "multi_choice", options: [{ key: "x" }, { key: "y" }] },
    datum: { type: "date" },
    tijd: { type: "time" },
  };
  assert.equal(valueError(items.toegang, "maybe"), "Kies ja, nee of n.v.t.");
  assert.equal(valueError(items.indruk, "onbekend"), "Kies een van de opties.");
  assert.match(valueError(items.toelichting, "veel te lange tekst"), /maximaal 10 tekens/);
  assert.equal(valueError(items.soorten, ["x", "x"]), "Kies elke optie maar één keer.");
  assert.equal(valueError(items.datum, "2026-02-30"), "Vul een datum in (dd-mm-jjjj).");
  assert.equal(valueError(items.tijd, "24:00"), "Vul een tijd in (uu:mm).");
  assert.equal(valueError(items.tijd, "23:59"), null);
  assert.equal(valueError(items.aantal, Number.NaN), "Vul een getal in.");
  assert.equal(valueError(items.aantal, -1), "Vul minimaal 0 personen in.");
  assert.equal(valueError(items.aantal, 600), "Vul maximaal 500 personen in.");
  assert.equal(parseNumber("12,5"), 12.5);
  assert.equal(parseNumber(""), null);
  assert.ok(Number.isNaN(parseNumber("12a")));
  assert.equal(isAnswered("text", "  "), false);
  assert.equal(isAnswered("multi_choice", []), false);
});

test("safe to hand in only when every op is acked and every own photo verified or withdrawn", () => {
  const acked = [{ state: "acked" }];
  const verified = [{ state: "verified", size: 10, uploaded: 10, own: true }];
  assert.equal(handInState(acked, verified).safe, true);
  assert.equal(handInState([...acked, { state: "pending" }], verified).safe, false);
  const uploading = handInState(acked, [{ state: "received", size: 100, uploaded: 100, own: true }, { state: "uploading", size: 3000, uploaded: 1000, op_acked: true }]);
  assert.equal(uploading.safe, false);
  assert.equal(uploading.photoBytes, 2000);
  const rejected = handInState([{ state: "rejected" }], verified);
  assert.equal(rejected.attention, 1);
  assert.equal(rejected.safe, false, "an unseen rejection needs the inspector's attention");
  assert.equal(handInState([{ state: "rejected", seen: true }], verified).safe, true);
  assert.equal(formatBytes(2_500_000), "2,4 MB");
});

test("a refused photo is never safe, even when seen, until it is withdrawn", () => {
  const refused = { state: "rejected", size: 10, uploaded: 0, own: true, reject_reason: "leeg" };
  for (const p of [refused, { ...refused, seen: true }]) {
    const st = handInState([], [p]);
    assert.deepEqual([st.safe, st.attention, st.photosOpen, st.photoBytes], [false, 1, 1, 0]);
  }
  const withdrawn = { ...refused, withdrawn_at: "2026-05-04T09:00:00Z" };
  assert.equal(handInState([{ state: "pending" }], [withdrawn]).safe, false, "the withdraw op is not sent yet");
  assert.equal(handInState([{ state: "acked" }], [withdrawn]).safe, true);
  // A colleague's pulled photo that is not uploaded yet is not this device's work.
  assert.equal(handInState([], [{ state: "expected", size: 10, server: true }]).safe, true);
  assert.equal(handInState([], [{ state: "local", size: 10, pending_seq: 3 }]).safe, false);
});

test("only a photo-* problem rejects a photo; 401 means log in again; 403/404 wait", () => {
  assert.equal(classifyUploadFailure(422, "https://schouw.example/problems/photo-not-an-image"), "reject");
  assert.equal(classifyUploadFailure(413, "/problems/photo-too-large"), "reject");
  assert.equal(classifyUploadFailure(401, "/problems/unauthorized"), "login");
  assert.equal(classifyUploadFailure(401, "/problems/device-revoked"), "revoked");
  assert.equal(classifyUploadFailure(403, "/problems/forbidden"), "wait");
  assert.equal(classifyUploadFailure(404, undefined), "wait");
  for (const [status, type] of [[422, "/problems/sha256-mismatch"], [400, "/problems/tus-header"], [409, null], [410, "/problems/upload-expired"], [460, "/problems/checksum-mismatch"], [500, null], [0, null]]) {
    assert.equal(classifyUploadFailure(status, type), "retry", `${status} ${type}`);
  }
});

test("eviction removes everything of the case except own ops and own photo bytes in the window", async () => {
  const { evictionPlan, expiredEvictedPhotos, RETENTION_MS } = await import("../js/eviction.js");
  const now = Date.parse("2026-05-20T12:00:00Z");
  const day = 24 * 3600 * 1000;
  const rec = (kind, id, data = {}) => ({ kind, id, data: { id, ...data } });
  const records = [
    rec("case", "C"), rec("inspection", "I", { case_id: "C" }),
    rec("checklist", "own", { case_id: "C" }), rec("checklist", "pol", { case_id: "C" }),
    rec("conflict", "k1", { checklist_id: "own" }), rec("comment", "m1", { checklist_id: "own" }),
    rec("release", "r1", { checklist_id: "pol" }),
    rec("template", "t@1"), rec("case", "D"), rec("checklist", "other", { case_id: "D" }),
  ];
  const answers = [
    { checklist_id: "own", item_key: "a" }, { checklist_id: "pol", item_key: "geheim" }, { checklist_id: "other", item_key: "a" },
  ];
  const notes = [{ id: "n1", checklist_id: "own" }, { id: "n2", checklist_id: "pol" }, { id: "n3", checklist_id: "other" }];
  const photos = [
    { id: "p-recent", checklist_id: "own", sha256: "s1", own: true, state: "verified", verified_at: now - day },
    { id: "p-old", checklist_id: "own", sha256: "s2", own: true, state: "verified", verified_at: now - 8 * day },
    { id: "p-unsent", checklist_id: "own", sha256: "s3", pending_seq: 9, state: "local" },
    { id: "p-colleague", checklist_id: "pol", sha256: "s4", server: true, state: "verified", thumb: "blob" },
    { id: "p-shared", checklist_id: "pol", sha256: "s5", server: true, state: "verified" },
    { id: "p-elsewhere", checklist_id: "other", sha256: "s5", own: true, state: "verified", verified_at: now },
  ];
  const op = (seq, fields, state = "acked") => ({ seq, state, op: { op: "set_answer", seq, ...fields } });
  const outbox = [
    op(1, { checklist_id: "own" }), op(2, { checklist_id: "own" }, "rejected"), op(3, { checklist_id: "own" }, "pending"),
    op(4, { op: "withdraw_photo", photo_id: "p-old" }), op(5, { checklist_id: "other" }, "pending"),
    op(6, { op: "create_case", case_id: "C", checklist_id: "own" }),
  ];
  const plan = evictionPlan({ caseId: "C", checklistId: null }, { records, answers, notes, photos, outbox }, now);
  assert.deepEqual(plan.records.map(([k, id]) => `${k}:${id}`).sort(),
    ["case:C", "checklist:own", "checklist:pol", "comment:m1", "conflict:k1", "inspection:I", "release:r1"]);
  assert.deepEqual(plan.answers, [["own", "a"], ["pol", "geheim"]]);
  assert.deepEqual(plan.notes, ["n1", "n2"]);
  assert.deepEqual(plan.photos.sort(), ["p-colleague", "p-old", "p-shared"]);
  assert.deepEqual(plan.keepPhotos.sort(), ["p-recent", "p-unsent"]);
  assert.deepEqual(plan.blobs.sort(), ["s2", "s4"], "bytes another case still uses stay");
  assert.deepEqual(plan.outbox, [1, 2, 3, 4, 6]);

  const one = evictionPlan({ caseId: "C", checklistId: "pol" }, { records, answers, notes, photos, outbox }, now);
  assert.deepEqual(one.records.map(([k, id]) => `${k}:${id}`).sort(), ["checklist:pol", "release:r1"]);
  assert.deepEqual([one.answers, one.notes, one.outbox, one.keepPhotos], [[["pol", "geheim"]], ["n2"], [], []]);

  // Hidden own photos go when their window ends; unsent ones never expire.
  const hidden = [
    { id: "a", evicted: true, own: true, state: "verified", verified_at: now - RETENTION_MS - 1 },
    { id: "b", evicted: true, own: true, state: "verified", verified_at: now - day },
    { id: "c", evicted: true, own: true, state: "rejected", evicted_at: now - RETENTION_MS - 1 },
    { id: "d", evicted: true, own: true, state: "local", evicted_at: now - 30 * day },
    { id: "e", own: true, state: "verified", verified_at: now - 30 * day },
  ];
  assert.deepEqual(expiredEvictedPhotos(hidden, now).map((p) => p.id), ["a", "c"]);
});

test("unsent work of an evicted case still counts and is reported, its refusals need no action", () => {
  const outbox = [{ state: "pending", evicted: true }, { state: "rejected", evicted: true }];
  const photos = [{ own: true, evicted: true, state: "local", size: 5, uploaded: 0 }, { own: true, evicted: true, state: "rejected" }];
  const st = handInState(outbox, photos);
  assert.deepEqual([st.safe, st.unsent, st.attention, st.photosOpen, st.evictedUnsent], [false, 1, 0, 1, 2]);
  assert.equal(handInState([{ state: "acked", evicted: true }], [{ own: true, evicted: true, state: "verified" }]).safe, true);
});
