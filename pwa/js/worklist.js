// The inspector's work list, pure so it can be unit-tested: unfinished work first (whatever
// its date), then today and the coming days, then recently submitted; plus tasks (returned
// checklists, team-lead comments, open conflicts) and a search over the cases on the phone.

const RECENT_MAX = 20;

/** The planned date of an inspection as YYYY-MM-DD ("" when unknown). */
export function dateOf(inspection) {
  return inspection.scheduled_date ?? (inspection.scheduled_at ? String(inspection.scheduled_at).slice(0, 10) : "");
}

/** True when `user` may write `checklist` (mirrors the server: an inspector of the owning
 * agency assigned to the inspection, on a case that is not closed). */
export function mayWrite(user, inspection, checklist, kase) {
  if (!user || !checklist) return false;
  const roles = user.roles ?? [];
  if (!roles.includes("inspector")) return false;
  if (checklist.agency_id && checklist.agency_id !== user.agency) return false;
  const assigned = inspection?.inspectors;
  if (Array.isArray(assigned) && user.id && !assigned.includes(user.id)) return false;
  return kase?.status !== "closed";
}

/**
 * Open tasks per checklist: a returned checklist, team-lead comments and open conflicts the
 * inspector has not marked as seen. `seen` is a Set of "comment:<id>" / "conflict:<id>".
 */
export function tasksOf(checklist, comments, conflicts, seen = new Set()) {
  const out = [];
  if (checklist.returned_at && checklist.status === "submitted" && !checklist.resubmitted_locally) {
    out.push({ kind: "returned", id: `returned:${checklist.id}`, checklist_id: checklist.id, at: checklist.returned_at });
  }
  for (const c of comments) {
    if (c.checklist_id !== checklist.id || seen.has(`comment:${c.id}`)) continue;
    out.push({ kind: "comment", id: `comment:${c.id}`, checklist_id: checklist.id, item_key: c.item_key ?? null, text: c.text, at: c.created_at });
  }
  for (const c of conflicts) {
    if (c.checklist_id !== checklist.id || c.status === "resolved" || seen.has(`conflict:${c.id}`)) continue;
    out.push({ kind: "conflict", id: `conflict:${c.id}`, checklist_id: checklist.id, item_key: c.item_key ?? null, at: c.created_at });
  }
  return out;
}

/** Every open task on the user's own agency's checklists. */
export function openTasks({ checklists, comments = [], conflicts = [], user, seen = new Set() }) {
  const own = checklists.filter((cl) => !user?.agency || cl.agency_id === user.agency);
  return own.flatMap((cl) => tasksOf(cl, comments, conflicts, seen));
}

/** The status word of a checklist on the work list. */
export function checklistStatus(checklist, conflicts) {
  if (checklist.returned_at && checklist.status === "submitted" && !checklist.resubmitted_locally) return "teruggestuurd";
  const open = conflicts.some((c) => c.checklist_id === checklist.id && c.status !== "resolved");
  if (open) return "conflict";
  return checklist.status === "submitted" ? "ingediend" : "open";
}

/**
 * Build the work list.
 * `started` is a Set of checklist ids with local work (answers, notes, photos, pending ops).
 * Returns {unfinished, upcoming: [[date, entries]], recent, tasks} where each entry is
 * {inspection, case, checklists, own, tasks, status, date}.
 */
export function buildWorkList({ inspections, cases, checklists, comments = [], conflicts = [], user, today, started = new Set(), seen = new Set() }) {
  const caseById = new Map(cases.map((c) => [c.id, c]));
  const agency = user?.agency;
  const entries = [];
  for (const inspection of inspections) {
    const kase = caseById.get(inspection.case_id) ?? null;
    if (kase?.status === "closed") continue;
    const lists = checklists.filter((cl) => cl.inspection_id === inspection.id);
    const own = lists.filter((cl) => !agency || cl.agency_id === agency);
    const tasks = own.flatMap((cl) => tasksOf(cl, comments, conflicts, seen));
    const openOwn = own.filter((cl) => cl.status !== "submitted");
    const date = dateOf(inspection);
    const cancelled = inspection.status === "cancelled";
    const begun = openOwn.some((cl) => started.has(cl.id)) || inspection.status === "in_progress";
    let section;
    if (tasks.length) section = "unfinished";
    else if (cancelled) section = begun ? "unfinished" : null;
    else if (openOwn.length && (begun || (date && date < today))) section = "unfinished";
    else if (own.length && !openOwn.length) section = "recent";
    else if (date >= today || !date) section = "upcoming";
    else section = null; // a past visit without a checklist of the user's agency: search only
    if (!section) continue;
    const status = own.length ? worst(own.map((cl) => checklistStatus(cl, conflicts))) : "open";
    entries.push({ inspection, case: kase, checklists: lists, own, tasks, status, date, section });
  }
  const byPlan = (a, b) => `${a.date} ${a.inspection.scheduled_time ?? ""}`.localeCompare(`${b.date} ${b.inspection.scheduled_time ?? ""}`);
  const unfinished = entries.filter((e) => e.section === "unfinished").sort((a, b) => (b.tasks.length > 0) - (a.tasks.length > 0) || byPlan(a, b));
  const groups = new Map();
  for (const e of entries.filter((x) => x.section === "upcoming").sort(byPlan)) {
    const d = e.date || today;
    if (!groups.has(d)) groups.set(d, []);
    groups.get(d).push(e);
  }
  const submittedAt = (e) => e.own.map((cl) => cl.submitted_at ?? "").sort().at(-1) ?? "";
  const recent = entries
    .filter((e) => e.section === "recent")
    .sort((a, b) => submittedAt(b).localeCompare(submittedAt(a)) || byPlan(b, a))
    .slice(0, RECENT_MAX);
  const tasks = entries.flatMap((e) => e.tasks.map((t) => ({ ...t, entry: e })));
  return { unfinished, upcoming: [...groups.entries()], recent, tasks };
}

const SEVERITY = ["teruggestuurd", "conflict", "open", "ingediend"];
function worst(statuses) {
  return SEVERITY.find((s) => statuses.includes(s)) ?? "open";
}

/** Lower-case, accents stripped, spaces collapsed: "Café  De Kroon" → "cafe de kroon". */
export function fold(text) {
  return String(text ?? "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** Cases matching every word of `query` in business name, street, place, postcode or reference. */
export function searchCases(cases, query) {
  const words = fold(query).split(" ").filter(Boolean);
  if (!words.length) return [];
  return cases.filter((c) => {
    const a = c.subject?.address ?? {};
    const b = c.subject?.business ?? {};
    const pc = a.postcode ? String(a.postcode) : "";
    const hay = fold([b.name, b.kvk, a.street, a.huisnummer, a.toevoeging, a.city, pc, pc.replace(/^(\d{4})/, "$1 "), c.reference].filter(Boolean).join(" "));
    return words.every((w) => hay.includes(w));
  });
}
