// The phone's state as the push envelope's `client_state` reports it to the team lead
// ("this phone still holds unsent work"): sent with every push, and on its own at most
// once a minute when there is nothing else to send.

import { handInState } from "./handin.js";
import { outbox, photos } from "./store.js";

/** The app version reported to the server (kept equal to pwa/package.json; a test checks). */
export const APP_VERSION = "0.2.0";
export const STATE_REPORT_MS = 60 * 1000;

/** True when the last state report (ms epoch, or null) is at least a minute old. */
export function stateReportDue(lastReportedAt, now = Date.now()) {
  return lastReportedAt === null || lastReportedAt === undefined || now - lastReportedAt >= STATE_REPORT_MS;
}

/** Build `client_state` from the outbox and photo rows (pure). */
export function describeState(outboxRows, photoRows, { persisted, now = new Date() }) {
  const st = handInState(outboxRows, photoRows);
  return {
    outbox: st.unsent,
    photos_pending: st.photosOpen,
    photo_bytes_pending: st.photoBytes,
    app_version: APP_VERSION,
    storage_persisted: Boolean(persisted),
    reported_at: now.toISOString(),
  };
}

/** The current `client_state` of this phone. */
export async function clientState() {
  let persisted = false;
  try {
    persisted = (await navigator.storage?.persisted?.()) ?? false;
  } catch {
    persisted = false;
  }
  return describeState(await outbox(), await photos(), { persisted });
}
