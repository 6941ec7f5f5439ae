/** The phone's offline helpers: localStorage that may be missing or full, and the assets
 * kept in the Cache API for the service worker. */

export function readStorage(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function writeStorage(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* full or private mode: no offline copy */
  }
}

export function removeStorage(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    /* nothing kept */
  }
}

/** Keep this page and its scripts and styles in the Cache API, and let the service
 * worker (/p/sw.js, served by the server) answer from it when the network is gone. */
export function cacheAssets(): void {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/p/sw.js", { scope: "/p/" }).catch(() => undefined);
  }
  if (!("caches" in window)) return;
  const urls = [
    location.pathname + location.search,
    ...Array.from(document.querySelectorAll<HTMLScriptElement | HTMLLinkElement>("script[src], link[rel=stylesheet], link[rel=modulepreload]"))
      .map((n) => (n instanceof HTMLScriptElement ? n.src : n.href))
      .filter((u) => u.startsWith(location.origin)),
  ];
  caches
    .open("matchboard-phone-v1")
    .then(async (cache) => {
      const missing: string[] = [];
      for (const url of urls) if ((await cache.match(url)) === undefined) missing.push(url);
      await cache.addAll(missing); // hashed assets: fetched once; the page itself: once
    })
    .catch(() => undefined);
}
