// The inspection and checklist screens: render, validate, save every edit with its op.

import { sha256Hex, sniffMime, thumbnail } from "./capture.js";
import { progress, templateItems, validateChecklist, valueLabel, visibleKeys } from "./checklist-logic.js";
import { renderItem } from "./items.js";
import { captureTime, locate, positionSoon, readExifTime } from "./photometa.js";
import { addressLine, agencyMap, agencyName, businessName } from "./model.js";
import { checklistState, getMeta, markTaskSeen, record, records, saveAnswer, saveNote, savePhoto, seenTasks, submitChecklist } from "./store.js";
import { syncSoon, templateRef } from "./sync.js";
import { announce, h, show } from "./ui.js";
import { checklistStatus, mayWrite, tasksOf } from "./worklist.js";

const STATUS_TEXT = { open: "open", ingediend: "ingediend", teruggestuurd: "teruggestuurd", conflict: "ingediend, met conflict" };

/** Why a record is not on the phone: "Deze zaak is afgesloten" or "not synchronised yet". */
async function goneText(id, what) {
  const gone = await record("gone", id);
  if (gone?.reason === "case-closed") return `Deze zaak is afgesloten. De ${what} is daarom van dit toestel gehaald; wat je hebt ingevuld staat op de server.`;
  if (gone) return `Je hebt geen toegang meer tot deze ${what} (bijvoorbeeld omdat de controle aan een ander is toegewezen). Wat je hebt ingevuld staat op de server.`;
  return `Deze ${what} staat nog niet op dit toestel. Synchroniseer als je verbinding hebt.`;
}

/** "7 van 13 beantwoord" from the server's progress of a checklist, or null. */
function serverProgress(cl) {
  const p = cl.progress;
  if (!p || typeof p.answered !== "number") return null;
  return `${p.answered} van ${p.visible} beantwoord${p.required ? `, ${p.required - p.missing} van ${p.required} verplicht` : ""}`;
}

const urls = new Map();
const inFlight = new Map();
const savedSince = new Map(); // field → value saved after the checklist on screen was read
function thumbUrl(p) {
  if (!p.thumb) return null;
  if (!urls.has(p.id)) urls.set(p.id, URL.createObjectURL(p.thumb));
  return urls.get(p.id);
}

/** The inspection: case summary and its checklists. */
export async function inspectionView(id) {
  const inspection = await record("inspection", id);
  if (!inspection) return show(h("h1", {}, "Controle niet beschikbaar"), h("p", {}, await goneText(id, "controle")), h("p", {}, h("a", { href: "#/vandaag" }, "Terug naar mijn werk")));
  const c = (await record("case", inspection.case_id)) ?? {};
  const user = await getMeta("user");
  const agency = user?.agency;
  const names = agencyMap(await records("agency"));
  const conflicts = await records("conflict");
  const own = (cl) => !cl.agency_id || cl.agency_id === agency;
  const lists = (await records("checklist"))
    .filter((cl) => cl.inspection_id === id)
    .sort((a, b) => Number(own(b)) - Number(own(a)));
  const items = [];
  for (const cl of lists) {
    const t = await record("template", templateRef(cl));
    const writable = mayWrite(user, inspection, cl, c);
    const meta = [agencyName(cl.agency_id, names), STATUS_TEXT[checklistStatus(cl, conflicts)], own(cl) ? null : serverProgress(cl), writable ? null : own(cl) ? "alleen lezen" : "andere dienst, alleen lezen"];
    items.push(h("li", {}, h("a", { class: "card-link", href: `#/checklist/${cl.id}` },
      h("span", { class: "title" }, t?.title ?? templateRef(cl)),
      h("span", { class: "meta" }, meta.filter(Boolean).join(" · ")))));
  }
  show(
    h("p", {}, h("a", { href: "#/vandaag" }, "← Mijn werk")),
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

function noticesFor(item, st, seen) {
  const key = item.key;
  const out = [];
  for (const c of st.conflicts.filter((x) => x.item_key === key && x.status !== "resolved")) {
    const values = (c.candidates ?? []).map((x) => valueLabel(item, x.value)).join(" / ");
    const task = `conflict:${c.id}`;
    out.push({ kind: "conflict", text: `Conflict: dit antwoord is ook door een collega ingevuld (${values}). De teamleider beslist.`, task, seen: seen.has(task) });
  }
  for (const m of st.comments.filter((x) => x.item_key === key)) {
    const task = `comment:${m.id}`;
    out.push({ kind: "comment", text: `Teamleider: ${m.text}`, task, seen: seen.has(task) });
  }
  return out;
}

function commentNotice(c, seen, rerender) {
  const task = `comment:${c.id}`;
  return h("div", { class: "notice notice-comment", role: "note" },
    h("p", {}, `Teamleider: ${c.text}`),
    seen.has(task) ? null : h("button", { type: "button", class: "secondary small", dataset: { task }, onclick: async () => { await markTaskSeen(task); await rerender(); } }, "Gezien"));
}

/** Another agency's checklist: who owns it, its status and progress, and what it released. */
function foreignChecklist(cl, template, st, names) {
  const agency = agencyName(cl.agency_id, names);
  const released = new Set(st.answers.map((a) => a.item_key));
  for (const p of st.photos) if (p.item_key) released.add(p.item_key);
  const items = templateItems(template).filter((i) => released.has(i.key));
  const answers = new Map(st.answers.map((a) => [a.item_key, a.value]));
  const status = cl.status === "submitted" ? "Ingediend" : "Nog niet ingediend";
  show(
    h("p", {}, h("a", { href: `#/controle/${cl.inspection_id}` }, "← Terug naar de controle")),
    h("h1", {}, template.title),
    h("dl", { class: "facts", id: "foreign-facts" },
      h("dt", {}, "Dienst"), h("dd", {}, agency),
      h("dt", {}, "Status"), h("dd", {}, status),
      h("dt", {}, "Voortgang"), h("dd", {}, serverProgress(cl) ?? "onbekend (synchroniseer)")),
    h("p", { class: "notice notice-comment", role: "note" }, `Deze checklist is van ${agency}. Je ziet alleen de onderdelen die ${agency} met deze zaak heeft gedeeld; de rest is niet leeg, maar niet vrijgegeven.`),
    h("h2", {}, "Vrijgegeven onderdelen"),
    items.length
      ? h("dl", { class: "facts released", id: "released-items" }, items.map((i) => {
          const photoCount = st.photos.filter((p) => p.item_key === i.key && !p.withdrawn_at).length;
          const value = answers.has(i.key) ? valueLabel(i, answers.get(i.key)) : null;
          return [h("dt", {}, i.label), h("dd", {}, [value, photoCount ? `${photoCount} foto${photoCount === 1 ? "" : "'s"}` : null].filter(Boolean).join(" · ") || "leeg")];
        }))
      : h("p", { class: "empty", id: "released-items" }, `${agency} heeft nog niets van deze checklist vrijgegeven.`),
  );
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
    if (gen !== renderGen) return;
    return show(h("h1", {}, "Checklist niet beschikbaar"), h("p", {}, await goneText(id, "checklist")), h("p", {}, h("a", { href: "#/vandaag" }, "Terug naar mijn werk")));
  }
  const st = await checklistState(id);
  const answers = Object.fromEntries(st.answers.map((a) => [a.item_key, a.value]));
  const photosBy = (key) => st.photos.filter((p) => p.item_key === key && !p.withdrawn_at);
  const count = (key) => photosBy(key).length;
  const visible = visibleKeys(template, answers);
  const submitted = cl.status === "submitted";
  const user = await getMeta("user");
  const inspection = await record("inspection", cl.inspection_id);
  const kase = await record("case", cl.case_id ?? inspection?.case_id);
  const names = agencyMap(await records("agency"));
  // Another agency's checklist: its metadata and the items it released, nothing else.
  if (cl.agency_id && user?.agency && cl.agency_id !== user.agency) {
    if (gen !== renderGen) return;
    return foreignChecklist(cl, template, st, names);
  }
  // Only what this user may write is writable (a team lead reads; the server would refuse).
  const readOnly = !mayWrite(user, inspection, cl, kase);
  const seen = await seenTasks();
  const tasks = tasksOf(cl, st.comments, st.conflicts, seen);
  const returned = tasks.some((t) => t.kind === "returned");
  const shownProblems = checklistView.showProblems === id ? validateChecklist(template, answers, count) : {};
  const reason = h("input", { id: "amend-reason", autocomplete: "off", value: checklistView.reason ?? "" });
  reason.addEventListener("input", () => {
    checklistView.reason = reason.value;
    if (reason.value.trim()) checklistView.amendError = null;
  });
  // A refused amendment's message is state, not DOM: a redraw after a sync round keeps it.
  const amendError = checklistView.amendError?.id === id ? checklistView.amendError.text : "";
  const rerender = () => checklistView(id, { keepFocus: true });

  const ctxFor = (item) => ({
    value: answers[item.key] ?? null,
    locked: readOnly,
    problem: shownProblems[item.key] ?? null,
    marker: markerFor(item.key, st),
    notices: noticesFor(item, st, seen),
    onLocate: async () => {
      if (!(await getMeta("geo_off", false))) locate();
    },
    onSeen: async (task) => {
      await markTaskSeen(task);
      await rerender();
    },
    notes: st.notes.filter((n) => n.item_key === item.key),
    photos: photosBy(item.key).map((p) => ({ ...p, thumbUrl: thumbUrl(p) })),
    onChange: async (value) => {
      // A field can fire "change" twice (explicit commit, then blur on re-render): only a
      // real change of the value makes an op.
      const key = `${id}/${item.key}`;
      const json = JSON.stringify(value);
      // What is stored now: a save since this render was drawn wins over the render's copy
      // (a quick second tap can land on the old screen before the new one is shown).
      const current = inFlight.has(key) ? inFlight.get(key) : savedSince.has(key) ? savedSince.get(key) : JSON.stringify(answers[item.key] ?? null);
      if (json === current) return;
      if (submitted && !reason.value.trim()) {
        checklistView.amendError = { id, text: "Vul de reden voor de wijziging in; de checklist is al ingediend." };
        await rerender(); // the field shows the stored value again: nothing was changed
        announce("Vul eerst de reden voor de wijziging in.");
        document.getElementById("amend-reason")?.focus();
        return;
      }
      inFlight.set(key, json);
      try {
        await saveAnswer(id, item.key, value, submitted ? reason.value.trim() : undefined);
        savedSince.set(key, json);
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
      // The moment the camera (or gallery) handed the photo over; EXIF wins when present.
      const returnedAt = new Date();
      const geoOn = !(await getMeta("geo_off", false));
      const [sha256, thumb, head, geo] = await Promise.all([
        sha256Hex(file),
        thumbnail(file),
        file.slice(0, 256 * 1024).arrayBuffer(),
        mime === "image/png" && item.type === "signature" ? null : positionSoon(geoOn),
      ]);
      const when = captureTime(mime === "image/jpeg" ? readExifTime(new Uint8Array(head)) : null, returnedAt);
      await savePhoto({ checklistId: id, itemKey: item.key, blob: file, sha256, mime, thumb, geo, capturedAt: when.at, captureSource: when.source });
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
  const submit = h("button", { type: "button", class: "primary", id: "submit-checklist" }, returned ? "Opnieuw indienen" : "Indienen");
  submit.addEventListener("click", async () => {
    const problems = validateChecklist(template, answers, count);
    if (Object.keys(problems).length) {
      checklistView.showProblems = id;
      await checklistView(id);
      document.getElementById("error-summary")?.focus();
      return;
    }
    if (!window.confirm(returned ? "Checklist opnieuw indienen bij de teamleider?" : "Checklist indienen? Daarna zijn wijzigingen aanvullingen met een reden.")) return;
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
  for (const k of savedSince.keys()) if (k.startsWith(`${id}/`) && JSON.stringify(answers[k.slice(id.length + 1)] ?? null) === savedSince.get(k)) savedSince.delete(k);
  show(
    h("p", {}, h("a", { href: `#/controle/${cl.inspection_id}` }, "← Terug naar de controle")),
    h("h1", {}, template.title),
    h("p", { class: "progress-line" }, h("progress", { max: p.total || 1, value: p.done, "aria-label": "Voortgang" }), ` ${p.done} van ${p.total} beantwoord`),
    returned
      ? h("div", { class: "notice notice-returned", role: "note", id: "returned-notice" },
          h("p", {}, h("strong", {}, "Teruggestuurd door de teamleider.")),
          h("p", {}, "Pas aan wat gevraagd wordt (elke wijziging met een reden) en dien de checklist opnieuw in."))
      : null,
    st.comments.filter((c) => !c.item_key).map((c) => commentNotice(c, seen, rerender)),
    readOnly ? h("p", { class: "notice notice-comment", role: "note", id: "read-only-notice" }, (user?.roles ?? []).includes("teamlead") ? "Je bent teamleider: je kunt deze checklist lezen, niet invullen. Reageren of terugsturen doe je in de regie-omgeving." : "Je kunt deze checklist lezen, niet invullen: je bent niet aan deze controle toegewezen of de zaak is afgesloten.") : null,
    submitted && !readOnly
      ? h("div", { class: "card amend" }, h("p", {}, "Deze checklist is ingediend. Een wijziging is een aanvulling met een reden."),
          h("label", { for: "amend-reason" }, "Reden voor wijziging"), reason, h("p", { class: "error", id: "amend-error" }, amendError))
      : null,
    summary,
    h("form", { class: "checklist", novalidate: true, onsubmit: (e) => e.preventDefault() }, sections),
    readOnly || (submitted && !returned) ? null : h("div", { class: "submit-bar" }, submit),
  );
  show.quiet = false;
  for (const noteId of openNotes) document.getElementById(noteId)?.setAttribute("open", "");
  if (keepFocus) {
    window.scrollTo(0, scroll);
    if (focusedId) document.getElementById(focusedId)?.focus({ preventScroll: true });
  }
}
