// Read helpers over pulled records, tolerant of the exact payload shapes.

/** The address line of a case: "Herestraat 12a, 9711 LM Groningen". */
export function addressLine(c) {
  const a = c?.subject?.address ?? c?.address ?? c ?? {};
  const street = [a.street, a.huisnummer, a.toevoeging].filter((x) => x !== null && x !== undefined && x !== "").join(" ");
  const pc = a.postcode ? String(a.postcode).replace(/^(\d{4})([A-Z]{2})$/, "$1 $2") : "";
  const place = [pc, a.city].filter(Boolean).join(" ");
  return [street, place].filter(Boolean).join(", ") || "Adres onbekend";
}

/** The business name of a case, or "". */
export function businessName(c) {
  return c?.subject?.business?.name ?? c?.business?.name ?? c?.business_name ?? "";
}

/** Display name of an agency id from the pulled `agency` records (a Map id → record). */
export function agencyName(id, names) {
  if (!id) return "";
  const rec = names?.get?.(id);
  return rec?.name ?? id;
}

/** A Map id → agency record from a list of pulled `agency` records. */
export function agencyMap(list) {
  return new Map((list ?? []).map((a) => [a.id, a]));
}

/** Participating agencies of a case as display names. */
export function agencies(c, checklists = [], names = null) {
  const list = c?.agencies ?? c?.participating_agencies ?? [...new Set(checklists.map((cl) => cl.agency_id))];
  return list.map((a) => (typeof a === "string" ? agencyName(a, names) : a.name ?? agencyName(a.id, names)));
}

/** Checklists of an inspection. */
export function checklistsOf(inspection, checklists) {
  return checklists.filter((cl) => cl.inspection_id === inspection.id);
}
