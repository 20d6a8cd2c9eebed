// The inspection and checklist screens: render, validate, save every edit with its op.

import { sha256Hex, sniffMime, thumbnail } from "./capture.js";
import { progress, templateItems, validateChecklist, visibleKeys } from "./checklist-logic.js";
import { renderItem } from "./items.js";
import { addressLine, businessName } from "./model.js";
import { checklistState, getMeta, record, records, saveAnswer, saveNote, savePhoto, submitChecklist } from "./store.js";
import { syncSoon, templateRef } from "./sync.js";
import { announce, h, show } from "./ui.js";

const urls = new Map();
const inFlight = new Map();
function thumbUrl(p) {
  if (!p.thumb) return null;
  if (!urls.has(p.id)) urls.set(p.id, URL.createObjectURL(p.thumb));
  return urls.get(p.id);
}

/** The inspection: case summary and its checklists. */
export async function inspectionView(id) {
  const inspection = await record("inspection", id);
  if (!inspection) return show(h("h1", {}, "Controle niet gevonden"), h("p", {}, "Deze controle staat niet (meer) op dit toestel."), h("a", { href: "#/vandaag" }, "Terug naar mijn controles"));
  const c = (await record("case", inspection.case_id)) ?? {};
  const agency = (await getMeta("user"))?.agency;
  const own = (cl) => !cl.agency_id || cl.agency_id === agency;
  const lists = (await records("checklist"))
    .filter((cl) => cl.inspection_id === id)
    .sort((a, b) => Number(own(b)) - Number(own(a)));
  const items = [];
  for (const cl of lists) {
    const t = await record("template", templateRef(cl));
    const meta = [cl.agency_id, cl.status === "submitted" ? "ingediend" : "open", own(cl) ? null : "andere dienst, alleen lezen"];
    items.push(h("li", {}, h("a", { class: "card-link", href: `#/checklist/${cl.id}` },
      h("span", { class: "title" }, t?.title ?? templateRef(cl)),
      h("span", { class: "meta" }, meta.filter(Boolean).join(" · ")))));
  }
  show(
    h("p", {}, h("a", { href: "#/vandaag" }, "← Mijn controles")),
    h("h1", {}, businessName(c) || addressLine(c)),
    h("p", {}, addressLine(c)),
    c.reference ? h("p", { class: "meta" }, `Dossier ${c.reference}`) : null,
    h("h2", {}, "Checklists"),
    items.length ? h("ul", { class: "list" }, items) : h("p", { class: "empty" }, "Nog geen checklist op dit toestel. Synchroniseer als je verbinding hebt."),
  );
}

function markerFor(key, st) {
  const ops = st.outbox.filter((o) => o.op.item_key === key);
  if (ops.some((o) => o.state === "rejected" && !o.seen)) return "rejected";
  if (st.conflicts.some((c) => c.item_key === key && c.status !== "resolved")) return "conflict";
  if (ops.some((o) => o.state === "pending")) return "unsent";
  const a = st.answers.find((x) => x.item_key === key);
  if (a && a.rev) return "saved";
  return null;
}

function valueText(v) {
  if (Array.isArray(v)) return v.join(", ");
  return v === null || v === undefined ? "leeg" : String(v);
}

function noticesFor(key, st) {
  const out = [];
  for (const c of st.conflicts.filter((x) => x.item_key === key && x.status !== "resolved")) {
    const values = (c.candidates ?? []).map((x) => valueText(x.value)).join(" / ");
    out.push({ kind: "conflict", text: `Conflict: dit antwoord is ook door een collega ingevuld (${values}). De teamleider beslist.` });
  }
  for (const m of st.comments.filter((x) => x.item_key === key)) out.push({ kind: "comment", text: `Teamleider: ${m.text}` });
  return out;
}

let renderGen = 0;

/** The checklist screen. */
export async function checklistView(id, { keepFocus = false } = {}) {
  // Renders read IndexedDB asynchronously; only the latest may reach the screen, so an
  // older, slower render can never replace newer state (or a field being filled in).
  const gen = ++renderGen;
  const cl = await record("checklist", id);
  const template = cl ? await record("template", templateRef(cl)) : null;
  if (!cl || !template) {
    return show(h("h1", {}, "Checklist niet beschikbaar"), h("p", {}, "Deze checklist of haar sjabloon staat nog niet op dit toestel. Synchroniseer als je verbinding hebt."), h("a", { href: "#/vandaag" }, "Terug naar mijn controles"));
  }
  const st = await checklistState(id);
  const answers = Object.fromEntries(st.answers.map((a) => [a.item_key, a.value]));
  const photosBy = (key) => st.photos.filter((p) => p.item_key === key && !p.withdrawn_at);
  const count = (key) => photosBy(key).length;
  const visible = visibleKeys(template, answers);
  const submitted = cl.status === "submitted";
  const userAgency = (await getMeta("user"))?.agency;
  // Another agency's checklist: shown as far as that agency released it, never editable.
  const readOnly = Boolean(cl.agency_id && userAgency && cl.agency_id !== userAgency);
  const shownProblems = checklistView.showProblems === id ? validateChecklist(template, answers, count) : {};
  const reason = h("input", { id: "amend-reason", autocomplete: "off", value: checklistView.reason ?? "" });
  reason.addEventListener("input", () => {
    checklistView.reason = reason.value;
  });
  const rerender = () => checklistView(id, { keepFocus: true });

  const ctxFor = (item) => ({
    value: answers[item.key] ?? null,
    locked: readOnly,
    problem: shownProblems[item.key] ?? null,
    marker: markerFor(item.key, st),
    notices: noticesFor(item.key, st),
    notes: st.notes.filter((n) => n.item_key === item.key),
    photos: photosBy(item.key).map((p) => ({ ...p, thumbUrl: thumbUrl(p) })),
    onChange: async (value) => {
      // A field can fire "change" twice (explicit commit, then blur on re-render): only a
      // real change of the value makes an op.
      const key = `${id}/${item.key}`;
      const json = JSON.stringify(value);
      const current = inFlight.has(key) ? inFlight.get(key) : JSON.stringify(answers[item.key] ?? null);
      if (json === current) return;
      if (submitted && !reason.value.trim()) {
        await rerender(); // the field shows the stored value again: nothing was changed
        announce("Vul eerst de reden voor de wijziging in.");
        document.getElementById("amend-error").textContent = "Vul de reden voor de wijziging in; de checklist is al ingediend.";
        document.getElementById("amend-reason")?.focus();
        return;
      }
      inFlight.set(key, json);
      try {
        await saveAnswer(id, item.key, value, submitted ? reason.value.trim() : undefined);
        syncSoon();
        await rerender();
      } finally {
        inFlight.delete(key);
      }
    },
    onNote: async (text) => {
      await saveNote(id, item.key, text);
      syncSoon();
      announce("Notitie opgeslagen.");
      await rerender();
    },
    onPhoto: async (file) => {
      const mime = await sniffMime(file);
      if (!mime) {
        announce("Dit bestand is geen JPEG-, PNG- of WebP-foto.");
        return;
      }
      const [sha256, thumb] = await Promise.all([sha256Hex(file), thumbnail(file)]);
      await savePhoto({ checklistId: id, itemKey: item.key, blob: file, sha256, mime, thumb });
      syncSoon();
      announce("Foto opgeslagen op dit toestel.");
      await rerender();
    },
  });

  const sections = template.sections.map((s) => {
    const items = s.items.filter((i) => visible.has(i.key));
    if (!items.length) return null;
    return h("section", { class: "section", "aria-labelledby": `s-${s.key}` }, h("h2", { id: `s-${s.key}` }, s.title), items.map((i) => renderItem(i, ctxFor(i))));
  });
  const p = progress(template, answers, count);
  const problemKeys = Object.keys(shownProblems);
  const byKey = new Map(templateItems(template).map((i) => [i.key, i]));
  const summary = problemKeys.length
    ? h("div", { class: "error-summary", role: "alert", tabindex: "-1", id: "error-summary" },
        h("h2", {}, "Nog niet compleet"),
        h("ul", {}, problemKeys.map((k) => h("li", {}, h("a", { href: `#block-${k}`, onclick: (e) => { e.preventDefault(); document.getElementById(`block-${k}`)?.querySelector("input,textarea,button")?.focus(); } }, `${byKey.get(k).label}: ${shownProblems[k]}`)))))
    : null;
  const submit = h("button", { type: "button", class: "primary", id: "submit-checklist" }, "Indienen");
  submit.addEventListener("click", async () => {
    const problems = validateChecklist(template, answers, count);
    if (Object.keys(problems).length) {
      checklistView.showProblems = id;
      await checklistView(id);
      document.getElementById("error-summary")?.focus();
      return;
    }
    if (!window.confirm("Checklist indienen? Daarna zijn wijzigingen aanvullingen met een reden.")) return;
    await submitChecklist(id);
    syncSoon();
    announce("Checklist ingediend.");
    await checklistView(id);
  });
  if (gen !== renderGen) return;
  const focusedId = keepFocus ? document.activeElement?.id : null;
  const scroll = window.scrollY;
  const openNotes = Array.from(document.querySelectorAll("details.notes[open]"), (d) => d.id);
  show.quiet = keepFocus;
  show(
    h("p", {}, h("a", { href: `#/controle/${cl.inspection_id}` }, "← Terug naar de controle")),
    h("h1", {}, template.title),
    h("p", { class: "progress-line" }, h("progress", { max: p.total || 1, value: p.done, "aria-label": "Voortgang" }), ` ${p.done} van ${p.total} beantwoord`),
    st.comments.filter((c) => !c.item_key).map((c) => h("p", { class: "notice notice-comment", role: "note" }, `Teamleider: ${c.text}`)),
    readOnly ? h("p", { class: "notice notice-comment", role: "note" }, `Deze checklist is van ${cl.agency_id}. Je ziet alleen wat die dienst heeft vrijgegeven en kunt niets wijzigen.`) : null,
    submitted && !readOnly
      ? h("div", { class: "card amend" }, h("p", {}, "Deze checklist is ingediend. Een wijziging is een aanvulling met een reden."),
          h("label", { for: "amend-reason" }, "Reden voor wijziging"), reason, h("p", { class: "error", id: "amend-error" }))
      : null,
    summary,
    h("form", { class: "checklist", novalidate: true, onsubmit: (e) => e.preventDefault() }, sections),
    submitted || readOnly ? null : h("div", { class: "submit-bar" }, submit),
  );
  show.quiet = false;
  for (const noteId of openNotes) document.getElementById(noteId)?.setAttribute("open", "");
  if (keepFocus) {
    window.scrollTo(0, scroll);
    if (focusedId) document.getElementById(focusedId)?.focus({ preventScroll: true });
  }
}
