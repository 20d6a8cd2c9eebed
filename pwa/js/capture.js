// Photo intake: keep the original bytes as chosen (evidence), hash them on the device and
// make a small local thumbnail. The server makes its own metadata-free derivatives.

const THUMB = 320;

/** Hex sha256 of a Blob (crypto.subtle: secure contexts only; localhost counts). */
export async function sha256Hex(data) {
  const digest = await crypto.subtle.digest("SHA-256", await data.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A JPEG thumbnail (long edge 320 px), or null when the browser cannot decode the image. */
export async function thumbnail(data) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(data);
  } catch {
    return null;
  }
  const scale = Math.min(1, THUMB / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const out = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.7));
  canvas.width = canvas.height = 1; // release the canvas memory early (iOS limits)
  return out;
}

/** The MIME type to declare, sniffed from the first bytes, or null when not allowed. */
export async function sniffMime(data) {
  const b = new Uint8Array(await data.slice(0, 12).arrayBuffer());
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
  if (b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57 && b[9] === 0x45) return "image/webp";
  return null;
}
