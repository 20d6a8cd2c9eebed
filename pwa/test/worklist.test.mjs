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
