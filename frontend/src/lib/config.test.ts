import { describe, expect, it } from "vitest";
import hallHtml from "../../hall.html?raw";
import moderateHtml from "../../moderate.html?raw";
import phoneHtml from "../../phone.html?raw";
import { CONFIG_PLACEHOLDER, ConfigError, parseConfig, participantPageUrl, readConfig, wsUrlFor } from "./config";

const INJECTED = '{"event": "icmc-2026", "token": "k3y", "wsUrl": "/ws", "role": "hall"}';

function doc(text: string | null): { getElementById(id: string): { textContent: string | null } | null } {
  return { getElementById: (id) => (id === "mb-config" && text !== null ? { textContent: text } : null) };
}

describe("the page config", () => {
  it("is read from #mb-config as the server injects it", () => {
    expect(readConfig({ role: "hall" }, doc(INJECTED), "")).toEqual({ event: "icmc-2026", token: "k3y", wsUrl: "/ws", role: "hall" });
  });

  it("takes the role and wsUrl defaults when missing", () => {
    expect(parseConfig('{"event": "e", "token": "t"}', { role: "participant" })).toEqual({ event: "e", token: "t", wsUrl: "/ws", role: "participant" });
  });

  it("gives an empty token when the URL held none (the page then uses the one it kept)", () => {
    expect(parseConfig('{"event": "e", "token": ""}', { role: "participant" }).token).toBe("");
    expect(parseConfig('{"event": "e"}', { role: "hall" }).token).toBe("");
  });

  it("ignores the query string once the server injected a config", () => {
    const config = readConfig({ role: "hall" }, doc(INJECTED), "?event=other&token=x");
    expect(config.event).toBe("icmc-2026");
  });

  it("falls back to the query string on the bare placeholder (dev server)", () => {
    expect(readConfig({ role: "hall" }, doc("{}"), "?event=ev&key=screen")).toEqual({ event: "ev", token: "screen", wsUrl: "/ws", role: "hall" });
    expect(readConfig({ role: "moderator" }, doc("{}"), "?event=ev&token=mod").role).toBe("moderator");
  });

  it.each([
    ["no element", null, /no #mb-config/],
    ["not json", "{", /not valid JSON/],
    ["not an object", "[1]", /JSON object/],
    ["the bare placeholder", "{}", /no event/],
    ["a token that is not a string", '{"event": "e", "token": 5}', /token must be a string/],
    ["a bad role", '{"event": "e", "token": "t", "role": "admin"}', /unknown role/],
    ["a bad wsUrl", '{"event": "e", "token": "t", "wsUrl": 5}', /wsUrl/],
  ])("refuses %s", (_name, text, message) => {
    expect(() => readConfig({ role: "hall" }, doc(text), "")).toThrow(ConfigError);
    expect(() => readConfig({ role: "hall" }, doc(text), "")).toThrow(message);
  });
});

describe("URLs", () => {
  it.each([
    ["/ws", "http://127.0.0.1:8000/hall/ev?key=k", "ws://127.0.0.1:8000/ws"],
    ["/ws", "https://match.example.org/p/ev.tok#x", "wss://match.example.org/ws"],
    ["wss://other.example.org/ws", "https://match.example.org/hall/ev", "wss://other.example.org/ws"],
    ["ws?x=1", "http://h/moderate/ev", "ws://h/moderate/ws?x=1"],
  ])("%s from %s: %s", (wsUrl, page, expected) => {
    expect(wsUrlFor(wsUrl, page)).toBe(expected);
  });

  it("the hall's QR code leads to the event's participant page, without any secret", () => {
    expect(participantPageUrl("https://match.example.org/hall/ev?key=secret", "ev")).toBe("https://match.example.org/p/ev");
  });

  it("the hall's QR code uses the public address the server gives", () => {
    const config = parseConfig('{"event": "ev", "token": "k", "role": "hall", "publicUrl": "http://10.0.0.5:8000"}', { role: "hall" });
    expect(config.publicUrl).toBe("http://10.0.0.5:8000");
    expect(participantPageUrl("http://127.0.0.1:8000/hall/ev?key=k", "ev", config.publicUrl)).toBe("http://10.0.0.5:8000/p/ev");
    expect(participantPageUrl("http://127.0.0.1:8000/hall/ev", "ev", "https://fair.example.org/mb/")).toBe("https://fair.example.org/mb/p/ev");
    expect(parseConfig('{"event": "ev", "publicUrl": ""}', { role: "hall" }).publicUrl).toBeUndefined();
  });
});

describe("the pages", () => {
  it.each([
    ["hall", hallHtml],
    ["phone", phoneHtml],
    ["moderate", moderateHtml],
  ])("%s.html carries the placeholder the server replaces, verbatim", (_page, html) => {
    expect(CONFIG_PLACEHOLDER).toBe('<script id="mb-config" type="application/json">{}</script>');
    expect(html).toContain(CONFIG_PLACEHOLDER);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from other hosts
  });
});
