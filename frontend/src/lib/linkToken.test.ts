import { describe, expect, it } from "vitest";
import { FORGET_ON_CLOSE, forgetToken, settleToken, storageKind, tokenKey, withoutSecret, type KeyValueStore } from "./linkToken";

class MapStore implements KeyValueStore {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const refusing: KeyValueStore = {
  getItem: () => {
    throw new Error("SecurityError");
  },
  setItem: () => {
    throw new Error("QuotaExceededError");
  },
  removeItem: () => {
    throw new Error("SecurityError");
  },
};

describe("the kept token", () => {
  it("keeps the link's token and finds it again without the link", () => {
    const store = new MapStore();
    expect(settleToken(store, "participant", "icmc", "icmc.s3cr3t")).toBe("icmc.s3cr3t");
    expect(settleToken(store, "participant", "icmc", "")).toBe("icmc.s3cr3t");
    expect([...store.items.keys()]).toEqual(["mb-token:participant:icmc"]);
  });

  it("takes a new link over the kept token", () => {
    const store = new MapStore();
    settleToken(store, "hall", "icmc", "old-key");
    expect(settleToken(store, "hall", "icmc", "new-key")).toBe("new-key");
    expect(settleToken(store, "hall", "icmc", "")).toBe("new-key");
  });

  it("keeps one token per role and event on one device", () => {
    const store = new MapStore();
    settleToken(store, "participant", "day-one", "day-one.a");
    settleToken(store, "participant", "day-two", "day-two.b");
    settleToken(store, "hall", "day-one", "hall-key");
    expect(settleToken(store, "participant", "day-one", "")).toBe("day-one.a");
    expect(settleToken(store, "participant", "day-two", "")).toBe("day-two.b");
    expect(settleToken(store, "hall", "day-one", "")).toBe("hall-key");
    expect(settleToken(store, "moderator", "day-one", "")).toBeNull();
  });

  it("is null with no link and nothing kept", () => {
    expect(settleToken(new MapStore(), "moderator", "icmc", "")).toBeNull();
    expect(settleToken(null, "moderator", "icmc", "")).toBeNull();
  });

  it("works without storage, or with storage that refuses", () => {
    expect(settleToken(null, "participant", "icmc", "icmc.x")).toBe("icmc.x");
    expect(settleToken(refusing, "participant", "icmc", "icmc.x")).toBe("icmc.x");
    expect(settleToken(refusing, "participant", "icmc", "")).toBeNull();
    expect(() => forgetToken(refusing, "participant", "icmc")).not.toThrow();
  });

  it("is forgotten for that event only", () => {
    const store = new MapStore();
    settleToken(store, "participant", "a", "a.1");
    settleToken(store, "participant", "b", "b.2");
    forgetToken(store, "participant", "a");
    expect(settleToken(store, "participant", "a", "")).toBeNull();
    expect(store.getItem(tokenKey("participant", "b"))).toBe("b.2");
  });

  it("is forgotten after a revoked (4005) or refused (4001) token, not after a drop", () => {
    expect(FORGET_ON_CLOSE[4005]).toBe("revoked");
    expect(FORGET_ON_CLOSE[4001]).toBe("invalid");
    for (const code of [1006, 1012, 4008]) expect(FORGET_ON_CLOSE[code]).toBeUndefined();
  });

  it("lives in localStorage for phones and halls, in this tab only for the console", () => {
    expect(storageKind("participant")).toBe("localStorage");
    expect(storageKind("hall")).toBe("localStorage");
    expect(storageKind("moderator")).toBe("sessionStorage");
  });
});

describe("the URL without its secret", () => {
  it.each([
    ["participant", "https://m.example.org/p/icmc-2026.AbC-12_x", "https://m.example.org/p/icmc-2026"],
    ["hall", "https://m.example.org/hall/icmc-2026?key=K3y&sound=1", "https://m.example.org/hall/icmc-2026?sound=1"],
    ["hall", "http://127.0.0.1:8000/hall/icmc-2026?sound=1&key=K3y#top", "http://127.0.0.1:8000/hall/icmc-2026?sound=1#top"],
    ["moderator", "https://m.example.org/moderate/icmc-2026?token=m0d", "https://m.example.org/moderate/icmc-2026"],
    ["hall", "http://localhost:5173/hall.html?event=icmc-2026&key=K", "http://localhost:5173/hall.html?event=icmc-2026"],
  ] as const)("%s: %s → %s", (role, href, clean) => {
    expect(withoutSecret(href, role, "icmc-2026")).toBe(clean);
  });

  it.each([
    ["participant", "https://m.example.org/p/icmc-2026"],
    ["hall", "https://m.example.org/hall/icmc-2026?sound=1"],
    ["moderator", "https://m.example.org/moderate/icmc-2026"],
  ] as const)("%s: %s holds none", (role, href) => {
    expect(withoutSecret(href, role, "icmc-2026")).toBeNull();
  });
});
