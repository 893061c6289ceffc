// A small tus 1.0 client for /api/uploads: create (POST with Upload-Length and
// Upload-Metadata), send in chunks with PATCH, and after a dropped connection ask HEAD for
// the offset the server holds and go on from there. Sends X-CSRF-Token like every change.

const CSRF_KEY = "kapok.csrf";
const CHUNK = 8 * 1024 * 1024;

export interface Meta {
  filename: string;
  title: string;
  category?: string;
  description?: string;
  language?: string;
  tags?: string;
  shared?: "network" | "private";
  centre?: string;
}

/** base64 of the UTF-8 bytes of `s` (tus metadata values). */
function b64(s: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The Upload-Metadata header: `key base64,key base64`, empty values left out. */
export function metadataHeader(m: Meta): string {
  return Object.entries(m)
    .filter(([, v]) => typeof v === "string" && v !== "")
    .map(([k, v]) => `${k} ${b64(v as string)}`)
    .join(",");
}

function headers(extra: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { "Tus-Resumable": "1.0.0", ...extra };
  const csrf = sessionStorage.getItem(CSRF_KEY);
  if (csrf) h["X-CSRF-Token"] = csrf;
  return h;
}

async function errorOf(res: Response): Promise<Error> {
  const text = await res.text().catch(() => "");
  try {
    const m = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (m) return new Error(m);
  } catch {
    /* not JSON */
  }
  return new Error(`${res.status} ${res.statusText}`);
}

export interface Upload {
  url: string;
  programmeId: string | null;
}

/** Creates the upload. */
export async function create(file: File, meta: Meta): Promise<Upload> {
  const res = await fetch("/api/uploads", {
    method: "POST",
    credentials: "same-origin",
    headers: headers({ "Upload-Length": String(file.size), "Upload-Metadata": metadataHeader(meta) }),
  });
  if (res.status !== 201) throw await errorOf(res);
  const url = res.headers.get("Location");
  if (!url) throw new Error("the server gave no upload location");
  return { url, programmeId: res.headers.get("Kapok-Programme-Id") };
}

/** The offset the server holds. */
export async function offsetOf(url: string): Promise<number> {
  const res = await fetch(url, { method: "HEAD", credentials: "same-origin", headers: headers({}) });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  return Number(res.headers.get("Upload-Offset") ?? "0");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `file` from the server's offset to the end in chunks, calling `progress(sent)`.
 * A network error (or a 409 offset mismatch) asks HEAD for the offset and resumes, up to
 * `retries` times in a row, waiting longer each time; `signal` stops it.
 */
export async function send(
  up: Upload,
  file: File,
  progress: (sent: number, retrying: boolean) => void,
  signal: AbortSignal,
  retries = 8,
): Promise<void> {
  let offset = 0;
  let failures = 0;
  while (offset < file.size || file.size === 0) {
    if (signal.aborted) throw new Error("cancelled");
    try {
      const chunk = file.slice(offset, Math.min(file.size, offset + CHUNK));
      const res = await fetch(up.url, {
        method: "PATCH",
        credentials: "same-origin",
        signal,
        headers: headers({ "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset) }),
        body: chunk,
      });
      if (res.status === 409) {
        offset = await offsetOf(up.url);
        continue;
      }
      if (res.status !== 204) throw await errorOf(res);
      offset = Number(res.headers.get("Upload-Offset") ?? offset + chunk.size);
      failures = 0;
      progress(offset, false);
      if (file.size === 0) return;
    } catch (e) {
      if (signal.aborted) throw new Error("cancelled");
      if (!(e instanceof TypeError) || ++failures > retries) throw e;
      progress(offset, true);
      await sleep(Math.min(10_000, 500 * 2 ** failures));
      offset = await offsetOf(up.url).catch(() => offset);
    }
  }
}

const keyOf = (f: File) => `kapok.upload:${f.name}:${f.size}:${f.lastModified}`;

/**
 * The upload of the same file (name, size, modification time) begun earlier in this browser
 * and still held by the server, or a new one: a reload or a closed tab resumes too.
 */
export async function createOrResume(file: File, meta: Meta): Promise<Upload> {
  const saved = localStorage.getItem(keyOf(file));
  if (saved) {
    try {
      const up = JSON.parse(saved) as Upload;
      await offsetOf(up.url);
      return up;
    } catch {
      localStorage.removeItem(keyOf(file));
    }
  }
  const up = await create(file, meta);
  localStorage.setItem(keyOf(file), JSON.stringify(up));
  return up;
}

/** Forgets a finished or cancelled upload of `file`. */
export function forget(file: File): void {
  localStorage.removeItem(keyOf(file));
}

/** Cancels the upload on the server. */
export async function cancel(up: Upload): Promise<void> {
  await fetch(up.url, { method: "DELETE", credentials: "same-origin", headers: headers({}) }).catch(() => undefined);
}
