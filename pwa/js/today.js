// "Mijn werk": unfinished work first (whatever its date), today and the coming days,
// recently submitted, and a search over the cases on this phone. Read from IndexedDB only.

import { addressLine, agencies, agencyMap, businessName } from "./model.js";
import { getMeta, records, seenTasks, startedChecklists } from "./store.js";
import { dutchDate, h, localDate, show } from "./ui.js";
import { buildWorkList, dateOf, searchCases } from "./worklist.js";

const STATUS_LABEL = {
  open: null,
  ingediend: "Ingediend",
  teruggestuurd: "Teruggestuurd",
  conflict: "Conflict",
};
const TASK_LABEL = { returned: "Teruggestuurd", comment: "Opmerking teamleider", conflict: "Conflict" };

function badges(entry) {
  const out = [];
  const status = STATUS_LABEL[entry.status];
  if (status) out.push(h("span", { class: `badge badge-${entry.status}`, dataset: { status: entry.status } }, status));
  const kinds = new Map();
  for (const t of entry.tasks) kinds.set(t.kind, (kinds.get(t.kind) ?? 0) + 1);
  for (const [kind, n] of kinds) {
    if (kind === "returned" && entry.status === "teruggestuurd") continue;
    if (kind === "conflict" && entry.status === "conflict") continue;
    out.push(h("span", { class: "badge badge-task", dataset: { task: kind } }, n > 1 ? `${TASK_LABEL[kind]} (${n})` : TASK_LABEL[kind]));
  }
  return out.length ? h("span", { class: "badges" }, out) : null;
}

function card(entry, names, today, { showDate = false } = {}) {
  const c = entry.case ?? {};
  const name = businessName(c);
  const time = entry.inspection.scheduled_time ?? "";
  const when = showDate && entry.date ? `${entry.date === today ? "vandaag" : dutchDate(entry.date)}${time ? ` ${time}` : ""}` : time || "Hele dag";
  return h(
    "li",
    { class: "inspection", dataset: { inspection: entry.inspection.id } },
    h(
      "a",
      { href: `#/controle/${entry.inspection.id}`, class: "card-link" },
      h("span", { class: "time" }, when),
      h("span", { class: "title" }, name || addressLine(c)),
      name ? h("span", { class: "address" }, addressLine(c)) : null,
      h("span", { class: "meta" }, [c.reference ?? (c.created_locally ? "nieuw ter plaatse, nog geen dossiernummer" : null), agencies(c, entry.checklists, names).join(", ")].filter(Boolean).join(" · ")),
      badges(entry),
    ),
  );
}

function searchBlock(cases, inspections, names) {
  const input = h("input", { id: "case-search", type: "search", autocomplete: "off", enterkeyhint: "search", "aria-describedby": "case-search-help" });
  const results = h("ul", { class: "list", id: "search-results", "aria-live": "polite" });
  const firstInspection = new Map();
  for (const i of [...inspections].sort((a, b) => dateOf(b).localeCompare(dateOf(a)))) {
    if (!firstInspection.has(i.case_id)) firstInspection.set(i.case_id, i);
  }
  const run = () => {
    const q = input.value.trim();
    if (!q) return results.replaceChildren();
    const found = searchCases(cases, q).slice(0, 30);
    if (!found.length) return results.replaceChildren(h("li", { class: "empty" }, "Geen zaak op dit toestel gevonden."));
    results.replaceChildren(
      ...found.map((c) => {
        const insp = firstInspection.get(c.id);
        const body = [
          h("span", { class: "title" }, businessName(c) || addressLine(c)),
          businessName(c) ? h("span", { class: "address" }, addressLine(c)) : null,
          h("span", { class: "meta" }, [c.reference, agencies(c, [], names).join(", ")].filter(Boolean).join(" · ")),
        ];
        return h("li", {}, insp ? h("a", { class: "card-link", href: `#/controle/${insp.id}` }, body) : h("div", { class: "card-link" }, body));
      }),
    );
  };
  input.value = todayView.query ?? "";
  input.addEventListener("input", () => {
    todayView.query = input.value;
    run();
  });
  run();
  return h("section", { "aria-labelledby": "g-search", class: "search" },
    h("h2", { id: "g-search" }, "Zoeken"),
    h("label", { for: "case-search" }, "Zoek een zaak op dit toestel"),
    h("p", { class: "help", id: "case-search-help" }, "Op bedrijfsnaam, straat, postcode of dossiernummer."),
    input,
    results);
}

/** Render the work list from IndexedDB only (works offline). */
export async function todayView() {
  const [inspections, cases, checklists, comments, conflicts, agencyRecords, user, started, seen] = await Promise.all([
    records("inspection"),
    records("case"),
    records("checklist"),
    records("comment"),
    records("conflict"),
    records("agency"),
    getMeta("user"),
    startedChecklists(),
    seenTasks(),
  ]);
  const names = agencyMap(agencyRecords);
  const today = localDate();
  const list = buildWorkList({ inspections, cases, checklists, comments, conflicts, user, today, started, seen });
  const roles = user?.roles ?? [];
  const sections = [];
  if (roles.includes("teamlead")) {
    sections.push(h("p", { class: "card regie" }, "Je bent teamleider. Beoordelen, plannen en terugsturen doe je in de regie-omgeving. ", h("a", { href: "/regie/", id: "regie-link" }, "Naar de regie-omgeving")));
  }
  if (roles.includes("inspector")) {
    sections.push(h("p", { class: "new-inspection" }, h("a", { href: "#/nieuw", class: "button secondary", id: "new-inspection" }, "Nieuwe controle ter plaatse")));
  }
  if (list.unfinished.length) {
    sections.push(h("section", { "aria-labelledby": "g-unfinished" },
      h("h2", { id: "g-unfinished" }, "Nog af te maken"),
      h("ul", { class: "list", id: "unfinished-list" }, list.unfinished.map((e) => card(e, names, today, { showDate: true })))));
  }
  const groups = new Map(list.upcoming);
  if (!groups.has(today)) {
    sections.push(h("section", { "aria-labelledby": "g-today" }, h("h2", { id: "g-today" }, "Vandaag"), h("p", { class: "empty" }, "Geen nieuwe controles gepland voor vandaag.")));
  }
  for (const [d, entries] of groups) {
    const id = `g-${d}`;
    const title = d === today ? "Vandaag" : dutchDate(d);
    sections.push(h("section", { "aria-labelledby": id }, h("h2", { id }, title), h("ul", { class: "list", id: d === today ? "today-list" : null }, entries.map((e) => card(e, names, today)))));
  }
  if (list.recent.length) {
    sections.push(h("section", { "aria-labelledby": "g-recent" },
      h("h2", { id: "g-recent" }, "Recent ingediend"),
      h("ul", { class: "list", id: "recent-list" }, list.recent.map((e) => card(e, names, today, { showDate: true })))));
  }
  sections.push(searchBlock(cases.filter((c) => c.status !== "closed"), inspections, names));
  show(h("h1", {}, "Mijn werk"), ...sections);
}
