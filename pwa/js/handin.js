// "Veilig om in te leveren": the device holds nothing the server does not hold yet.

/**
 * Summarise the local state. `outbox` items have `state` pending|acked|rejected (+ `seen`);
 * `photos` have `state` local|uploading|received|verified|rejected and `size`/`uploaded`.
 */
export function handInState(outbox, photos) {
  const unsent = outbox.filter((o) => o.state === "pending").length;
  const attention = outbox.filter((o) => o.state === "rejected" && !o.seen).length +
    photos.filter((p) => p.state === "rejected" && !p.seen).length;
  const open = photos.filter((p) => p.state !== "verified" && p.state !== "rejected");
  const photoBytes = open.reduce((sum, p) => sum + Math.max(0, (p.size ?? 0) - (p.uploaded ?? 0)), 0);
  const safe = unsent === 0 && open.length === 0 && attention === 0;
  return { unsent, attention, photosOpen: open.length, photoBytes, safe };
}

/** Human-readable byte count in Dutch notation. */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1).replace(".", ",")} MB`;
}
