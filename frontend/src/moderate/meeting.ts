/** Actions on the selected meeting: move, swap, re-slot, cancel, depart — all dry-run first. */
import { endsAtMs } from "../lib/phases";
import { MEETING_STATUS_LABEL, OUTCOME_LABEL } from "../ui/labels";
import { byId, h } from "../ui/dom";
import type { Ctx } from "./ctx";
import type { RoundSuggestion } from "../lib/protocol";
import { constraintLines, freeTables, seatsOf, slotLabel, swapCandidates } from "./logic";

type Opt = [value: string, label: string];

function select(options: Opt[], placeholder: string): HTMLSelectElement {
  return h("select", {}, h("option", { text: placeholder, attrs: { value: "" } }), ...options.map(([v, l]) => h("option", { text: l, attrs: { value: v } })));
}

export function meetingPanel(ctx: Ctx): { render(): void } {
  const box = byId("selected");
  const { store } = ctx;
  let slots: RoundSuggestion[] | null = null; // best first, as the server ranks them
  let slotsFor: string | null = null;

  const row = (label: string, ...controls: HTMLElement[]): HTMLElement => h("div", { class: "action-row" }, h("span", { class: "action-label", text: label }), ...controls);
  const btn = (text: string, click: () => void, cls = ""): HTMLButtonElement => h("button", { text, class: cls, attrs: { type: "button" }, on: { click } });

  function render(): void {
    const m = ctx.selected ? store.get("meeting", ctx.selected) : undefined;
    if (!m) {
      box.replaceChildren(h("p", { class: "empty", text: "Click a meeting in the grid (or “Show” on an alert) to act on it." }));
      return;
    }
    if (slotsFor !== m.id) {
      slots = null;
      slotsFor = m.id;
    }
    const placed = m.round !== null && m.table !== null;
    const title = h("div", { class: "sel-title" }, h("b", { text: m.external_id || m.id }), ` · ${m.round !== null ? `round ${m.round}` : "unplaced"}${m.table !== null ? ` · table ${m.table}` : ""} · ${MEETING_STATUS_LABEL[m.status]}${m.origin !== "planned" ? ` · ${m.origin.replace("_", "-")}` : ""}${m.absent?.length ? ` · did not come: ${m.absent.map(ctx.nameOf).join(", ")}` : ""}`);
    const who = h("div", { class: "sel-people" }, ...[...m.side_a, ...m.side_b].map((id) => h("span", { class: store.get("participant", id)?.present === false ? "absent" : "present", text: ctx.nameOf(id) })));
    const other = (id: string): string => {
      const o = store.get("meeting", id);
      return o === undefined ? id : `${o.external_id || o.id} (${o.round !== null ? `round ${o.round}` : "unplaced"})`;
    };
    const asked = constraintLines(m, other);
    const rules = asked.length ? [h("ul", { class: "sel-constraints", attrs: { "aria-label": "What the organiser asked" } }, ...asked.map((t) => h("li", { text: t })))] : [];
    const rows: HTMLElement[] = [];
    if (placed && m.round !== null) {
      const free = select(freeTables(store.list("meeting"), store.list("table"), m.round, seatsOf(m)).map((t) => [String(t.number), `${t.number}${t.label ? ` ${t.label}` : ""}${t.zone ? ` (${t.zone})` : ""}`]), "free table…");
      rows.push(row("Move to table", free, btn("Move", () => free.value && void ctx.confirm(`Move ${m.id} to table ${free.value}`, "move_meeting", { meeting: m.id, table: Number(free.value) }))));
      const swap = select(swapCandidates(store.list("meeting"), m).map((o) => [o.id, `T${o.table}: ${ctx.people(o)}`]), "meeting…");
      rows.push(row("Swap with", swap, btn("Swap", () => swap.value && void ctx.confirm(`Swap tables of ${m.id} and ${swap.value}`, "swap_tables", { meeting_a: m.id, meeting_b: swap.value }))));
    }
    if (slots === null) {
      rows.push(row("Re-slot", btn("Find later rounds", () => void findSlots(m.id))));
    } else {
      const later = select(slots.flatMap((s) => (s.tables[0] !== undefined ? [[`${s.round}:${s.tables[0]}`, slotLabel(s, ctx.nameOf)] as Opt] : [])), slots.length ? "round (best first)…" : "no free round");
      rows.push(row("Re-slot", later, btn("Re-slot", () => {
        if (!later.value) return;
        const [round, table] = later.value.split(":").map(Number);
        void ctx.confirm(`Re-slot ${m.id} to round ${round}`, "move_meeting", { meeting: m.id, round, table });
      })));
    }
    const rnd = m.round !== null ? store.get("round", m.round) : undefined;
    if (rnd !== undefined && ctx.conn.serverNowMs() >= endsAtMs(rnd) && m.status !== "requested") {
      // The round is over: the recorded outcome can be corrected (e.g. they met after all).
      const sides: Opt[] = [
        ["held", "held"],
        ...[m.side_a, m.side_b].map((side): Opt => [`no_show:${side.join(",")}`, `no-show: ${side.map(ctx.nameOf).join(", ")} did not come`]),
        ["no_show:" + [...m.side_a, ...m.side_b].join(","), "no-show: nobody came"],
        ...(m.replaced_by ? [["substituted", "substituted"] as Opt] : []),
        ["cancelled", "cancelled"],
      ];
      const pick = select(sides, "correct to…");
      rows.push(row(`Outcome: ${m.outcome ? OUTCOME_LABEL[m.outcome] : "not yet recorded"}`, pick, btn("Correct", () => {
        if (!pick.value) return;
        const [outcome, who] = pick.value.split(":");
        void ctx.confirm(`Outcome of ${m.id}: ${pick.selectedOptions[0]?.text ?? outcome}`, "set_outcome", { meeting: m.id, outcome, ...(who ? { absent: who.split(",") } : {}) });
      })));
    } else if (m.status === "scheduled" || m.status === "held") {
      rows.push(row("", btn("Cancel meeting", () => void ctx.confirm(`Cancel ${m.id}`, "cancel_meeting", { meeting: m.id }), "danger"), btn("Mark no-show", () => void ctx.confirm(`No-show ${m.id}`, "mark_absent", { meeting: m.id }))));
    }
    const dep = select([...m.side_a, ...m.side_b].map((id) => [id, ctx.nameOf(id)]), "person…");
    rows.push(row("Depart", dep, btn("Departs", () => dep.value && void ctx.confirm(`${ctx.nameOf(dep.value)} leaves the event`, "depart", { participant: dep.value }), "danger")));
    // An update must not reset what the moderator is choosing: keep the selects' values.
    const kept = box.dataset.meeting === m.id ? [...box.querySelectorAll("select")].map((s) => s.value) : [];
    box.replaceChildren(title, who, ...rules, ...rows, btn("Close", () => ctx.select(null), "quiet"));
    box.dataset.meeting = m.id;
    box.querySelectorAll("select").forEach((s, i) => {
      const v = kept[i];
      if (v && [...s.options].some((o) => o.value === v)) s.value = v;
    });
  }

  async function findSlots(id: string): Promise<void> {
    const data = await ctx.ask("suggest_rounds", { meeting: id });
    if (data === null) return;
    slots = (data.rounds as RoundSuggestion[] | undefined) ?? [];
    slotsFor = id;
    render();
  }
  ctx.onSelect.push(render);
  return { render };
}
