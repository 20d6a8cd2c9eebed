// "Nieuwe controle ter plaatse": a business or address found on site becomes a case with an
// inspection and a checklist of the inspector's agency, created on the phone (offline too).

import { agencyMap } from "./model.js";
import { checkNewCase, REASONS, templatesFor } from "./newcase.js";
import { getMeta, records, saveNewCase } from "./store.js";
import { syncSoon } from "./sync.js";
import { announce, h, show } from "./ui.js";

function field(id, label, attrs = {}, help = null) {
  const input = h("input", { id, name: id, autocomplete: "off", "aria-describedby": `${help ? `${id}-help ` : ""}${id}-error`, ...attrs });
  return h("div", { class: "field", dataset: { field: id } },
    h("label", { for: id }, label),
    help ? h("p", { class: "help", id: `${id}-help` }, help) : null,
    input,
    h("p", { class: "error", id: `${id}-error` }));
}

/** The form; on success the new checklist opens at once. */
export async function newInspectionView() {
  const user = await getMeta("user");
  const kind = agencyMap(await records("agency")).get(user?.agency)?.kind ?? null;
  const templates = templatesFor(await records("template"), kind);
  if (!(user?.roles ?? []).includes("inspector")) {
    return show(h("h1", {}, "Nieuwe controle ter plaatse"), h("p", {}, "Alleen een inspecteur kan ter plaatse een controle starten."), h("p", {}, h("a", { href: "#/vandaag" }, "Terug naar mijn werk")));
  }
  const select = h("select", { id: "template", name: "template", "aria-describedby": "template-error" },
    templates.length > 1 ? h("option", { value: "" }, "Kies een checklist") : null,
    templates.map((t) => h("option", { value: t.ref }, t.title)));
  const category = h("select", { id: "category", name: "category", "aria-describedby": "category-error" },
    REASONS.map((r) => h("option", { value: r.key }, r.label)));
  const explanation = h("textarea", { id: "explanation", name: "explanation", rows: 3, maxlength: 4000, "aria-describedby": "explanation-help explanation-error" });
  const summary = h("div", { class: "error-summary", id: "new-errors", tabindex: "-1", role: "alert", hidden: true });
  const form = h("form", { class: "new-inspection-form", novalidate: true },
    h("fieldset", {}, h("legend", {}, "Adres"),
      field("postcode", "Postcode", { autocapitalize: "characters", inputmode: "text", maxlength: 7 }, "Vier cijfers en twee letters, zoals 9711 AB."),
      field("huisnummer", "Huisnummer", { inputmode: "numeric", maxlength: 5 }),
      field("toevoeging", "Toevoeging (optioneel)", { maxlength: 4 }),
      field("street", "Straat (optioneel)", { maxlength: 200 }),
      field("city", "Plaats (optioneel)", { maxlength: 100 })),
    h("fieldset", {}, h("legend", {}, "Bedrijf"),
      field("name", "Naam van het bedrijf", { maxlength: 200 }),
      field("kvk", "KvK-nummer (optioneel)", { inputmode: "numeric", maxlength: 10 }, "8 cijfers.")),
    h("fieldset", {}, h("legend", {}, "Waarom deze controle"),
      h("div", { class: "field" }, h("label", { for: "category" }, "Reden"), category, h("p", { class: "error", id: "category-error" })),
      h("div", { class: "field" }, h("label", { for: "explanation" }, "Toelichting"),
        h("p", { class: "help", id: "explanation-help" }, "Wat zag of hoorde je? Minstens 10 tekens."), explanation, h("p", { class: "error", id: "explanation-error" }))),
    h("div", { class: "field" }, h("label", { for: "template" }, "Checklist"), select, h("p", { class: "error", id: "template-error" })),
    templates.length ? null : h("p", { class: "error" }, "Er staat nog geen checklist van je dienst op dit toestel. Synchroniseer één keer met verbinding."),
    h("div", { class: "submit-bar" }, h("button", { type: "submit", class: "primary", id: "create-inspection" }, "Controle starten")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    const checked = checkNewCase(values);
    for (const el of form.querySelectorAll(".error[id$='-error']")) el.textContent = "";
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    const keys = Object.keys(checked.errors);
    if (keys.length) {
      for (const k of keys) {
        document.getElementById(`${k}-error`).textContent = checked.errors[k];
        document.getElementById(k)?.setAttribute("aria-invalid", "true");
      }
      summary.hidden = false;
      summary.replaceChildren(h("h2", {}, "Nog niet compleet"),
        h("ul", {}, keys.map((k) => h("li", {}, h("a", { href: `#${k}`, onclick: (ev) => { ev.preventDefault(); document.getElementById(k)?.focus(); } }, checked.errors[k])))));
      summary.focus();
      return;
    }
    const made = await saveNewCase({ user, template: checked.template, subject: checked.subject, reason: checked.reason });
    syncSoon();
    announce("Controle gestart. Je kunt de checklist nu invullen.");
    location.hash = `#/checklist/${made.checklistId}`;
  });
  show(
    h("p", {}, h("a", { href: "#/vandaag" }, "← Mijn werk")),
    h("h1", {}, "Nieuwe controle ter plaatse"),
    h("p", {}, "Voor een bedrijf of adres dat je ter plaatse aantreft. Vul een adres, een bedrijf of beide in. Dit werkt ook zonder verbinding; de teamleider ziet de nieuwe zaak na synchronisatie, met mogelijke dubbele zaken."),
    summary,
    form,
  );
}
