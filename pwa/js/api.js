// fetch() with the device's bearer token, silent refresh and problem+json errors.

import { getMeta, setMeta } from "./store.js";

export class HttpError extends Error {
  constructor(status, problem, headers) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.headers = headers;
  }
}
export class NetworkError extends Error {}
export class DeviceRevoked extends Error {}

async function problemOf(resp) {
  try {
    return await resp.json();
  } catch {
    return null;
  }
}

/** Plain request; throws NetworkError when the server cannot be reached. */
export async function rawFetch(path, init = {}) {
  try {
    return await fetch(path, { cache: "no-store", ...init });
  } catch (err) {
    throw new NetworkError(err?.message ?? "netwerkfout");
  }
}

function isRevoked(problem) {
  return typeof problem?.type === "string" && problem.type.endsWith("device-revoked");
}

let refreshing = null;

async function refresh() {
  const auth = await getMeta("auth");
  const deviceId = await getMeta("device_id");
  if (!auth?.refresh_token) throw new HttpError(401, { detail: "Niet ingelogd." });
  const resp = await rawFetch("/api/v1/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: auth.refresh_token, device_id: deviceId }),
  });
  if (!resp.ok) {
    const problem = await problemOf(resp);
    if (isRevoked(problem)) throw new DeviceRevoked();
    throw new HttpError(resp.status, problem, resp.headers);
  }
  const body = await resp.json();
  await setMeta({ auth: { ...body, expires_at: Date.now() + body.expires_in * 1000 } });
  return body.access_token;
}

/** A valid access token, refreshed when it is about to expire. */
export async function accessToken() {
  const auth = await getMeta("auth");
  if (!auth) throw new HttpError(401, { detail: "Niet ingelogd." });
  if (auth.expires_at && auth.expires_at - Date.now() < 30_000) {
    refreshing ??= refresh().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }
  return auth.access_token;
}

/** Authenticated GET of binary content (e.g. a photo thumbnail); returns a Blob. */
export async function apiBlob(path, retried = false) {
  const token = await accessToken();
  const resp = await rawFetch(path, { headers: { Authorization: `Bearer ${token}` } });
  if (resp.ok) return resp.blob();
  const problem = await problemOf(resp);
  if (resp.status === 401 && isRevoked(problem)) throw new DeviceRevoked();
  if (resp.status === 401 && !retried) {
    refreshing ??= refresh().finally(() => {
      refreshing = null;
    });
    await refreshing;
    return apiBlob(path, true);
  }
  throw new HttpError(resp.status, problem, resp.headers);
}

/** Authenticated JSON call; returns the parsed body. */
export async function api(path, { method = "GET", body, retried = false } = {}) {
  const token = await accessToken();
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await rawFetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (resp.ok) return resp.status === 204 ? null : resp.json();
  const problem = await problemOf(resp);
  if (resp.status === 401 && isRevoked(problem)) throw new DeviceRevoked();
  if (resp.status === 401 && !retried) {
    refreshing ??= refresh().finally(() => {
      refreshing = null;
    });
    await refreshing;
    return api(path, { method, body, retried: true });
  }
  throw new HttpError(resp.status, problem, resp.headers);
}
