// "Nieuwe controle ter plaatse": check the form on the phone with the server's rules (so the
// create_case op is not refused later, offline) and build the subject and reason. Pure.

export const REASONS = [
  { key: "eigen-waarneming", label: "Eigen waarneming ter plaatse" },
  { key: "signaal", label: "Signaal of melding" },
  { key: "indicatoren", label: "Indicatoren (risicoprofiel)" },
  { key: "steekproef", label: "Steekproef" },
  { key: "hercontrole", label: "Hercontrole" },
  { key: "verzoek-partner", label: "Verzoek van een partnerdienst" },
];

const POSTCODE = /^([1-9][0-9]{3})\s?([A-Za-z]{2})$/;
const TOEVOEGING = /^[A-Za-z0-9]{1,4}$/;

/** "9711 ab" → "9711AB", or null when it is not a Dutch postcode (SA, SD, SS never exist). */
export function normalisePostcode(text) {
  const m = POSTCODE.exec(String(text ?? "").trim());
  if (!m) return null;
  const letters = m[2].toUpperCase();
  return ["SA", "SD", "SS"].includes(letters) ? null : `${m[1]}${letters}`;
}

/** Templates this agency kind may use (a template lists `agency_kinds`; "*" means all),
 * only the newest version of each. */
export function templatesFor(templates, agencyKind) {
  const newest = new Map();
  for (const t of templates) {
    const kinds = t.agency_kinds ?? ["*"];
    if (!(kinds.includes("*") || (agencyKind && kinds.includes(agencyKind)))) continue;
    const slug = t.slug ?? String(t.ref).split("@")[0];
    const have = newest.get(slug);
    if (!have || Number(t.version ?? 0) > Number(have.version ?? 0)) newest.set(slug, t);
  }
  return [...newest.values()].sort((a, b) => String(a.title).localeCompare(String(b.title), "nl"));
}

/**
 * Check the form values (strings as typed) and build the op's fields.
 * Returns {errors: {field: Dutch message}, subject, reason, template}; errors is empty when valid.
 */
export function checkNewCase(v) {
  const errors = {};
  const t = (k) => String(v[k] ?? "").trim();
  const hasAddress = Boolean(t("postcode") || t("huisnummer") || t("toevoeging") || t("street") || t("city"));
  const hasBusiness = Boolean(t("name") || t("kvk"));
  let address = null;
  let business = null;
  if (!hasAddress && !hasBusiness) {
    errors.postcode = "Vul een adres (postcode en huisnummer) of een bedrijf in, of beide.";
  }
  if (hasAddress) {
    const postcode = normalisePostcode(t("postcode"));
    if (!t("postcode")) errors.postcode = "Vul de postcode in, zoals 9711 AB.";
    else if (!postcode) errors.postcode = "Deze postcode bestaat niet: gebruik vier cijfers en twee letters, zoals 9711 AB.";
    const nr = t("huisnummer");
    const huisnummer = /^\d{1,5}$/.test(nr) ? Number(nr) : NaN;
    if (!nr) errors.huisnummer = "Vul het huisnummer in.";
    else if (!(huisnummer >= 1 && huisnummer <= 99999)) errors.huisnummer = "Gebruik een huisnummer van 1 tot en met 99999, zonder letters (die gaan in Toevoeging).";
    if (t("toevoeging") && !TOEVOEGING.test(t("toevoeging"))) errors.toevoeging = "Hoogstens vier letters of cijfers, zoals A of 2.";
    if (t("street").length > 200) errors.street = "Gebruik hoogstens 200 tekens.";
    if (t("city").length > 100) errors.city = "Gebruik hoogstens 100 tekens.";
    address = { postcode, huisnummer };
    if (t("toevoeging")) address.toevoeging = t("toevoeging").toUpperCase();
    if (t("street")) address.street = t("street");
    if (t("city")) address.city = t("city");
  }
  if (hasBusiness) {
    if (!t("name")) errors.name = "Vul de naam van het bedrijf in (of laat ook het KvK-nummer leeg).";
    else if (t("name").length > 200) errors.name = "Gebruik hoogstens 200 tekens.";
    const kvk = t("kvk").replace(/[\s.]/g, "");
    if (t("kvk") && !/^[0-9]{8}$/.test(kvk)) errors.kvk = "Een KvK-nummer heeft precies 8 cijfers, zoals 90000012.";
    business = { name: t("name") };
    if (kvk) business.kvk = kvk;
  }
  const category = t("category");
  if (!REASONS.some((r) => r.key === category)) errors.category = "Kies waarom je dit adres of bedrijf controleert.";
  const explanation = t("explanation");
  if (explanation.length < 10) errors.explanation = "Licht de reden toe in minstens 10 tekens.";
  else if (explanation.length > 4000) errors.explanation = "Gebruik hoogstens 4000 tekens.";
  if (!t("template")) errors.template = "Kies de checklist van je dienst.";
  const subject = {};
  if (address) subject.address = address;
  if (business) subject.business = business;
  return { errors, subject, reason: { category, explanation }, template: t("template") };
}
