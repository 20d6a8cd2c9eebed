// The "Aandacht nodig" list and the "Status" screen (sync details, storage, logout).

import { formatBytes, handInState } from "./handin.js";
import { describeOp } from "./ops.js";
import { getMeta, markSeen, outbox, photos, withdrawPhoto } from "./store.js";
import { status, syncSoon } from "./sync.js";
import { clock, h, show } from "./ui.js";

const TRIGGERS = {
  start: "app gestart",
  online: "verbinding terug",
  visible: "app weer geopend",
  timer: "automatisch",
  edit: "na een wijziging",
  manual: "Nu synchroniseren",
  background: "achtergrond",
};

/** Rejected ops and refused photos, each with the server's reason. */
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
  const rows = [
    ...rejected.map((o) =>
      h("li", { class: `card attention${o.seen ? " seen" : ""}`, dataset: { seq: o.seq } },
        h("p", { class: "title" }, describeOp(o.op)),
        o.op.value !== undefined ? h("p", {}, `Waarde: ${JSON.stringify(o.op.value)}`) : null,
        h("p", { class: "error" }, o.problem?.detail ?? o.problem?.title ?? "De server heeft deze wijziging geweigerd."),
        o.op.checklist_id ? h("p", {}, h("a", { href: `#/checklist/${o.op.checklist_id}` }, "Naar de checklist")) : null,
        o.seen ? h("p", { class: "meta" }, "Gezien") : h("button", { type: "button", class: "secondary", onclick: async () => { await markSeen(o.seq); rerender(); } }, "Gezien"))),
    ...refused.map((p) =>
      h("li", { class: `card attention${p.withdrawn_at ? " seen" : ""}` },
        h("p", { class: "title" }, "Foto geweigerd"),
        h("p", { class: "error" }, p.reject_reason ?? "De server heeft deze foto niet geaccepteerd."),
        p.withdrawn_at ? h("p", { class: "meta" }, `Ingetrokken: ${p.withdraw_reason ?? ""}`) : withdrawForm(p))),
  ];
  show(
    h("h1", {}, "Aandacht nodig"),
    h("p", {}, "Deze wijzigingen heeft de server geweigerd. Ze staan wel in het logboek van de server. Neem ze zo nodig opnieuw op; de rest van je werk wordt gewoon verstuurd."),
    rows.length ? h("ul", { class: "list", id: "attention-list" }, rows) : h("p", { class: "empty" }, "Niets: alles is verwerkt."),
  );
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
      h("dt", {}, "Ingelogd als"), h("dd", {}, user ? `${user.name} (${user.agency})` : "—"),
      h("dt", {}, "Verbinding"), h("dd", {}, status.online ? "Online" : "Offline"),
      h("dt", {}, "Niet verzonden wijzigingen"), h("dd", {}, String(st.unsent)),
      h("dt", {}, "Foto's nog te uploaden"), h("dd", {}, `${st.photosOpen} (${formatBytes(st.photoBytes)})`),
      h("dt", {}, "Laatst gesynchroniseerd"), h("dd", {}, last ? clock(last) : "nog niet"),
      h("dt", {}, "Opslag op dit toestel"), h("dd", {}, est.usage != null ? `${formatBytes(est.usage)} van ${formatBytes(est.quota ?? 0)}` : "onbekend"),
      h("dt", {}, "Blijvende opslag"), h("dd", {}, persisted ? "Ja" : "Nee (de browser kan gegevens opruimen)"),
      status.trigger ? [h("dt", {}, "Laatste aanleiding"), h("dd", {}, TRIGGERS[status.trigger] ?? status.trigger)] : null,
      status.error ? [h("dt", {}, "Laatste fout"), h("dd", {}, status.error)] : null),
    h("h2", {}, "Uitloggen"),
    h("p", {}, st.unsent || st.photosOpen ? "Let op: er staat nog werk op dit toestel dat de server niet heeft." : "Alles staat op de server."),
    h("button", { type: "button", class: "secondary", id: "logout", onclick: onLogout }, "Uitloggen"),
  );
}
