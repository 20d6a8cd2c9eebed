// One form control per template item type, all labelled, keyboard-usable, 44 px targets.

import { needsPhoto, parseNumber, VALUELESS, YES_NO_NA } from "./checklist-logic.js";
import { formatBytes } from "./handin.js";
import { h } from "./ui.js";

const MARKERS = {
  unsent: "Nog niet verzonden",
  saved: "Op de server",
  rejected: "Aandacht nodig",
  conflict: "Conflict",
};

function choices(item, name, type, value, onChange, locked, opts) {
  const selected = type === "checkbox" ? new Set(value ?? []) : new Set([value]);
  return h(
    "div",
    { class: "choices" },
    opts.map((o) => {
      const id = `${name}--${o.key}`;
      const input = h("input", { type, id, name, value: o.key, checked: selected.has(o.key), disabled: locked });
      input.addEventListener("change", () => {
        if (type === "radio") onChange(o.key);
        else {
          const boxes = document.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`);
          onChange(Array.from(boxes, (b) => b.value));
        }
      });
      return h("label", { class: "choice", for: id }, input, h("span", {}, o.label));
    }),
  );
}

function valueControl(item, ctx) {
  const id = `item-${item.key}`;
  const { value, onChange, locked, describedBy } = ctx;
  const common = { id, name: item.key, disabled: locked, "aria-describedby": describedBy, "aria-invalid": ctx.problem ? "true" : null, "aria-required": item.required ? "true" : null };
  switch (item.type) {
    case "number": {
      const input = h("input", { ...common, type: "text", inputmode: "decimal", value: value ?? "", autocomplete: "off" });
      input.addEventListener("change", () => onChange(parseNumber(input.value)));
      return h("div", { class: "with-unit" }, input, item.unit ? h("span", { class: "unit" }, item.unit) : null);
    }
    case "text": {
      const input = h("textarea", { ...common, rows: 3, maxlength: item.max_length ?? 4000 });
      input.value = value ?? "";
      input.addEventListener("change", () => onChange(input.value === "" ? null : input.value));
      return input;
    }
    case "date":
    case "time": {
      const input = h("input", { ...common, type: item.type, value: value ?? "" });
      input.addEventListener("change", () => onChange(input.value === "" ? null : input.value));
      return input;
    }
    default:
      return null;
  }
}

/** "Gemaakt 21:13 (uit de foto) · locatie ±8 m" — what the photo records and where from. */
export function photoFacts(p) {
  const out = [];
  if (p.captured_at) {
    const d = new Date(p.captured_at);
    const time = Number.isNaN(d.getTime()) ? p.captured_at : `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    out.push(`Gemaakt ${time}${p.capture_source === "exif" ? " (tijd uit de foto)" : p.capture_source === "device" ? " (tijd van de telefoon)" : ""}`);
  }
  if (p.geo && Number.isFinite(p.geo.lat)) out.push(`locatie vastgelegd${Number.isFinite(p.geo.accuracy) ? ` (±${Math.round(p.geo.accuracy)} m)` : ""}`);
  else if (p.capture_source) out.push("geen locatie");
  return out.join(" · ");
}

function photoBlock(item, ctx, demanded) {
  const camId = `cam-${item.key}`;
  const galId = `gal-${item.key}`;
  const onFiles = (input) => {
    for (const f of input.files) ctx.onPhoto(f);
    input.value = "";
  };
  const cam = h("input", { type: "file", accept: "image/*", capture: "environment", id: camId, disabled: ctx.locked, class: "visually-hidden", tabindex: "-1", "aria-hidden": "true", dataset: { item: item.key, kind: "camera" } });
  const gal = h("input", { type: "file", accept: "image/jpeg,image/png,image/webp", id: galId, disabled: ctx.locked, class: "visually-hidden", tabindex: "-1", "aria-hidden": "true", dataset: { item: item.key, kind: "gallery" } });
  cam.addEventListener("change", () => onFiles(cam));
  gal.addEventListener("change", () => onFiles(gal));
  const thumbs = ctx.photos.map((p) => {
    const pct = p.size ? Math.round(((p.uploaded ?? 0) / p.size) * 100) : 0;
    const label = p.state === "verified" ? "Geverifieerd op de server" : p.state === "rejected" ? "Geweigerd" : p.state === "received" ? "Ontvangen, wordt gecontroleerd" : `Nog ${formatBytes(Math.max(0, p.size - (p.uploaded ?? 0)))} te uploaden`;
    return h(
      "li",
      { class: "thumb", dataset: { state: p.state, photo: p.id } },
      p.thumbUrl ? h("img", { src: p.thumbUrl, alt: `Foto bij ${item.label}` }) : h("span", { class: "nothumb" }, "Foto"),
      h("progress", { max: 100, value: p.state === "verified" ? 100 : pct, "aria-label": `Upload ${pct}%` }),
      h("span", { class: "photo-state" }, label),
      h("span", { class: "photo-meta" }, photoFacts(p)),
    );
  });
  return h(
    "div",
    { class: "photos" },
    demanded && !ctx.photos.length ? h("p", { class: "hint", id: `need-${item.key}` }, "Foto verplicht bij dit antwoord.") : null,
    demanded && ctx.photos.length ? h("p", { class: "hint hint-ok", id: `need-${item.key}` }, "Foto toegevoegd: aan de fotoplicht is voldaan.") : null,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", disabled: ctx.locked, onclick: () => { ctx.onLocate?.(); cam.click(); } }, item.type === "signature" ? "Foto van handtekening" : "Foto maken"),
      h("button", { type: "button", class: "secondary", disabled: ctx.locked, onclick: () => { ctx.onLocate?.(); gal.click(); } }, "Kies uit galerij"),
    ),
    cam,
    gal,
    thumbs.length ? h("ul", { class: "thumbs" }, thumbs) : null,
  );
}

function signaturePad(item, ctx) {
  const canvas = h("canvas", { width: 600, height: 200, class: "signature", role: "img", "aria-label": `Tekenvlak voor ${item.label}` });
  const g = canvas.getContext("2d");
  g.lineWidth = 3;
  g.lineCap = "round";
  let drawing = false;
  let drawn = false;
  const pos = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true;
    document.body.dataset.busy = "signature"; // no re-render may wipe a signature being drawn
    g.beginPath();
    g.moveTo(...pos(e));
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    g.lineTo(...pos(e));
    g.stroke();
    drawn = true;
  });
  canvas.addEventListener("pointerup", () => {
    drawing = false;
  });
  const save = () => {
    if (!drawn) return;
    canvas.toBlob((b) => b && ctx.onPhoto(new File([b], "handtekening.png", { type: "image/png" })), "image/png");
    g.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    delete document.body.dataset.busy;
  };
  const clear = () => {
    g.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    delete document.body.dataset.busy;
  };
  return h("div", { class: "signature-pad" }, canvas, h("div", { class: "actions" },
    h("button", { type: "button", class: "secondary", disabled: ctx.locked, onclick: save }, "Handtekening opslaan"),
    h("button", { type: "button", class: "secondary", onclick: clear }, "Wissen")));
}

function notesBlock(item, ctx) {
  const id = `note-${item.key}`;
  const text = h("textarea", { id, rows: 2, maxlength: 4000, disabled: ctx.locked });
  const add = h("button", { type: "button", class: "secondary", disabled: ctx.locked }, "Notitie opslaan");
  add.addEventListener("click", () => {
    if (text.value.trim()) ctx.onNote(text.value.trim());
  });
  if (ctx.locked) {
    return ctx.notes.length ? h("div", { class: "notes", id: `notes-${item.key}` }, h("p", { class: "meta" }, "Notities"), h("ul", {}, ctx.notes.map((n) => h("li", {}, n.text)))) : null;
  }
  return h("details", { class: "notes", id: `notes-${item.key}` },
    h("summary", {}, ctx.notes.length ? `Notities (${ctx.notes.length})` : "Notitie toevoegen"),
    h("ul", {}, ctx.notes.map((n) => h("li", {}, n.text))),
    h("label", { for: id }, "Nieuwe notitie"), text, add);
}

/** The whole block of one item: label, control, marker, notices, photos, notes. */
export function renderItem(item, ctx) {
  const name = `item-${item.key}`;
  const errId = `err-${item.key}`;
  const helpId = item.help ? `help-${item.key}` : null;
  ctx.describedBy = [helpId, ctx.problem ? errId : null].filter(Boolean).join(" ") || null;
  const marker = ctx.marker ? h("span", { class: `marker marker-${ctx.marker}`, dataset: { marker: ctx.marker } }, MARKERS[ctx.marker]) : null;
  const title = [item.label, item.required ? h("span", { class: "req" }, " (verplicht)") : null];
  const problem = ctx.problem ? h("p", { class: "error", id: errId }, ctx.problem) : null;
  const notices = ctx.notices.map((n) => h("div", { class: `notice notice-${n.kind}`, role: "note" }, h("p", {}, n.text),
    n.task && !n.seen && ctx.onSeen ? h("button", { type: "button", class: "secondary small", dataset: { task: n.task }, onclick: () => ctx.onSeen(n.task) }, "Gezien") : null));
  const demanded = needsPhoto(item, ctx.value);
  const isChoice = ["yes_no_na", "choice", "multi_choice"].includes(item.type);
  let head;
  let control = null;
  if (isChoice) {
    const opts = item.type === "yes_no_na" ? YES_NO_NA : item.options ?? [];
    const fs = h("fieldset", { "aria-describedby": ctx.describedBy, "aria-invalid": ctx.problem ? "true" : null },
      h("legend", {}, ...title),
      item.help ? h("p", { class: "help", id: helpId }, item.help) : null,
      choices(item, name, item.type === "multi_choice" ? "checkbox" : "radio", ctx.value, ctx.onChange, ctx.locked, opts));
    head = fs;
  } else if (VALUELESS.has(item.type)) {
    head = h("div", {}, h("h3", { class: "item-label" }, ...title), item.help ? h("p", { class: "help", id: helpId }, item.help) : null);
  } else {
    head = h("div", {}, h("label", { for: name, class: "item-label" }, ...title), item.help ? h("p", { class: "help", id: helpId }, item.help) : null);
    control = valueControl(item, ctx);
  }
  const wantsPhotos = VALUELESS.has(item.type) || demanded || ctx.photos.length > 0;
  return h("div", { class: "item", id: `block-${item.key}`, dataset: { key: item.key, type: item.type } },
    head, control, marker, problem, notices,
    item.type === "signature" ? signaturePad(item, ctx) : null,
    wantsPhotos ? photoBlock(item, ctx, demanded) : null,
    notesBlock(item, ctx));
}
