// Thumbnails of photos taken on other devices (colleagues' evidence), fetched once they are
// verified and kept with the photo record, so the checklist shows them offline too.

import { apiBlob, HttpError } from "./api.js";
import { patchPhoto, photos } from "./store.js";

const PER_ROUND = 20;

/** Fetch missing thumbnails of verified photos; returns how many were stored. */
export async function fetchThumbnails() {
  const wanted = (await photos()).filter((p) => p.server && p.state === "verified" && !p.thumb && !p.no_thumb && !p.evicted);
  let stored = 0;
  for (const p of wanted.slice(0, PER_ROUND)) {
    try {
      await patchPhoto(p.id, { thumb: await apiBlob(`/api/v1/photos/${encodeURIComponent(p.id)}/thumb`) });
      stored += 1;
    } catch (err) {
      // 404: not visible to this user or withdrawn; do not ask again. Other errors: next round.
      if (err instanceof HttpError && err.status === 404) await patchPhoto(p.id, { no_thumb: true });
      else throw err;
    }
  }
  return stored;
}
