// The "Aandacht nodig" list and the "Status" screen (sync details, storage, logout).

import { formatBytes, handInState } from "./handin.js";
import { describeOp } from "./ops.js";
import { itemOf, valueLabel } from "./checklist-logic.js";
import { agencyMap, agencyName } from "./model.js";
import { getMeta, markSeen, markTaskSeen, outbox, photos, records, seenTasks, setMeta, withdrawPhoto } from "./store.js";
import { status, syncSoon, templateRef } from "./sync.js";
import { openTasks } from "./worklist.js";
import { announce, clock, h, show } from "./ui.js";

const TRIGGERS = {
  start: "app gestart",
  online: "verbinding terug",
  visible: "app weer geopend",
  focus: "app weer in beeld",
  timer: "automatisch",
  edit: "na een wijziging",
  manual: "Nu synchroniseren",
  background: "achtergrond",
};

const TASK_TITLE = {
  returned: "Teruggestuurd door de teamleider",
  comment: "Opmerking van de teamleider",
  conflict: "Conflict: een collega vulde hetzelfde anders in",
};

/** Find the template item of any checklist on the phone: (checklistId, key) → item or null. */
async function itemLookup() {
  const lists = new Map((await records("checklist")).map((cl) => [cl.id, cl]));
  const templates = new Map((await records("template")).map((t) => [t.ref, t]));
  return (checklistId, key) => {
    const cl = lists.get(checklistId);
    return cl ? itemOf(templates.get(templateRef(cl)), key) : null;
  };
}

/** Tasks (returned checklists, comments, conflicts), then refused changes and photos. */
export async function attentionView(rerender) {
  // Rows of evicted cases stay on the phone only for a restore; no screen shows them.
  const rejected = (await outbox()).filter((o) => o.state === "rejected" && !o.evicted);
  const refused = (await photos()).filter((p) => p.state === "rejected" && !p.evicted);
  // A refused photo is never "safe to hand in": the inspector withdraws it, with a reason.
  const withdrawForm = (p) => {
    const id = `withdraw-${p.id}`;
    return h("form", { class: "withdraw", onsubmit: async (e) => {
      e.preventDefault();
      const reason = e.target.elements.reason.value.trim();
      if (!reason) return;
      await withdrawPhoto(p.id, reason);
      syncSoon();
      rerender();
    } },
    h("label", { for: id }, "Reden van intrekken"),
    h("input", { id, name: "reason", required: true, maxlength: 2000 }),
    h("button", { type: "submit", class: "secondary" }, "Foto intrekken"));
  };
  const lookup = await itemLookup();
  const label = (cid, key) => lookup(cid, key)?.label ?? "een vraag die niet meer op dit toestel staat";
  const [checklists, comments, conflicts, user, seen] = await Promise.all([records("checklist"), records("comment"), records("conflict"), getMeta("user"), seenTasks()]);
  const byId = new Map(comments.map((c) => [`comment:${c.id}`, c]));
  const tasks = openTasks({ checklists, comments, conflicts, user, seen });
  const taskRows = tasks.map((t) => {
    const comment = byId.get(t.id);
    const returnText = t.kind === "returned" ? comments.filter((c) => c.checklist_id === t.checklist_id).at(-1)?.text : null;
    return h("li", { class: "card attention task", dataset: { task: t.kind } },
      h("p", { class: "title" }, h("span", { class: "badge badge-task" }, TASK_TITLE[t.kind])),
      t.item_key ? h("p", {}, `Bij “${label(t.checklist_id, t.item_key)}”`) : null,
      comment ? h("p", {}, `Teamleider: ${comment.text}`) : returnText ? h("p", {}, `Teamleider: ${returnText}`) : null,
      t.kind === "returned" ? h("p", {}, "Pas de checklist aan (met een reden) en dien haar opnieuw in.") : null,
      h("p", {}, h("a", { href: `#/checklist/${t.checklist_id}` }, "Naar de checklist")),
      t.kind === "returned" ? null : h("button", { type: "button", class: "secondary", onclick: async () => { await markTaskSeen(t.id); rerender(); } }, "Gezien"));
  });
  const rows = [
    ...rejected.map((o) => {
      const item = o.op.item_key ? label(o.op.checklist_id, o.op.item_key) : null;
      return h("li", { class: `card attention${o.seen ? " seen" : ""}`, dataset: { seq: o.seq } },
        h("p", { class: "title" }, describeOp(o.op, () => item)),
        o.op.value !== undefined ? h("p", {}, `Waarde: ${valueLabel(lookup(o.op.checklist_id, o.op.item_key), o.op.value)}`) : null,
        h("p", { class: "error" }, o.problem?.detail ?? o.problem?.title ?? "De server heeft deze wijziging geweigerd."),
        o.op.checklist_id ? h("p", {}, h("a", { href: `#/checklist/${o.op.checklist_id}` }, "Naar de checklist")) : null,
        o.seen ? h("p", { class: "meta" }, "Gezien") : h("button", { type: "button", class: "secondary", onclick: async () => { await markSeen(o.seq); rerender(); } }, "Gezien"));
    }),
    ...refused.map((p) =>
      h("li", { class: `card attention${p.withdrawn_at ? " seen" : ""}` },
        h("p", { class: "title" }, p.item_key ? `Foto bij “${label(p.checklist_id, p.item_key)}” geweigerd` : "Foto geweigerd"),
        h("p", { class: "error" }, p.reject_reason ?? "De server heeft deze foto niet geaccepteerd."),
        p.withdrawn_at ? h("p", { class: "meta" }, `Ingetrokken: ${p.withdraw_reason ?? ""}`) : withdrawForm(p))),
  ];
  show(
    h("h1", {}, "Aandacht nodig"),
    h("h2", {}, "Taken"),
    taskRows.length ? h("ul", { class: "list", id: "task-list" }, taskRows) : h("p", { class: "empty" }, "Geen teruggestuurde checklists, opmerkingen of conflicten."),
    h("h2", {}, "Geweigerde wijzigingen"),
    h("p", {}, "Deze wijzigingen heeft de server geweigerd. Ze staan wel in het logboek van de server. Neem ze zo nodig opnieuw op; de rest van je werk wordt gewoon verstuurd."),
    rows.length ? h("ul", { class: "list", id: "attention-list" }, rows) : h("p", { class: "empty" }, "Niets: alles is verwerkt."),
  );
}

const PERMISSION = {
  granted: "Je hebt de app toegang gegeven tot je locatie.",
  denied: "Je browser weigert de app je locatie. Foto's krijgen geen plaats.",
  prompt: "Bij de eerste foto vraagt de telefoon of de app je locatie mag gebruiken.",
};

/** Whether photos record a place, and the switch to refuse it in the app itself. */
async function locationBlock() {
  const off = await getMeta("geo_off", false);
  let permission = null;
  try {
    permission = (await navigator.permissions?.query?.({ name: "geolocation" }))?.state ?? null;
  } catch {
    permission = null;
  }
  const box = h("input", { type: "checkbox", id: "geo-on", checked: !off });
  box.addEventListener("change", async () => {
    await setMeta({ geo_off: !box.checked });
    announce(box.checked ? "Foto's krijgen weer een plaats als de telefoon die weet." : "Foto's krijgen geen plaats meer.");
  });
  return h("section", { "aria-labelledby": "h-geo" },
    h("h2", { id: "h-geo" }, "Plaats en tijd bij foto's"),
    h("p", {}, "Bij elke foto legt de app de tijd vast: uit de foto zelf (EXIF) als die erin staat, anders het moment dat de camera de foto aan de app gaf. Als je het toestaat ook de plaats (met de nauwkeurigheid), voor het bewijs. Een foto wacht nooit op de plaats."),
    h("label", { class: "choice", for: "geo-on" }, box, h("span", {}, "Plaats vastleggen bij foto's")),
    h("p", { class: "meta", id: "geo-permission" }, off ? "Uitgezet in de app: de app vraagt je locatie niet." : PERMISSION[permission] ?? "De telefoon vraagt bij de eerste foto om toestemming."));
}

/** Diagnostics and account: unsent work, storage, logout. */
export async function statusView(onLogout) {
  const st = handInState(await outbox(), await photos());
  const est = (await navigator.storage?.estimate?.()) ?? {};
  const persisted = (await navigator.storage?.persisted?.()) ?? false;
  const user = await getMeta("user");
  const last = await getMeta("last_sync");
  show(
    h("h1", {}, "Status"),
    h("dl", { class: "facts" },
      h("dt", {}, "Ingelogd als"), h("dd", {}, user ? `${user.name} (${agencyName(user.agency, agencyMap(await records("agency")))})` : "—"),
      h("dt", {}, "Verbinding"), h("dd", {}, status.online ? "Online" : "Offline"),
      h("dt", {}, "Niet verzonden wijzigingen"), h("dd", {}, String(st.unsent)),
      h("dt", {}, "Foto's nog te uploaden"), h("dd", {}, `${st.photosOpen} (${formatBytes(st.photoBytes)})`),
      h("dt", {}, "Laatst gesynchroniseerd"), h("dd", {}, last ? clock(last) : "nog niet"),
      h("dt", {}, "Opslag op dit toestel"), h("dd", {}, est.usage != null ? `${formatBytes(est.usage)} van ${formatBytes(est.quota ?? 0)}` : "onbekend"),
      h("dt", {}, "Blijvende opslag"), h("dd", {}, persisted ? "Ja" : "Nee (de browser kan gegevens opruimen)"),
      status.trigger ? [h("dt", {}, "Laatste aanleiding"), h("dd", {}, TRIGGERS[status.trigger] ?? status.trigger)] : null,
      status.error ? [h("dt", {}, "Laatste fout"), h("dd", {}, status.error)] : null),
    await locationBlock(),
    h("h2", {}, "Uitloggen"),
    h("p", {}, st.unsent || st.photosOpen ? "Let op: er staat nog werk op dit toestel dat de server niet heeft." : "Alles staat op de server."),
    h("button", { type: "button", class: "secondary", id: "logout", onclick: onLogout }, "Uitloggen"),
  );
}
