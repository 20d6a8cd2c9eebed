// Resumable photo uploads with tus-js-client (loaded from /vendor/tus.min.js). The resume
// state lives in IndexedDB, so an upload cut off part-way continues after a reload.

import { accessToken, DeviceRevoked, HttpError } from "./api.js";
import { classifyUploadFailure } from "./backoff.js";
import { all, req, tx } from "./idb.js";
import { blob, patchPhoto, photos } from "./store.js";
import { uuidv7 } from "./uuid.js";

const DEFAULT_CHUNK = 1024 * 1024;

/** tus-js-client urlStorage backed by the `tus` object store. */
export class IdbUrlStorage {
  async findAllUploads() {
    const rows = await tx(["tus"], "readonly", (t) => all(t, "tus"));
    return rows.map((r) => ({ ...r.upload, urlStorageKey: r.key }));
  }

  async findUploadsByFingerprint(fingerprint) {
    return (await this.findAllUploads()).filter((u) => u.fingerprint === fingerprint);
  }

  async removeUpload(key) {
    await tx(["tus"], "readwrite", async (t) => {
      t.objectStore("tus").delete(key);
    });
  }

  async addUpload(fingerprint, upload) {
    const key = `tus::${fingerprint}::${uuidv7()}`;
    await tx(["tus"], "readwrite", async (t) => {
      t.objectStore("tus").put({ key, upload: { ...upload, fingerprint } });
    });
    return key;
  }
}

const storage = new IdbUrlStorage();

function chunkSize() {
  const override = Number(globalThis.SCHOUW_TUS_CHUNK);
  return Number.isFinite(override) && override > 0 ? override : DEFAULT_CHUNK;
}

function uploadOne(photo, data, onProgress) {
  const tus = globalThis.tus;
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: "/api/v1/uploads",
      chunkSize: chunkSize(),
      retryDelays: [0, 1000],
      metadata: { sha256: photo.sha256, photo_id: photo.id, filetype: photo.mime },
      fingerprint: async () => `schouw-${photo.id}-${photo.sha256}`,
      urlStorage: storage,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onBeforeRequest: async (r) => {
        r.setHeader("Authorization", `Bearer ${await accessToken()}`);
      },
      onProgress: (sent) => onProgress(sent),
      onSuccess: () => resolve(),
      onError: (err) => reject(err),
    });
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      })
      .catch(reject);
  });
}

/** The problem+json body of a failed tus request, or null. */
function problemOf(err) {
  try {
    return JSON.parse(err?.originalResponse?.getBody?.() ?? "null");
  } catch {
    return null;
  }
}

let tusLoading = null;

/** tus-js-client is loaded only when a photo waits for upload (not on the first screen). */
export function loadTus() {
  if (globalThis.tus) return Promise.resolve(true);
  tusLoading ??= new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = "/vendor/tus.min.js";
    script.onload = () => resolve(Boolean(globalThis.tus));
    script.onerror = () => {
      tusLoading = null; // try again on the next sync round
      resolve(false);
    };
    document.head.append(script);
  });
  return tusLoading;
}

/** Upload every photo whose op the server holds and that is not yet received; returns count. */
export async function uploadPending(onChange) {
  const waiting = (p) => (p.op_acked || p.server) && !p.pending_seq && !p.withdrawn_at && !["verified", "received", "rejected"].includes(p.state);
  if (!(await photos()).some(waiting)) return 0;
  if (!(await loadTus())) return 0;
  let done = 0;
  for (const p of await photos()) {
    if (!(p.op_acked || p.server) || p.pending_seq) continue;
    if (["verified", "received", "rejected"].includes(p.state) || p.withdrawn_at) continue;
    const data = await blob(p.sha256);
    if (!data) continue;
    await patchPhoto(p.id, { state: "uploading" });
    onChange();
    let last = 0;
    try {
      await uploadOne(p, data, (sent) => {
        if (sent - last >= 64 * 1024 || sent === data.size) {
          last = sent;
          patchPhoto(p.id, { uploaded: sent }).then(onChange);
        }
      });
    } catch (err) {
      const status = err?.originalResponse?.getStatus?.() ?? 0;
      const problem = problemOf(err);
      const verdict = classifyUploadFailure(status, problem?.type);
      if (verdict === "reject") {
        await patchPhoto(p.id, { state: "rejected", reject_reason: problem?.detail ?? err.message });
        onChange();
        continue;
      }
      await patchPhoto(p.id, { state: "local", upload_error: problem?.detail ?? err.message });
      onChange();
      if (verdict === "revoked") throw new DeviceRevoked();
      if (verdict === "login") throw new HttpError(401, problem);
      if (verdict === "wait") continue;
      throw err;
    }
    await patchPhoto(p.id, { state: "received", uploaded: data.size });
    done += 1;
    onChange();
  }
  return done;
}

/** Count of tus resume entries (diagnostics). */
export async function resumeEntries() {
  return tx(["tus"], "readonly", (t) => req(t.objectStore("tus").count()));
}
