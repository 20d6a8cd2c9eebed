// What a photo records about when and where it was taken: the capture time from the photo's
// own EXIF (read on the phone, before upload) or else the moment the camera returned it, and
// the position from the Geolocation API when the inspector allows it. Never blocks capture.

/** Minimal EXIF reader: DateTimeOriginal (0x9003) and OffsetTimeOriginal (0x9011) of a JPEG.
 * Returns {dateTime: "YYYY:MM:DD HH:MM:SS", offset: "+02:00" | null} or null. */
export function readExifTime(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b[0] !== 0xff || b[1] !== 0xd8) return null;
  let p = 2;
  while (p + 4 <= b.length && b[p] === 0xff) {
    const marker = b[p + 1];
    const len = (b[p + 2] << 8) | b[p + 3];
    if (marker === 0xda || marker === 0xd9 || len < 2) return null; // image data: no EXIF before it
    if (marker === 0xe1 && len >= 8 && String.fromCharCode(...b.subarray(p + 4, p + 10)) === "Exif\0\0") {
      return parseTiff(b.subarray(p + 10, p + 2 + len));
    }
    p += 2 + len;
  }
  return null;
}

function parseTiff(t) {
  if (t.length < 8) return null;
  const little = t[0] === 0x49 && t[1] === 0x49;
  if (!little && !(t[0] === 0x4d && t[1] === 0x4d)) return null;
  const u16 = (o) => (o + 2 <= t.length ? (little ? t[o] | (t[o + 1] << 8) : (t[o] << 8) | t[o + 1]) : null);
  const u32 = (o) => (o + 4 <= t.length ? (little ? (t[o] | (t[o + 1] << 8) | (t[o + 2] << 16)) + t[o + 3] * 2 ** 24 : t[o] * 2 ** 24 + ((t[o + 1] << 16) | (t[o + 2] << 8) | t[o + 3])) : null);
  const entries = (ifd) => {
    const n = u16(ifd);
    if (n === null || n > 500) return [];
    const out = [];
    for (let i = 0; i < n; i++) {
      const e = ifd + 2 + i * 12;
      if (e + 12 > t.length) break;
      out.push({ tag: u16(e), type: u16(e + 2), count: u32(e + 4), value: e + 8 });
    }
    return out;
  };
  const ascii = (e) => {
    if (e.type !== 2 || !e.count) return null;
    const at = e.count <= 4 ? e.value : u32(e.value);
    if (at === null || at + e.count > t.length) return null;
    return String.fromCharCode(...t.subarray(at, at + e.count)).replace(/\0.*$/s, "");
  };
  const ifd0 = u32(4);
  if (ifd0 === null) return null;
  const exifPtr = entries(ifd0).find((e) => e.tag === 0x8769);
  const sub = exifPtr ? entries(u32(exifPtr.value)) : [];
  const dateTime = ascii(sub.find((e) => e.tag === 0x9003) ?? {});
  if (!dateTime || !/^\d{4}:\d{2}:\d{2} \d{2}:\d{2}:\d{2}$/.test(dateTime)) return null;
  const offset = ascii(sub.find((e) => e.tag === 0x9011) ?? {});
  return { dateTime, offset: offset && /^[+-]\d{2}:\d{2}$/.test(offset) ? offset : null };
}

function offsetOf(date) {
  const off = -date.getTimezoneOffset();
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  return `${off >= 0 ? "+" : "-"}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

/**
 * The capture time to record and where it came from: the EXIF DateTimeOriginal (with its
 * offset, or the phone's offset at that moment when the camera wrote none), else `returnedAt`
 * (when the camera or gallery handed the photo to the app).
 */
export function captureTime(exif, returnedAt) {
  if (exif) {
    const [d, tm] = exif.dateTime.split(" ");
    const local = `${d.replaceAll(":", "-")}T${tm}`;
    const [y, mo, da] = d.split(":").map(Number);
    const [hh, mi, ss] = tm.split(":").map(Number);
    const asLocal = new Date(y, mo - 1, da, hh, mi, ss);
    if (!Number.isNaN(asLocal.getTime()) && y > 1990) return { at: `${local}${exif.offset ?? offsetOf(asLocal)}`, source: "exif" };
  }
  return { at: returnedAt.toISOString(), source: "device" };
}

/** A geo position for attach_photo, or null: {lat, lon, accuracy} rounded to what GPS can do. */
export function geoOf(position) {
  const c = position?.coords;
  if (!c || !Number.isFinite(c.latitude) || !Number.isFinite(c.longitude)) return null;
  const geo = { lat: Math.round(c.latitude * 1e6) / 1e6, lon: Math.round(c.longitude * 1e6) / 1e6 };
  if (Number.isFinite(c.accuracy) && c.accuracy >= 0) geo.accuracy = Math.round(c.accuracy * 10) / 10;
  return geo;
}

let pending = null;
let pendingAt = 0;

/** Start asking for the position (when the inspector taps a photo button). Resolves to a
 * geo object or null (refused, unavailable, switched off in the app); never rejects. */
export function locate({ enabled = true } = {}) {
  if (!enabled || !globalThis.navigator?.geolocation) return Promise.resolve(null);
  if (pending && Date.now() - pendingAt < 30_000) return pending;
  pendingAt = Date.now();
  pending = new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve(geoOf(pos)),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  });
  return pending;
}

/** The position if it is known within `waitMs` (a photo is never held back longer). */
export async function positionSoon(enabled, waitMs = 1500) {
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), waitMs));
  return Promise.race([locate({ enabled }), timeout]);
}
