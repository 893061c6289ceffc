// The Kapok API client: cookie session, CSRF token on every change, JSON errors.

export interface Principal {
  user_id: string;
  username: string;
  role: string;
  centre: string;
}

export interface Channel {
  id: string;
  centre: string;
  slug: string;
  name: string;
  kind: string;
  day_start: string;
}

export interface Programme {
  id: string;
  centre: string;
  title: string;
  series: string | null;
  description: string;
  category: string;
  language: string;
  status: string;
  reason: string | null;
  duration_ms: number | null;
  qc: unknown;
  loudness: unknown;
  version: number;
}

export interface Asset {
  id: string;
  kind: string;
  key: string;
  size_bytes: number;
}

/** An API error with the server's code and message (and, for alerts, its reasons). */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public body: unknown,
  ) {
    super(message);
  }
}

const CSRF_KEY = "kapok.csrf";

export async function request<T>(method: string, path: string, body?: BodyInit, type?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (type) headers["Content-Type"] = type;
  if (method !== "GET") {
    const csrf = sessionStorage.getItem(CSRF_KEY);
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  const res = await fetch(path, { method, headers, body, credentials: "same-origin" });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? "http", e?.message ?? `${res.status} ${res.statusText}`, json);
  }
  return json as T;
}

/** Signs in; remembers the CSRF token for this tab. */
export async function login(username: string, password: string): Promise<Principal> {
  const r = await request<{ user: Principal; csrf_token: string }>(
    "POST",
    "/api/auth/login",
    JSON.stringify({ username, password }),
    "application/json",
  );
  sessionStorage.setItem(CSRF_KEY, r.csrf_token);
  return r.user;
}

/** Signs out. */
export async function logout(): Promise<void> {
  try {
    await request<void>("POST", "/api/auth/logout");
  } finally {
    sessionStorage.removeItem(CSRF_KEY);
  }
}

/** Who is signed in, or null. A session without a CSRF token in this tab counts as signed out. */
export async function me(): Promise<Principal | null> {
  if (!sessionStorage.getItem(CSRF_KEY)) return null;
  try {
    return await request<Principal>("GET", "/api/auth/me");
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

let lastChannels: { at: number; list: Promise<Channel[]> } | null = null;

/** The channels (each call asks the server; `recentChannels` reuses the answer). */
export function channels(): Promise<Channel[]> {
  const list = request<Channel[]>("GET", "/api/channels");
  lastChannels = { at: Date.now(), list };
  return list;
}

/**
 * The channels as answered in the last 30 s (the monitor asks every few seconds), else asked
 * again: the day editor opens without waiting for a list it was just shown.
 */
export function recentChannels(): Promise<Channel[]> {
  const last = lastChannels;
  if (last && Date.now() - last.at < 30_000) return last.list.catch(() => channels());
  return channels();
}

/** Narrowing and paging of the programme list (`/api/programmes`). */
export interface ListOptions {
  centre?: string;
  status?: string;
  /** Created on or after this instant (RFC 3339). */
  from?: string;
  sort?: "oldest" | "newest";
  after?: string | null;
  limit?: number;
}

/** Programme search: free text (Chinese), category, and the list's filters and cursor. */
export function programmes(q: string, category: string, o: ListOptions = {}): Promise<{ items: Programme[]; next: string | null }> {
  const p = new URLSearchParams({ limit: String(o.limit ?? 50) });
  if (q.trim()) p.set("q", q.trim());
  if (category) p.set("category", category);
  for (const k of ["centre", "status", "from", "sort", "after"] as const) {
    const v = o[k];
    if (v) p.set(k, v);
  }
  return request("GET", `/api/programmes?${p}`);
}

export const programme = (id: string): Promise<Programme> => request("GET", `/api/programmes/${encodeURIComponent(id)}`);

export const assets = (id: string): Promise<Asset[]> =>
  request("GET", `/api/programmes/${encodeURIComponent(id)}/assets`);

/** The URL of an asset's content (Range-capable). */
export const assetUrl = (id: string): string => `/api/assets/${encodeURIComponent(id)}/content`;

/** Sends an alert document (JSON or CAP XML). */
export function sendAlert(body: string, xml: boolean): Promise<Receipt> {
  return request("POST", "/api/alerts", body, xml ? "application/xml" : "application/json");
}

export const alerts = (): Promise<Tracked[]> => request("GET", "/api/alerts");

export interface Receipt {
  key: string;
  outcome: string;
  state: string | null;
  channels: string[];
  targeting: unknown;
  transitions: Array<{ at: string; key: string; from: string | null; to: string }>;
  /** Set when nothing went to air, saying why. */
  note?: string;
  /** What to check although it was accepted (a headline colour the severity does not draw). */
  warnings?: string[];
}

export interface Tracked {
  alert: {
    id: string;
    sender: string;
    sent: string;
    status: string;
    msg_type: string;
    event: string;
    headline?: string;
    areas: Array<{ desc: string; codes: string[] }>;
  };
  state: string;
  history: Array<{ at: string; to: string }>;
}

/** Queues a failed programme's ingest again (its uploaded source is kept). */
export const retryProgramme = (id: string): Promise<Programme> =>
  request("POST", `/api/programmes/${encodeURIComponent(id)}/retry`);

/** Deletes a programme that never became ready (failed or abandoned), with its files. */
export const deleteProgramme = (id: string): Promise<void> =>
  request("DELETE", `/api/programmes/${encodeURIComponent(id)}`);

/** The failure reason of a programme in words (the server's text stays a detail). */
export function reasonKey(
  reason: string | null,
): "why_not_media" | "why_no_streams" | "why_decode" | "why_too_long" | "why_upload" | "why_abandoned" | "why_other" {
  const r = (reason ?? "").toLowerCase();
  // The upload sweeper's reason (ingest/src/upload/sweep.rs): nothing of it is kept to retry.
  if (/^upload abandoned/.test(r)) return "why_abandoned";
  if (/not a media file|invalid data found|unknown format|no known media/.test(r)) return "why_not_media";
  if (/no (audio or video|video or audio|streams?)|has no audio/.test(r)) return "why_no_streams";
  if (/decod|corrupt|truncat/.test(r)) return "why_decode";
  if (/too long|longer than/.test(r)) return "why_too_long";
  if (/upload failed/.test(r)) return "why_upload";
  return "why_other";
}
