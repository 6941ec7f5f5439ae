/**
 * The page config the server injects into each page (server/edge/pages.py) in place of the
 * placeholder `CONFIG_PLACEHOLDER`, which every page's HTML must contain verbatim:
 *
 *   <script id="mb-config" type="application/json">{"event": "...", "token": "...",
 *     "wsUrl": "/ws", "role": "hall"}</script>
 *
 * On a page not served by Matchboard (the Vite dev server), the placeholder is still `{}`
 * and the config may come from the query string instead: ?event=...&token=... (or &key=).
 * `token` is "" on a page opened without its secret in the URL: boot.ts then uses the
 * token the page kept when it was first opened (lib/linkToken.ts).
 */
import type { Role } from "./protocol";

export const CONFIG_PLACEHOLDER = '<script id="mb-config" type="application/json">{}</script>';
export const CONFIG_ELEMENT_ID = "mb-config";

export interface PageConfig {
  event: string;
  token: string;
  wsUrl: string; // absolute, or relative to the page ("/ws")
  role: Role;
  // The hall screen's MATCHBOARD_PUBLIC_URL, when set: where its QR code sends phones.
  publicUrl?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const ROLES: readonly Role[] = ["moderator", "hall", "participant"];

/** The config from the element's JSON text; `defaults` (the page's role) and `query`
 * (the dev fallback) fill what the server did not inject. */
export function parseConfig(text: string | null | undefined, defaults: { role: Role }, query?: URLSearchParams): PageConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text?.trim() || "{}");
  } catch {
    throw new ConfigError("the page config is not valid JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError("the page config must be a JSON object");
  }
  const given = raw as Record<string, unknown>;
  const injected = Object.keys(given).length > 0;
  const pick = (name: string, ...params: string[]): unknown => {
    if (injected || query === undefined) return given[name];
    for (const p of params) {
      const value = query.get(p);
      if (value) return value;
    }
    return undefined;
  };
  const event = pick("event", "event");
  const token = pick("token", "token", "key") ?? ""; // "": the page takes the kept one (linkToken.ts)
  const wsUrl = pick("wsUrl", "ws") ?? "/ws";
  const role = pick("role", "role") ?? defaults.role;
  if (typeof event !== "string" || event === "") {
    throw new ConfigError("no event in the page config: open this page through the Matchboard server");
  }
  if (typeof token !== "string") throw new ConfigError("the token must be a string");
  if (typeof wsUrl !== "string") throw new ConfigError("wsUrl must be a string");
  if (typeof role !== "string" || !ROLES.includes(role as Role)) throw new ConfigError(`unknown role ${String(role)}`);
  const publicUrl = given["publicUrl"];
  const base = { event, token, wsUrl, role: role as Role };
  return typeof publicUrl === "string" && publicUrl !== "" ? { ...base, publicUrl } : base;
}

interface DocumentLike {
  getElementById(id: string): { textContent: string | null } | null;
}

/** The config of this page (`doc` and `search` default to the browser's). */
export function readConfig(defaults: { role: Role }, doc: DocumentLike = document, search: string = location.search): PageConfig {
  const element = doc.getElementById(CONFIG_ELEMENT_ID);
  if (element === null) throw new ConfigError(`the page has no #${CONFIG_ELEMENT_ID} element`);
  return parseConfig(element.textContent, defaults, new URLSearchParams(search));
}

/** The WebSocket URL for `wsUrl` relative to the page: http → ws, https → wss. */
export function wsUrlFor(wsUrl: string, pageHref: string): string {
  const url = new URL(wsUrl, pageHref);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  url.hash = "";
  return url.toString();
}

/** The event's participant page without a token (`/p/<event>`), for the QR code on the
 * hall screen: it opens the agenda on a phone that opened its personal link before, and
 * asks for that link on any other. Under the server's public address when one is set
 * (the hall screen may itself run on 127.0.0.1), like every link the CLI prints; else on
 * the page's own host. */
export function participantPageUrl(pageHref: string, event: string, publicUrl?: string): string {
  const path = `/p/${encodeURIComponent(event)}`;
  if (publicUrl) return new URL(publicUrl.replace(/\/+$/, "") + path).toString();
  return new URL(path, pageHref).toString();
}
