/** Actions on the selected meeting: move, swap, re-slot, cancel, depart — all dry-run first. */
import { ownLabel } from "../lib/i18n";
import { endsAtMs } from "../lib/phases";
import { meetingStatusLabel, outcomeLabel } from "../ui/labels";
import { byId, h } from "../ui/dom";
import type { Ctx } from "./ctx";
import type { RoundSuggestion } from "../lib/protocol";
import { constraintLines, freeTables, seatsOf, slotLabel, swapCandidates } from "./logic";

type Opt = [value: string, label: string];

function select(options: Opt[], placeholder: string, label: string): HTMLSelectElement {
  return h("select", { attrs: { "aria-label": label } }, h("option", { text: placeholder, attrs: { value: "" } }), ...options.map(([v, l]) => h("option", { text: l, attrs: { value: v } })));
}

export function meetingPanel(ctx: Ctx): { render(): void } {
  const box = byId("selected");
  const { store, t } = ctx;
  let slots: RoundSuggestion[] | null = null; // best first, as the server ranks them
  let slotsFor: string | null = null;

  const row = (label: string, ...controls: HTMLElement[]): HTMLElement => h("div", { class: "action-row" }, h("span", { class: "action-label", text: label }), ...controls);
  const btn = (text: string, click: () => void, cls = ""): HTMLButtonElement => h("button", { text, class: cls, attrs: { type: "button" }, on: { click } });

  function render(): void {
    const m = ctx.selected ? store.get("meeting", ctx.selected) : undefined;
    if (!m) {
      box.replaceChildren(h("p", { class: "empty", text: t("selectHint") }));
      return;
    }
    if (slotsFor !== m.id) {
      slots = null;
      slotsFor = m.id;
    }
    const placed = m.round !== null && m.table !== null;
    const title = h("div", { class: "sel-title" }, h("b", { text: m.external_id || m.id }), ` · ${m.round !== null ? t("roundLower", { n: m.round }) : t("unplaced")}${m.table !== null ? ` · ${t("tableLower", { n: m.table })}` : ""} · ${meetingStatusLabel(m.status, t)}${m.origin !== "planned" ? ` · ${t(`or_${m.origin}`)}` : ""}${m.absent?.length ? ` · ${t("absentNames", { names: m.absent.map(ctx.nameOf).join(", ") })}` : ""}`);
    const who = h("div", { class: "sel-people" }, ...[...m.side_a, ...m.side_b].map((id) => h("span", { class: store.get("participant", id)?.present === false ? "absent" : "present", text: ctx.nameOf(id) })));
    const other = (id: string): string => {
      const o = store.get("meeting", id);
      return o === undefined ? id : `${o.external_id || o.id} (${o.round !== null ? t("roundLower", { n: o.round }) : t("unplaced")})`;
    };
    const asked = constraintLines(m, other, t);
    const rules = asked.length ? [h("ul", { class: "sel-constraints", attrs: { "aria-label": t("asked") } }, ...asked.map((t) => h("li", { text: t })))] : [];
    const rows: HTMLElement[] = [];
    if (placed && m.round !== null) {
      const free = select(freeTables(store.list("meeting"), store.list("table"), m.round, seatsOf(m)).map((tb) => [String(tb.number), `${tb.number}${ownLabel("table", tb.label, tb.number) ? ` ${tb.label}` : ""}${tb.zone ? ` (${tb.zone})` : ""}`]), t("freeTable"), t("moveTo"));
      rows.push(row(t("moveTo"), free, btn(t("move"), () => free.value && void ctx.confirm(t("moveTitle", { id: m.id, n: free.value }), "move_meeting", { meeting: m.id, table: Number(free.value) }))));
      const swap = select(swapCandidates(store.list("meeting"), m).map((o) => [o.id, `T${o.table}: ${ctx.people(o)}`]), t("meetingPick"), t("swapWith"));
      rows.push(row(t("swapWith"), swap, btn(t("swap"), () => swap.value && void ctx.confirm(t("swapTitle", { a: m.id, b: swap.value }), "swap_tables", { meeting_a: m.id, meeting_b: swap.value }))));
    }
    if (slots === null) {
      rows.push(row(t("reslot"), btn(t("findLater"), () => void findSlots(m.id))));
    } else {
      const later = select(slots.flatMap((s) => (s.tables[0] !== undefined ? [[`${s.round}:${s.tables[0]}`, slotLabel(s, ctx.nameOf, t)] as Opt] : [])), slots.length ? t("bestFirst") : t("noFreeRound"), t("reslot"));
      rows.push(row(t("reslot"), later, btn(t("reslot"), () => {
        if (!later.value) return;
        const [round, table] = later.value.split(":").map(Number);
        void ctx.confirm(t("reslotTitle", { id: m.id, n: round ?? "" }), "move_meeting", { meeting: m.id, round, table });
      })));
    }
    const rnd = m.round !== null ? store.get("round", m.round) : undefined;
    if (rnd !== undefined && ctx.conn.serverNowMs() >= endsAtMs(rnd) && m.status !== "requested") {
      // The round is over: the recorded outcome can be corrected (e.g. they met after all).
      const sides: Opt[] = [
        ["held", outcomeLabel("held", t)],
        ...[m.side_a, m.side_b].map((side): Opt => [`no_show:${side.join(",")}`, t("noShowSide", { names: side.map(ctx.nameOf).join(", ") })]),
        ["no_show:" + [...m.side_a, ...m.side_b].join(","), t("noShowAll")],
        ...(m.replaced_by ? [["substituted", outcomeLabel("substituted", t)] as Opt] : []),
        ["cancelled", outcomeLabel("cancelled", t)],
      ];
      const said = t("outcome", { outcome: m.outcome ? outcomeLabel(m.outcome, t) : t("notRecorded") });
      const pick = select(sides, t("correctTo"), said);
      rows.push(row(said, pick, btn(t("correct"), () => {
        if (!pick.value) return;
        const [outcome, who] = pick.value.split(":");
        void ctx.confirm(t("outcomeTitle", { id: m.id, outcome: pick.selectedOptions[0]?.text ?? outcome ?? "" }), "set_outcome", { meeting: m.id, outcome, ...(who ? { absent: who.split(",") } : {}) });
      })));
    } else if (m.status === "scheduled" || m.status === "held") {
      rows.push(row("", btn(t("cancelMeeting"), () => void ctx.confirm(t("cancelTitle", { id: m.id }), "cancel_meeting", { meeting: m.id }), "danger"), btn(t("markNoShow"), () => void ctx.confirm(t("noShowTitle", { id: m.id }), "mark_absent", { meeting: m.id }))));
    }
    const dep = select([...m.side_a, ...m.side_b].map((id) => [id, ctx.nameOf(id)]), t("personPick"), t("depart"));
    rows.push(row(t("depart"), dep, btn(t("departs"), () => dep.value && void ctx.confirm(t("departTitle", { name: ctx.nameOf(dep.value) }), "depart", { participant: dep.value }), "danger")));
    // An update must not reset what the moderator is choosing: keep the selects' values.
    const kept = box.dataset.meeting === m.id ? [...box.querySelectorAll("select")].map((s) => s.value) : [];
    box.replaceChildren(title, who, ...rules, ...rows, btn(t("close"), () => ctx.select(null), "quiet"));
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
