/** The alert queue: open alerts with one-click answers, and substitutes to seat. */
import type { AlertRecord } from "../lib/protocol";
import { byId, h, setText } from "../ui/dom";
import type { Ctx } from "./ctx";
import { formatAge } from "./logic";

interface Candidate {
  participant: string;
  name: string;
  organisation?: string;
  score?: number;
  reasons?: string[];
}

export function alertsPanel(ctx: Ctx): { render(): void; tick(): void } {
  const list = byId("alerts");
  const count = byId("alert-count");
  const subs = new Map<string, Candidate[] | "loading">(); // alert id → candidates
  const { store, conn } = ctx;

  const btn = (text: string, click: () => void, cls = ""): HTMLButtonElement =>
    h("button", { text, class: cls, attrs: { type: "button" }, on: { click } });

  async function findSubs(a: AlertRecord, waiting: string): Promise<void> {
    subs.set(a.id, "loading");
    render();
    const data = await ctx.ask("suggest_substitutes", { participant: waiting, round: a.round, limit: 5 });
    subs.set(a.id, (data?.candidates as Candidate[] | undefined) ?? []);
    render();
  }

  /** Who waits: the reporter for a missing partner; else someone present in the meeting. */
  function waitingOf(a: AlertRecord): { waiting: string; absent: string[] } {
    const m = store.get("meeting", a.meeting);
    const everyone = m ? [...m.side_a, ...m.side_b] : [a.reporter];
    const absent = everyone.filter((id) => store.get("participant", id)?.present === false);
    if (a.kind === "missing_partner") return { waiting: a.reporter, absent: absent.filter((id) => id !== a.reporter) };
    const here = everyone.find((id) => !absent.includes(id)) ?? a.reporter;
    return { waiting: here, absent };
  }

  function item(a: AlertRecord): HTMLLIElement {
    const now = conn.serverNowMs();
    const { waiting, absent } = waitingOf(a);
    const m = store.get("meeting", a.meeting);
    const partners = m ? (m.side_a.includes(waiting) ? m.side_b : m.side_a) : [];
    const partnerHere = partners.map((id) => `${ctx.nameOf(id)} ${store.get("participant", id)?.present ? "is here" : "not here"}`).join("; ");
    const where = `R${a.round}${a.table !== null ? ` · T${a.table}` : ""}`;
    const kind = a.kind === "missing_partner" ? "Partner missing" : "At risk";
    const cand = subs.get(a.id);
    return h(
      "li",
      { class: `alert alert-${a.kind}` },
      h("div", { class: "alert-what" }, h("b", { text: where }), ` ${kind} · `, h("span", { class: "age", text: formatAge(a.since_ms, now), attrs: { "data-since": String(a.since_ms) } })),
      h("div", { class: "alert-who", text: `${ctx.nameOf(waiting)} waits · ${partnerHere || (absent.length ? `not here: ${absent.map(ctx.nameOf).join(", ")}` : "")}` }),
      h(
        "div",
        { class: "alert-actions" },
        btn("Mark absent", () => void ctx.run("mark_absent", { meeting: a.meeting }), "danger"),
        btn("Keep waiting", () => void ctx.run("keep_waiting", { alert: a.id })),
        btn("Find substitute", () => void findSubs(a, waiting)),
        btn("Select", () => ctx.select(a.meeting), "quiet"),
      ),
      cand === "loading"
        ? h("div", { class: "subs", text: "Looking for substitutes…" })
        : cand
          ? h(
              "ul",
              { class: "subs" },
              ...(cand.length === 0
                ? [h("li", { text: "No one suitable is free." })]
                : cand.map((c) =>
                    h(
                      "li",
                      {},
                      btn(`Seat ${c.name}`, () => void ctx.run("accept_substitute", { participant: waiting, substitute: c.participant, round: a.round, ...(a.table !== null ? { table: a.table } : {}) }).then(() => subs.delete(a.id)), "primary"),
                      h("span", { class: "reasons", text: [c.organisation, ...(c.reasons ?? [])].filter(Boolean).join(" · ") }),
                    ),
                  )),
            )
          : null,
    );
  }

  function render(): void {
    const open = store.list("alert").filter((a) => a.status === "open").sort((a, b) => a.since_ms - b.since_ms);
    for (const id of subs.keys()) if (!open.some((a) => a.id === id)) subs.delete(id);
    setText(count, open.length ? String(open.length) : "");
    list.replaceChildren(...open.map(item));
    if (open.length === 0) list.append(h("li", { class: "empty", text: "No open alerts." }));
  }

  function tick(): void {
    const now = conn.serverNowMs();
    for (const el of list.querySelectorAll<HTMLElement>(".age")) setText(el, formatAge(Number(el.dataset.since), now));
  }
  return { render, tick };
}
