// Work list, tasks, write permission, retry delays, client_state and wording (node --test).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { nextDelay, VISIBLE_CAP_MS } from "../js/backoff.js";
import { APP_VERSION, describeState, stateReportDue, STATE_REPORT_MS } from "../js/clientstate.js";
import { formatBytes } from "../js/handin.js";
import { buildWorkList, fold, mayWrite, openTasks, searchCases } from "../js/worklist.js";

const USER = { id: "u1", agency: "gem", roles: ["inspector"] };
const kase = (id, extra = {}) => ({ id: `c${id}`, reference: `RIT-2026-${id}`, status: "planned", subject: { address: { street: "Herestraat", huisnummer: 12, postcode: "9711LM", city: "Groningen" }, business: { name: `Café ${id}` } }, ...extra });
const insp = (id, date, time, extra = {}) => ({ id, case_id: `c${id}`, scheduled_date: date, scheduled_time: time, status: "planned", inspectors: ["u1"], ...extra });
const cl = (id, extra = {}) => ({ id: `cl${id}`, inspection_id: id, case_id: `c${id}`, agency_id: "gem", status: "open", ...extra });

test("an evening inspection started yesterday stays on the work list after midnight", () => {
  const world = {
    inspections: [insp("1", "2026-05-04", "21:00"), insp("2", "2026-05-05", "10:00"), insp("3", "2026-05-03", "09:00")],
    cases: [kase("1"), kase("2"), kase("3")],
    checklists: [cl("1"), cl("2"), cl("3", { status: "submitted", submitted_at: "2026-05-03T10:00:00Z" })],
    user: USER,
  };
  const before = buildWorkList({ ...world, today: "2026-05-04" });
  assert.deepEqual(before.upcoming.map(([d, es]) => [d, es.map((e) => e.inspection.id)]), [["2026-05-04", ["1"]], ["2026-05-05", ["2"]]]);
  const after = buildWorkList({ ...world, today: "2026-05-05", started: new Set(["cl1"]) });
  assert.deepEqual(after.unfinished.map((e) => e.inspection.id), ["1"], "unfinished work first, whatever its date");
  assert.deepEqual(after.upcoming.map(([d]) => d), ["2026-05-05"]);
  assert.deepEqual(after.recent.map((e) => [e.inspection.id, e.status]), [["3", "ingediend"]]);
  // Not started but past and still open: also unfinished (never unreachable).
  const untouched = buildWorkList({ ...world, today: "2026-05-05" });
  assert.deepEqual(untouched.unfinished.map((e) => e.inspection.id), ["1"]);
  // A closed case leaves the list.
  const closed = buildWorkList({ ...world, cases: [kase("1", { status: "closed" }), kase("2"), kase("3")], today: "2026-05-05" });
  assert.deepEqual(closed.unfinished, []);
});

test("returned checklists, comments and conflicts are tasks until seen or resubmitted", () => {
  const world = {
    inspections: [insp("1", "2026-05-01", "10:00"), insp("2", "2026-05-09", "10:00")],
    cases: [kase("1"), kase("2")],
    checklists: [cl("1", { status: "submitted", returned_at: "2026-05-02T08:00:00Z" }), cl("2")],
    comments: [{ id: "m1", checklist_id: "cl1", text: "Foto ontbreekt" }, { id: "m2", checklist_id: "cl2", text: "Let op de nooduitgang", item_key: "nooduitgang" }],
    conflicts: [{ id: "k1", checklist_id: "cl2", item_key: "x", status: "open" }, { id: "k2", checklist_id: "cl2", item_key: "y", status: "resolved" }],
    user: USER,
    today: "2026-05-04",
  };
  const list = buildWorkList(world);
  assert.deepEqual(list.unfinished.map((e) => [e.inspection.id, e.status]), [["1", "teruggestuurd"], ["2", "conflict"]]);
  assert.deepEqual(list.tasks.map((t) => t.kind).sort(), ["comment", "comment", "conflict", "returned"]);
  const seen = new Set(["comment:m1", "comment:m2", "conflict:k1"]);
  assert.deepEqual(openTasks({ ...world, seen }).map((t) => t.kind), ["returned"]);
  const resubmitted = { ...world, seen, checklists: [cl("1", { status: "submitted", returned_at: null }), cl("2")] };
  assert.deepEqual(openTasks(resubmitted), []);
  assert.deepEqual(buildWorkList(resubmitted).recent.map((e) => e.inspection.id), ["1"]);
  // Another agency's checklist never makes a task for this user.
  assert.deepEqual(openTasks({ ...world, user: { ...USER, agency: "politie" } }), []);
});

test("search finds cases by business name, street, postcode and reference, accents ignored", () => {
  const cases = [kase("1"), kase("2", { subject: { address: { street: "Vismarkt", huisnummer: 3, postcode: "9712CA", city: "Groningen" }, business: { name: "Bakkerij Bolhuis" } } })];
  assert.deepEqual(searchCases(cases, "cafe 1").map((c) => c.id), ["c1"]);
  assert.deepEqual(searchCases(cases, "vismarkt").map((c) => c.id), ["c2"]);
  assert.deepEqual(searchCases(cases, "9712 ca").map((c) => c.id), ["c2"]);
  assert.deepEqual(searchCases(cases, "RIT-2026-2").map((c) => c.id), ["c2"]);
  assert.deepEqual(searchCases(cases, "groningen").map((c) => c.id), ["c1", "c2"]);
  assert.deepEqual(searchCases(cases, "bakkerij herestraat"), [], "every word must match");
  assert.deepEqual(searchCases(cases, "   "), []);
  assert.equal(fold("  Café   De KROON "), "cafe de kroon");
});

test("only an assigned inspector of the owning agency may write, never on a closed case", () => {
  const i = insp("1", "2026-05-04", "10:00");
  assert.equal(mayWrite(USER, i, cl("1"), kase("1")), true);
  assert.equal(mayWrite({ ...USER, roles: ["teamlead"] }, i, cl("1"), kase("1")), false);
  assert.equal(mayWrite(USER, i, cl("1", { agency_id: "politie" }), kase("1")), false);
  assert.equal(mayWrite({ ...USER, id: "u2" }, i, cl("1"), kase("1")), false);
  assert.equal(mayWrite(USER, i, cl("1"), kase("1", { status: "closed" })), false);
  assert.equal(mayWrite(null, i, cl("1"), kase("1")), false);
});

test("an unreachable server is retried within 4 s while visible; 503/429 are not hammered", () => {
  for (let f = 1; f < 40; f++) {
    for (const r of [0, 0.5, 0.999]) {
      const d = nextDelay({ failures: f, kind: "network", visible: true, random: () => r });
      assert.ok(d >= 1000 && d <= VISIBLE_CAP_MS, `${f} ${r} ${d}`);
    }
  }
  assert.ok(nextDelay({ failures: 10, kind: "network", visible: false, random: () => 0.999 }) > 60_000, "hidden: the long backoff");
  assert.ok(nextDelay({ failures: 10, kind: "retry", visible: true, random: () => 0.999 }) > 60_000, "a struggling server backs off");
  assert.equal(nextDelay({ failures: 1, kind: "retry", visible: true, retryAfter: 30_000 }), 30_000, "Retry-After is respected");
  assert.equal(nextDelay({ failures: 1, kind: "network", visible: true, retryAfter: 0 }), 1000);
});

test("client_state reports the outbox and pending photos at most once a minute", () => {
  const state = describeState(
    [{ state: "pending" }, { state: "pending" }, { state: "acked" }, { state: "rejected" }],
    [{ state: "uploading", size: 3000, uploaded: 1000, own: true }, { state: "verified", size: 10, uploaded: 10, own: true }],
    { persisted: true, now: new Date("2026-05-04T10:00:00Z") },
  );
  assert.deepEqual(state, { outbox: 2, photos_pending: 1, photo_bytes_pending: 2000, app_version: APP_VERSION, storage_persisted: true, reported_at: "2026-05-04T10:00:00.000Z" });
  assert.equal(stateReportDue(null, 1000), true);
  assert.equal(stateReportDue(1000, 1000 + STATE_REPORT_MS - 1), false);
  assert.equal(stateReportDue(1000, 1000 + STATE_REPORT_MS), true);
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url)));
  assert.equal(APP_VERSION, pkg.version);
});

test("storage sizes use GB and Dutch number formatting", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(812 * 1024), "812 kB");
  assert.equal(formatBytes(10241.1 * 1024 * 1024), "10,0 GB");
  assert.equal(formatBytes(1500 * 1024 ** 3), "1.500,0 GB");
});

import { checkNewCase, normalisePostcode, templatesFor } from "../js/newcase.js";
import { createCaseOp } from "../js/ops.js";

const GOOD = { postcode: "9711 lm", huisnummer: "12", toevoeging: "a", street: "Herestraat", city: "Groningen", name: "Shishalounge De Kroon", kvk: "1234 5678", category: "eigen-waarneming", explanation: "Rook en harde muziek gezien", template: "controle-algemeen@1" };

test("a new inspection on site is checked with the server's identifier rules", () => {
  const ok = checkNewCase(GOOD);
  assert.deepEqual(ok.errors, {});
  assert.deepEqual(ok.subject, {
    address: { postcode: "9711LM", huisnummer: 12, toevoeging: "A", street: "Herestraat", city: "Groningen" },
    business: { name: "Shishalounge De Kroon", kvk: "12345678" },
  });
  assert.deepEqual(ok.reason, { category: "eigen-waarneming", explanation: "Rook en harde muziek gezien" });
  // Address only, business only.
  assert.deepEqual(checkNewCase({ ...GOOD, name: "", kvk: "" }).subject.business, undefined);
  assert.deepEqual(checkNewCase({ ...GOOD, postcode: "", huisnummer: "", toevoeging: "", street: "", city: "" }).errors, {});
  const bad = checkNewCase({ postcode: "9711 SS", huisnummer: "12b", toevoeging: "abcde", name: "", kvk: "123", category: "gok", explanation: "kort", template: "" });
  assert.deepEqual(Object.keys(bad.errors).sort(), ["category", "explanation", "huisnummer", "kvk", "name", "postcode", "template", "toevoeging"]);
  assert.match(bad.errors.postcode, /bestaat niet/);
  assert.match(checkNewCase({ ...GOOD, huisnummer: "100000" }).errors.huisnummer, /1 tot en met 99999/);
  assert.match(checkNewCase({ category: "signaal", explanation: "Lang genoeg uitgelegd", template: "x@1" }).errors.postcode, /adres .* of een bedrijf/);
  assert.equal(normalisePostcode("0123 AB"), null);
  assert.equal(normalisePostcode(" 1234ab "), "1234AB");
});

test("create_case carries the subject, reason and template; templates follow the agency kind", () => {
  const { subject, reason } = checkNewCase(GOOD);
  const op = createCaseOp({ seq: 4, opId: "o", time: "t", caseId: "c", inspectionId: "i", checklistId: "l", template: "controle-algemeen@1", subject, reason });
  assert.deepEqual(Object.keys(op).sort(), ["case_id", "checklist_id", "client_time", "inspection_id", "op", "op_id", "reason", "seq", "subject", "template"]);
  assert.equal(op.op, "create_case");
  const templates = [{ ref: "a@1", title: "Politie", agency_kinds: ["politie"] }, { ref: "b@1", title: "Algemeen", agency_kinds: ["*"] }, { ref: "c@2", slug: "c", version: 2, title: "APV", agency_kinds: ["gemeente"] }, { ref: "c@1", slug: "c", version: 1, title: "APV", agency_kinds: ["gemeente"] }];
  assert.deepEqual(templatesFor(templates, "gemeente").map((t) => t.ref), ["b@1", "c@2"], "the newest version only");
  assert.deepEqual(templatesFor(templates, null).map((t) => t.ref), ["b@1"]);
});

import { captureTime, geoOf, readExifTime } from "../js/photometa.js";

/** A minimal JPEG with an EXIF block (little or big endian) holding DateTimeOriginal. */
function jpegWithExif(dateTime, offset, little = true) {
  const entries = [[0x9003, dateTime + "\0"], ...(offset ? [[0x9011, offset + "\0"]] : [])];
  const sub = 26; // IFD0 at 8: 2 + 12 + 4 = 18 bytes → sub-IFD at 26
  const dataStart = sub + 2 + entries.length * 12 + 4;
  const bytes = [];
  const u16 = (v) => (little ? [v & 255, v >> 8] : [v >> 8, v & 255]);
  const u32 = (v) => (little ? [v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24] : [v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255]);
  bytes.push(...(little ? [0x49, 0x49] : [0x4d, 0x4d]), ...u16(42), ...u32(8));
  bytes.push(...u16(1), ...u16(0x8769), ...u16(4), ...u32(1), ...u32(sub), ...u32(0));
  bytes.push(...u16(entries.length));
  let at = dataStart;
  const data = [];
  for (const [tag, text] of entries) {
    bytes.push(...u16(tag), ...u16(2), ...u32(text.length), ...u32(at));
    data.push(...Array.from(text, (c) => c.charCodeAt(0)));
    at += text.length;
  }
  bytes.push(...u32(0), ...data);
  const app1 = [..."Exif\0\0"].map((c) => c.charCodeAt(0)).concat(bytes);
  const len = app1.length + 2;
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, len >> 8, len & 255, ...app1, 0xff, 0xda, 0, 2, 0xff, 0xd9]);
}

test("the capture time comes from the photo's EXIF, else from the moment the camera returned it", () => {
  assert.deepEqual(readExifTime(jpegWithExif("2026:05:04 21:13:05", "+02:00")), { dateTime: "2026:05:04 21:13:05", offset: "+02:00" });
  assert.deepEqual(readExifTime(jpegWithExif("2026:05:04 21:13:05", null, false)), { dateTime: "2026:05:04 21:13:05", offset: null });
  assert.equal(readExifTime(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2])), null, "no EXIF");
  assert.equal(readExifTime(new Uint8Array([0x89, 0x50, 0x4e, 0x47])), null, "not a JPEG");
  assert.equal(readExifTime(jpegWithExif("0000:00:00 00:00:00", null)).dateTime, "0000:00:00 00:00:00");
  const returned = new Date("2026-05-04T19:20:00Z");
  assert.deepEqual(captureTime({ dateTime: "2026:05:04 21:13:05", offset: "+02:00" }, returned), { at: "2026-05-04T21:13:05+02:00", source: "exif" });
  assert.equal(captureTime({ dateTime: "2026:05:04 21:13:05", offset: null }, returned).source, "exif");
  assert.match(captureTime({ dateTime: "2026:05:04 21:13:05", offset: null }, returned).at, /^2026-05-04T21:13:05[+-]\d{2}:\d{2}$/);
  assert.deepEqual(captureTime({ dateTime: "0000:00:00 00:00:00", offset: null }, returned), { at: "2026-05-04T19:20:00.000Z", source: "device" }, "a camera without a clock");
  assert.deepEqual(captureTime(null, returned), { at: "2026-05-04T19:20:00.000Z", source: "device" });
});

test("a position is sent with its accuracy, or not at all", () => {
  assert.deepEqual(geoOf({ coords: { latitude: 53.2192341, longitude: 6.5665021, accuracy: 8.04 } }), { lat: 53.219234, lon: 6.566502, accuracy: 8 });
  assert.deepEqual(geoOf({ coords: { latitude: 53.2, longitude: 6.5, accuracy: null } }), { lat: 53.2, lon: 6.5 });
  assert.equal(geoOf(null), null);
  assert.equal(geoOf({ coords: { latitude: Number.NaN, longitude: 6 } }), null);
});
