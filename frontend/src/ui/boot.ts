/** What every page does first: read the config, take the token out of the URL (keeping
 * it on the device, lib/linkToken.ts), open the connection, show its state. */
import { ConfigError, readConfig, wsUrlFor, type PageConfig } from "../lib/config";
import { Connection, type Status, type StatusDetail } from "../lib/connection";
import { FORGET_ON_CLOSE, LINK_PROBLEM_TEXT, forgetToken, settleToken, storageKind, withoutSecret, type KeyValueStore, type LinkProblem } from "../lib/linkToken";
import type { Role } from "../lib/protocol";
import { h, setClass, setText } from "./dom";
import { statusText, type Say } from "./labels";

export interface Page {
  config: PageConfig;
  conn: Connection;
}

export interface BootOptions {
  /** The page's words for a link that is missing, revoked or not valid (default English). */
  say?: (problem: LinkProblem) => string;
  /** The token was revoked or refused: forget what the page kept for it. */
  onForget?: (token: string) => void;
}

function pageStorage(role: Role): KeyValueStore | null {
  try {
    return window[storageKind(role)];
  } catch {
    return null; // storage disabled: the link works, but only while it is in the URL
  }
}

/** The config and a connection (not started yet), or null after showing why not. */
export function boot(role: Role, options: BootOptions = {}): Page | null {
  const say = options.say ?? ((problem: LinkProblem) => LINK_PROBLEM_TEXT[problem]);
  let config: PageConfig;
  try {
    config = readConfig({ role });
  } catch (err) {
    fatal(err instanceof ConfigError ? err.message : String(err));
    return null;
  }
  const storage = pageStorage(role);
  const token = settleToken(storage, role, config.event, config.token);
  const clean = withoutSecret(location.href, role, config.event);
  if (clean !== null) history.replaceState(history.state, "", clean);
  if (token === null) {
    fatal(say("missing"));
    return null;
  }
  config = { ...config, token };
  const conn = new Connection({ url: wsUrlFor(config.wsUrl, location.href), event: config.event, token });
  const event = config.event;
  conn.on("status", (status, detail) => {
    const problem = status === "stopped" && detail.closeCode !== undefined ? FORGET_ON_CLOSE[detail.closeCode] : undefined;
    if (problem === undefined) return;
    forgetToken(storage, role, event);
    options.onForget?.(token);
    fatal(say(problem));
  });
  // Back online or back on screen: don't wait out the backoff.
  window.addEventListener("online", () => conn.reconnectNow());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") conn.reconnectNow();
  });
  return { config, conn };
}

/** Keep `el` showing the connection's state (class conn-<status>) in the screen's words;
 * call the answer when the language changes. */
export function bindStatus(el: HTMLElement, conn: Connection, t?: Say): () => void {
  let last: StatusDetail = {};
  const render = (status: Status, detail: StatusDetail): void => {
    last = detail;
    setClass(el, `conn conn-${status}`);
    setText(el, statusText(status, detail, t));
    el.title = detail.closeCode !== undefined ? `close code ${detail.closeCode}` : "";
  };
  render(conn.status, {});
  conn.on("status", render);
  return () => render(conn.status, last);
}

/** Replace the page with an error message (no config, no connection possible). */
export function fatal(message: string): void {
  document.body.className = "fatal";
  document.body.replaceChildren(h("div", { class: "fatal-box" }, h("h1", { text: "Matchboard" }), h("p", { text: message })));
}
