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

/** How a failed request should be treated: "retry" (network, 5xx, 429) or "permanent". */
export function classifyStatus(status) {
  if (status === 0 || status === 408 || status === 429 || status >= 500) return "retry";
  return "permanent";
}
