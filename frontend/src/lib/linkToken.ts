/**
 * A page's token leaves the URL on first load, so that it does not linger in the history,
 * in bookmarks or in a screenshot of the address bar; the page keeps it in storage instead
 * and reads it from there when the clean URL is opened again (a reload, the home-screen
 * icon, a kiosk restart).
 *
 *   phone    /p/<token>              → /p/<event>      localStorage (survives a restart)
 *   hall     /hall/<event>?key=<key> → /hall/<event>   localStorage (a kiosk that reboots
 *                                                      comes back by itself)
 *   console  /moderate/<event>?token= → /moderate/<event>  sessionStorage (this tab only:
 *                                                      a shared laptop forgets it)
 *
 * Tokens are kept per role and event, so one device may hold several events. When the
 * server says the token is revoked (close 4005) or not valid (4001), the page forgets it.
 * Pure apart from the storage it is given.
 */
import type { Role } from "./protocol";

/** The part of the Web Storage API used here (localStorage, sessionStorage, a test map). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export type LinkProblem = "missing" | "revoked" | "invalid";

export const LINK_PROBLEM_TEXT: Record<LinkProblem, string> = {
  missing: "This page needs its link: open the link you were given once, and this device remembers it.",
  revoked: "This link was revoked: ask the organisers for the new one.",
  invalid: "This link is not valid (it may have been replaced): ask the organisers for a new one.",
};

/** The close codes after which a kept token is forgotten, and what the page says. */
export const FORGET_ON_CLOSE: Readonly<Record<number, LinkProblem>> = { 4001: "invalid", 4005: "revoked" };

export function tokenKey(role: Role, event: string): string {
  return `mb-token:${role}:${event}`;
}

/** Which storage keeps a role's token (see the table above). */
export function storageKind(role: Role): "localStorage" | "sessionStorage" {
  return role === "moderator" ? "sessionStorage" : "localStorage";
}

/** The token to use: the link's (kept for next time), else the one kept, else null.
 * Storage that is missing or refuses (private mode, full) only means nothing is kept. */
export function settleToken(storage: KeyValueStore | null, role: Role, event: string, fromLink: string): string | null {
  const key = tokenKey(role, event);
  if (fromLink) {
    try {
      storage?.setItem(key, fromLink);
    } catch {
      /* not kept: the link works this time */
    }
    return fromLink;
  }
  try {
    return storage?.getItem(key) || null;
  } catch {
    return null;
  }
}

export function forgetToken(storage: KeyValueStore | null, role: Role, event: string): void {
  try {
    storage?.removeItem(tokenKey(role, event));
  } catch {
    /* nothing kept */
  }
}

/** The page's URL without its secret (`/p/<token>` becomes `/p/<event>`; `token` and `key`
 * leave the query, everything else stays), or null when it holds none. */
export function withoutSecret(href: string, role: Role, event: string): string | null {
  const url = new URL(href);
  let changed = false;
  for (const name of ["token", "key"]) {
    if (url.searchParams.has(name)) {
      url.searchParams.delete(name);
      changed = true;
    }
  }
  const phonePath = `/p/${encodeURIComponent(event)}`;
  if (role === "participant" && url.pathname.startsWith("/p/") && url.pathname !== phonePath) {
    url.pathname = phonePath;
    changed = true;
  }
  return changed ? url.toString() : null;
}
