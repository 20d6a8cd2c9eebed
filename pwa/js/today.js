// "Vandaag": the inspector's assigned inspections for today and the coming days.

import { addressLine, agencies, businessName, checklistsOf } from "./model.js";
import { records } from "./store.js";
import { dutchDate, h, localDate, show } from "./ui.js";

function dateOf(i) {
  return i.scheduled_date ?? (i.scheduled_at ? String(i.scheduled_at).slice(0, 10) : "");
}

function card(inspection, cases, checklists) {
  const c = cases.get(inspection.case_id) ?? {};
  const name = businessName(c);
  const lists = checklistsOf(inspection, checklists);
  const time = inspection.scheduled_time ?? "";
  return h(
    "li",
    { class: "inspection" },
    h(
      "a",
      { href: `#/controle/${inspection.id}`, class: "card-link" },
      h("span", { class: "time" }, time || "Hele dag"),
      h("span", { class: "title" }, name || addressLine(c)),
      name ? h("span", { class: "address" }, addressLine(c)) : null,
      h("span", { class: "meta" }, [c.reference, agencies(c, lists).join(", ")].filter(Boolean).join(" · ")),
      h("span", { class: "meta" }, `${lists.length} checklist${lists.length === 1 ? "" : "s"}`),
    ),
  );
}

/** Render the list from IndexedDB only (works offline). */
export async function todayView() {
  const [inspections, caseList, checklists] = await Promise.all([records("inspection"), records("case"), records("checklist")]);
  const cases = new Map(caseList.map((c) => [c.id, c]));
  const today = localDate();
  const upcoming = inspections
    .filter((i) => dateOf(i) >= today && i.status !== "cancelled")
    .sort((a, b) => `${dateOf(a)} ${a.scheduled_time ?? ""}`.localeCompare(`${dateOf(b)} ${b.scheduled_time ?? ""}`));
  const groups = new Map();
  for (const i of upcoming) {
    const d = dateOf(i);
    if (!groups.has(d)) groups.set(d, []);
    groups.get(d).push(i);
  }
  const sections = [];
  if (!groups.has(today)) {
    sections.push(h("section", { "aria-labelledby": "g-today" }, h("h2", { id: "g-today" }, "Vandaag"), h("p", { class: "empty" }, "Geen controles gepland voor vandaag.")));
  }
  for (const [d, list] of groups) {
    const id = `g-${d}`;
    const title = d === today ? "Vandaag" : dutchDate(d);
    sections.push(h("section", { "aria-labelledby": id }, h("h2", { id }, title), h("ul", { class: "list", id: d === today ? "today-list" : null }, list.map((i) => card(i, cases, checklists)))));
  }
  show(h("h1", {}, "Mijn controles"), ...sections);
}
