// A small promise layer over IndexedDB. Every write transaction is opened with
// durability "strict": a field record must survive a battery pull.

export const DB_NAME = "schouw";
export const DB_VERSION = 1;

function upgrade(db) {
  db.createObjectStore("meta", { keyPath: "key" });
  const rec = db.createObjectStore("records", { keyPath: ["kind", "id"] });
  rec.createIndex("kind", "kind");
  const ans = db.createObjectStore("answers", { keyPath: ["checklist_id", "item_key"] });
  ans.createIndex("checklist", "checklist_id");
  const notes = db.createObjectStore("notes", { keyPath: "id" });
  notes.createIndex("checklist", "checklist_id");
  const photos = db.createObjectStore("photos", { keyPath: "id" });
  photos.createIndex("checklist", "checklist_id");
  db.createObjectStore("blobs", { keyPath: "sha256" });
  const outbox = db.createObjectStore("outbox", { keyPath: "seq" });
  outbox.createIndex("state", "state");
  db.createObjectStore("tus", { keyPath: "key" });
}

let dbPromise = null;
let sealed = false;

/** Open (and create) the database once per page. */
export function openDb() {
  if (sealed) return Promise.reject(new Error("local data was wiped"));
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => upgrade(req.result);
      req.onsuccess = () => {
        const db = req.result;
        // A newer app version in another tab wants to upgrade: step aside.
        db.onversionchange = () => {
          db.close();
          dbPromise = null;
        };
        resolve(db);
      };
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error("database blocked by another tab"));
    });
  }
  return dbPromise;
}

/** Promise of one IDBRequest. */
export function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * Run `fn(tx)` in one transaction over `stores`; resolves with fn's result once the
 * transaction has committed (for readwrite: durably).
 */
export async function tx(stores, mode, fn) {
  const db = await openDb();
  const t = db.transaction(stores, mode, mode === "readwrite" ? { durability: "strict" } : undefined);
  const done = new Promise((resolve, reject) => {
    t.oncomplete = () => resolve();
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error ?? new Error("transaction aborted"));
  });
  let result;
  try {
    result = await fn(t);
  } catch (err) {
    try {
      t.abort();
    } catch {
      // already finished
    }
    await done.catch(() => {});
    throw err;
  }
  await done;
  return result;
}

/** All values of a store (or of an index range). */
export function all(t, store, index, query) {
  const s = t.objectStore(store);
  return req(index ? s.index(index).getAll(query) : s.getAll(query));
}

/** Close and delete the whole database (logout, revoked device); it stays closed. */
export async function deleteDb() {
  sealed = true;
  if (dbPromise) {
    const db = await dbPromise.catch(() => null);
    db?.close();
    dbPromise = null;
  }
  await new Promise((resolve) => {
    const r = indexedDB.deleteDatabase(DB_NAME);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}
