// "Veilig om in te leveren": the device holds nothing the server does not hold yet.

/** A photo this device took (it holds the original), not a colleague's pulled record. */
export function isOwnPhoto(p) {
  return p.own === true || p.pending_seq != null || p.op_acked === true;
}

/**
 * Summarise the local state. `outbox` items have `state` pending|acked|rejected (+ `seen`);
 * `photos` have `state` local|uploading|received|verified|rejected, `size`/`uploaded` and
 * `withdrawn_at`. Never safe while an original taken here is neither verified by the server
 * nor deliberately withdrawn: a refused photo stays unsafe until the inspector withdraws it.
 */
export function handInState(outbox, photos) {
  const unsent = outbox.filter((o) => o.state === "pending").length;
  const mine = photos.filter(isOwnPhoto);
  // Evicted cases (access withdrawn): refusals there need no action, unsent work still counts.
  const refused = mine.filter((p) => p.state === "rejected" && !p.withdrawn_at && !p.evicted);
  const attention = outbox.filter((o) => o.state === "rejected" && !o.seen && !o.evicted).length + refused.length;
  const open = mine.filter((p) => p.state !== "verified" && !p.withdrawn_at && !(p.evicted && p.state === "rejected"));
  const photoBytes = open
    .filter((p) => p.state !== "rejected")
    .reduce((sum, p) => sum + Math.max(0, (p.size ?? 0) - (p.uploaded ?? 0)), 0);
  const evictedUnsent = outbox.filter((o) => o.state === "pending" && o.evicted).length + open.filter((p) => p.evicted).length;
  const safe = unsent === 0 && open.length === 0 && attention === 0;
  return { unsent, attention, photosOpen: open.length, photoBytes, evictedUnsent, safe };
}

const ONE_DECIMAL = { minimumFractionDigits: 1, maximumFractionDigits: 1 };

/** Human-readable byte count in Dutch notation: "812 kB", "2,4 MB", "10,0 GB", "1.024,0 GB". */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${Math.round(n / 1024)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toLocaleString("nl-NL", ONE_DECIMAL)} MB`;
  return `${(n / 1024 ** 3).toLocaleString("nl-NL", ONE_DECIMAL)} GB`;
}
