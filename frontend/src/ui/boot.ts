/** What every page does first: read the config, open the connection, show its state. */
import { ConfigError, readConfig, wsUrlFor, type PageConfig } from "../lib/config";
import { Connection, type Status, type StatusDetail } from "../lib/connection";
import type { Role } from "../lib/protocol";
import { h, setClass, setText } from "./dom";
import { statusText } from "./labels";

export interface Page {
  config: PageConfig;
  conn: Connection;
}

/** The config and a connection (not started yet), or null after showing why not. */
export function boot(role: Role): Page | null {
  let config: PageConfig;
  try {
    config = readConfig({ role });
  } catch (err) {
    fatal(err instanceof ConfigError ? err.message : String(err));
    return null;
  }
  const conn = new Connection({ url: wsUrlFor(config.wsUrl, location.href), event: config.event, token: config.token });
  // Back online or back on screen: don't wait out the backoff.
  window.addEventListener("online", () => conn.reconnectNow());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") conn.reconnectNow();
  });
  return { config, conn };
}

/** Keep `el` showing the connection's state (class conn-<status>). */
export function bindStatus(el: HTMLElement, conn: Connection): void {
  const render = (status: Status, detail: StatusDetail): void => {
    setClass(el, `conn conn-${status}`);
    setText(el, statusText(status, detail));
    el.title = detail.closeCode !== undefined ? `close code ${detail.closeCode}` : "";
  };
  render(conn.status, {});
  conn.on("status", render);
}

/** Replace the page with an error message (no config, no connection possible). */
export function fatal(message: string): void {
  document.body.className = "fatal";
  document.body.replaceChildren(h("div", { class: "fatal-box" }, h("h1", { text: "Matchboard" }), h("p", { text: message })));
}
