/** Printed material (issue #12 item 3): links that open the server's PDFs in a new tab —
 * everyone's agendas, table signs, badges, the current round's sheet and one person's
 * agenda. A plain link cannot send the Authorization header, so the moderator token rides
 * in the query (`?token=`, as GET /api/events/{id} accepts; the server's logs write it as
 * "…"). */
import type { ParticipantRecord } from "../lib/protocol";
import { h } from "../ui/dom";
import type { Ctx } from "./ctx";
import { ENGLISH, type ModT } from "./i18n";
import { searchPeople } from "./logic";

export type Paper = "a4" | "letter";
export type Printable = "agenda" | "tables" | "badges" | "rounds";

/** `/api/events/{event}/print/{what}.pdf?…` with the token, the paper and the options. */
export function printUrl(event: string, token: string, what: Printable, paper: Paper, options: { participant?: string; round?: number } = {}): string {
  const query = new URLSearchParams({ token, paper });
  if (options.participant) query.set("participant", options.participant);
  if (options.round !== undefined) query.set("round", String(options.round));
  return `/api/events/${encodeURIComponent(event)}/print/${what}.pdf?${query.toString()}`;
}

export interface PrintLink {
  key: string;
  text: string;
  url: string | null; // null: not available now (no person chosen)
}

/** The section's links, in the order shown. */
export function printLinks(event: string, token: string, paper: Paper, currentRound: number | null, person: ParticipantRecord | null, t: ModT = ENGLISH): PrintLink[] {
  const url = (what: Printable, options: { participant?: string; round?: number } = {}): string => printUrl(event, token, what, paper, options);
  return [
    { key: "agendas", text: t("pr_agendas"), url: url("agenda") },
    { key: "tables", text: t("pr_tables"), url: url("tables") },
    { key: "badges", text: t("pr_badges"), url: url("badges") },
    currentRound === null
      ? { key: "rounds", text: t("pr_rounds"), url: url("rounds") }
      : { key: "rounds", text: t("pr_round", { n: currentRound }), url: url("rounds", { round: currentRound }) },
    person === null
      ? { key: "person", text: t("pr_choose"), url: null }
      : { key: "person", text: t("pr_person", { name: person.name }), url: url("agenda", { participant: person.id }) },
  ];
}

export function printPanel(ctx: Ctx, event: string, token: string, currentRound: () => number | null): { render(): void } {
  const { store, t } = ctx;
  const search = h("input", { attrs: { type: "search", placeholder: t("personSearch"), "aria-label": t("pr_find") } });
  const person = h("select", { attrs: { "aria-label": t("pr_for") } });
  const paper = h("select", { attrs: { "aria-label": t("pr_paper") } }, h("option", { text: "A4", attrs: { value: "a4" } }), h("option", { text: "Letter", attrs: { value: "letter" } }));
  const list = h("ul", { class: "print-links" });
  const fill = (): void => {
    const keep = person.value;
    person.replaceChildren(
      h("option", { text: t("personPick"), attrs: { value: "" } }),
      ...searchPeople(store.list("participant"), search.value).map((p) => h("option", { text: `${p.name}${p.organisation ? ` (${p.organisation})` : ""}`, attrs: { value: p.id } })),
    );
    person.value = keep;
    if (person.value === "" && search.value && person.options.length === 2) person.selectedIndex = 1;
  };
  const links = (): void => {
    const chosen = person.value ? (store.get("participant", person.value) ?? null) : null;
    list.replaceChildren(
      ...printLinks(event, token, paper.value as Paper, currentRound(), chosen, t).map((l) =>
        h("li", {}, l.url === null ? h("span", { class: "empty", text: l.text }) : h("a", { text: l.text, attrs: { href: l.url, target: "_blank", rel: "noopener", "data-print": l.key } })),
      ),
    );
  };
  search.addEventListener("input", () => {
    fill();
    links();
  });
  person.addEventListener("change", links);
  paper.addEventListener("change", links);
  const root = document.getElementById("print");
  root?.replaceChildren(h("div", { class: "pick" }, search, person), h("label", { class: "check" }, `${t("pr_paperLabel")} `, paper), list, h("p", { class: "empty", text: t("pr_note") }));
  return {
    render() {
      fill();
      links();
    },
  };
}
