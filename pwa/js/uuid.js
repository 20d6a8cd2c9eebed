// UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, variant 10, random rest.
// Monotonic within one millisecond so ids made in a burst still sort in creation order.

let lastMs = -1;
let lastRand = null;

function randomBytes(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/** Return a new UUIDv7 string; `now` (ms) is injectable for tests. */
export function uuidv7(now = Date.now()) {
  let rand;
  if (now <= lastMs && lastRand) {
    now = lastMs;
    rand = lastRand.slice();
    // Increment the 74 random bits (bytes 6..15, ignoring version/variant nibbles) by one.
    for (let i = 15; i >= 6; i--) {
      rand[i] = (rand[i] + 1) & 0xff;
      if (rand[i] !== 0) break;
    }
  } else {
    rand = randomBytes(16);
  }
  lastMs = now;
  lastRand = rand;
  const b = rand.slice();
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** True when `s` is a canonical lower-case UUIDv7. */
export function isUuidv7(s) {
  return typeof s === "string" && UUID7.test(s);
}

/** The embedded Unix time in milliseconds. */
export function uuidv7Time(s) {
  return parseInt(s.replace(/-/g, "").slice(0, 12), 16);
}
