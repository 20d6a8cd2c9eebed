// Pure checklist rules shared by the renderer and the unit tests: which items are visible
// (visible_if), what counts as answered, Dutch validation messages, photo_on and progress.

export const VALUELESS = new Set(["photo", "signature"]);
export const YES_NO_NA = [
  { key: "yes", label: "Ja" },
  { key: "no", label: "Nee" },
  { key: "na", label: "N.v.t." },
];

/** All items of a template in order, each with its section key. */
export function templateItems(template) {
  const out = [];
  for (const section of template?.sections ?? []) {
    for (const item of section.items ?? []) out.push({ ...item, section: section.key });
  }
  return out;
}

function matches(value, anyOf) {
  if (Array.isArray(value)) return value.some((v) => anyOf.includes(v));
  return value !== null && value !== undefined && anyOf.includes(value);
}

/** Keys of the visible items; an item whose condition item is hidden is hidden too. */
export function visibleKeys(template, answers) {
  const items = templateItems(template);
  const byKey = new Map(items.map((i) => [i.key, i]));
  const memo = new Map();
  const visit = (key, depth) => {
    if (memo.has(key)) return memo.get(key);
    const item = byKey.get(key);
    let result = Boolean(item);
    if (item?.visible_if) {
      const cond = item.visible_if;
      result =
        depth < 32 && byKey.has(cond.item) && visit(cond.item, depth + 1) &&
        matches(answers[cond.item], cond.any_of);
    }
    memo.set(key, result);
    return result;
  };
  return new Set(items.filter((i) => visit(i.key, 0)).map((i) => i.key));
}

/** True when `value` is an answer (not empty) for an item of type `type`. */
export function isAnswered(type, value) {
  if (value === null || value === undefined) return false;
  if (type === "text") return String(value).trim() !== "";
  if (type === "multi_choice") return Array.isArray(value) && value.length > 0;
  return true;
}

/** True when the given answer demands at least one photo (photo_on). */
export function needsPhoto(item, value) {
  return Array.isArray(item.photo_on) && item.photo_on.length > 0 && matches(value, item.photo_on);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

function validDate(s) {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

function fmt(n) {
  return String(n).replace(".", ",");
}

/** Dutch message for a value the server would reject, or null when the value is valid. */
export function valueError(item, value) {
  if (value === null || value === undefined) return null;
  const keys = (item.options ?? []).map((o) => o.key);
  switch (item.type) {
    case "yes_no_na":
      return ["yes", "no", "na"].includes(value) ? null : "Kies ja, nee of n.v.t.";
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return "Vul een getal in.";
      const unit = item.unit ? ` ${item.unit}` : "";
      if (item.min != null && value < item.min) return `Vul minimaal ${fmt(item.min)}${unit} in.`;
      if (item.max != null && value > item.max) return `Vul maximaal ${fmt(item.max)}${unit} in.`;
      return null;
    }
    case "text": {
      const max = item.max_length ?? 4000;
      if (typeof value !== "string") return "Vul tekst in.";
      return value.length > max ? `Gebruik maximaal ${max} tekens (nu ${value.length}).` : null;
    }
    case "choice":
      return keys.includes(value) ? null : "Kies een van de opties.";
    case "multi_choice":
      if (!Array.isArray(value) || !value.every((v) => keys.includes(v))) {
        return "Kies alleen uit de opties.";
      }
      return new Set(value).size === value.length ? null : "Kies elke optie maar één keer.";
    case "date":
      return typeof value === "string" && validDate(value) ? null : "Vul een datum in (dd-mm-jjjj).";
    case "time":
      return typeof value === "string" && TIME.test(value) ? null : "Vul een tijd in (uu:mm).";
    default:
      return null;
  }
}

/**
 * Problems per visible item: {key: message}. `photoCount(key)` tells how many photos the
 * item has. Hidden items are never checked.
 */
export function validateChecklist(template, answers, photoCount) {
  const problems = {};
  const visible = visibleKeys(template, answers);
  for (const item of templateItems(template)) {
    if (!visible.has(item.key)) continue;
    const value = answers[item.key];
    if (VALUELESS.has(item.type)) {
      if (item.required && photoCount(item.key) === 0) {
        problems[item.key] =
          item.type === "signature" ? "Een handtekening is verplicht." : "Een foto is verplicht.";
      }
      continue;
    }
    const err = valueError(item, value);
    if (err) problems[item.key] = err;
    else if (item.required && !isAnswered(item.type, value)) {
      problems[item.key] = "Dit antwoord is verplicht.";
    } else if (needsPhoto(item, value) && photoCount(item.key) === 0) {
      problems[item.key] = "Maak minstens één foto: dit antwoord vraagt om bewijs.";
    }
  }
  return problems;
}

/** {done, total} over the visible items (photo items count when they hold a photo). */
export function progress(template, answers, photoCount) {
  const visible = visibleKeys(template, answers);
  let done = 0;
  let total = 0;
  for (const item of templateItems(template)) {
    if (!visible.has(item.key)) continue;
    total += 1;
    const ok = VALUELESS.has(item.type)
      ? photoCount(item.key) > 0
      : isAnswered(item.type, answers[item.key]);
    if (ok) done += 1;
  }
  return { done, total };
}

/** Parse a Dutch number input ("12,5") into a number, or null when empty; NaN when invalid. */
export function parseNumber(text) {
  const t = String(text ?? "").trim().replace(",", ".");
  if (t === "") return null;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
}

/** The item of a template by key, or null. */
export function itemOf(template, key) {
  return templateItems(template).find((i) => i.key === key) ?? null;
}

/** A value as a person reads it: option labels, "Ja"/"Nee", a Dutch decimal comma, a unit. */
export function valueLabel(item, value) {
  if (value === null || value === undefined || value === "") return "leeg";
  const opts = item?.type === "yes_no_na" ? YES_NO_NA : item?.options ?? [];
  const label = (v) => opts.find((o) => o.key === v)?.label ?? String(v);
  if (Array.isArray(value)) return value.map(label).join(", ");
  if (typeof value === "number") return `${String(value).replace(".", ",")}${item?.unit ? ` ${item.unit}` : ""}`;
  return opts.length ? label(value) : String(value);
}
