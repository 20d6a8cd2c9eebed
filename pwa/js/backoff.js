// Retry delays for the sync loop: exponential with "full jitter" (AWS architecture blog),
// capped, so a fleet of phones coming out of a tunnel does not hit the server in step.

export const BASE_MS = 2000;
export const CAP_MS = 5 * 60 * 1000;
export const IDLE_MS = 60 * 1000;

/** Delay before attempt `failures` + 1; `random` is injectable for tests. */
export function backoffDelay(failures, random = Math.random, base = BASE_MS, cap = CAP_MS) {
  if (failures <= 0) return IDLE_MS;
  const ceiling = Math.min(cap, base * 2 ** Math.min(failures - 1, 30));
  return Math.max(base / 2, Math.floor(random() * ceiling));
}

/** Retry-After header (seconds or HTTP date) in ms, or null. */
export function retryAfterMs(value, now = Date.now()) {
  if (value == null || value === "") return null;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * What a failed photo upload means for the photo. Only a `photo-*` problem (the server
 * refuses these bytes: empty, not an image, too large, …) rejects it; 401 means log in
 * again; 403/404 (the server does not take it from this device now, e.g. after a
 * reassignment) leave it waiting; anything else is retried with backoff. A rejected or
 * waiting photo never counts as safe to hand in.
 */
export function classifyUploadFailure(status, problemType) {
  const slug = typeof problemType === "string" ? problemType.split("/").pop() : "";
  if (slug.startsWith("photo-")) return "reject";
  if (status === 401) return slug === "device-revoked" ? "revoked" : "login";
  if (status === 403 || status === 404) return "wait";
  return "retry";
}

/** How a failed request should be treated: "retry" (network, 5xx, 429) or "permanent". */
export function classifyStatus(status) {
  if (status === 0 || status === 408 || status === 429 || status >= 500) return "retry";
  return "permanent";
}

/** While the app is on screen, an unreachable server is retried at least this often. */
export const VISIBLE_CAP_MS = 4000;
const VISIBLE_BASE_MS = 1000;

/**
 * Delay before the next attempt after a failure.
 * `kind`: "network" (server unreachable), "retry" (5xx, 429, 408) or "permanent" (other 4xx).
 * A server that answers with Retry-After is never asked sooner; a server that answers
 * 5xx/429 without it backs off exponentially (it is up but struggling). Only an unreachable
 * server is retried every 1–4 s while the page is visible, so the app notices within
 * seconds that the network or the server is back.
 */
export function nextDelay({ failures, kind, visible, retryAfter = null, random = Math.random }) {
  if (retryAfter !== null && retryAfter !== undefined) return Math.max(retryAfter, VISIBLE_BASE_MS);
  if (kind === "network" && visible) {
    const ceiling = Math.min(VISIBLE_CAP_MS, VISIBLE_BASE_MS * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
    return Math.max(VISIBLE_BASE_MS, Math.floor(random() * ceiling));
  }
  if (kind === "permanent") return backoffDelay(failures + 3, random);
  return backoffDelay(failures, random);
}
