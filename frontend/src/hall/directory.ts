/**
 * The hall's "find your table" panel in the DOM: the rows of the round lib/directory.ts
 * picks, as many per page as fit the panel, paged on a cadence of its own.
 *
 * Data updates (a check-in every few seconds while people sit down) re-compute the rows
 * and patch the rows on screen in place; they never move the page or restart its time.
 */
import { listedName, pagePlan, rowsThatFit, startPager, stepPager, type PagePlan, type PagerLimits, type PagerState } from "../lib/directory";
import type { RoundRecord } from "../lib/protocol";
import type { Store } from "../lib/store";
import { paginate, tableDirectory, type DirectoryRow } from "../lib/views";
import { h, setText, show } from "../ui/dom";
import { KeyedList } from "../ui/keyed";
import type { Words } from "../lib/i18n";
import { roundName } from "../ui/labels";
import type { HallKey } from "./i18n";

export interface DirectoryElements {
  panel: HTMLElement; // hidden while there is no round to show
  title: HTMLElement;
  range: HTMLElement; // "Bauer – Hartmann": whose names this page holds
  page: HTMLElement; // "2 / 11"
  list: HTMLElement; // a grid: --dir-columns columns of grid-auto-rows each
}

export class DirectoryView {
  private round: number | null | undefined = undefined; // undefined: nothing shown yet
  private rows: DirectoryRow[] = [];
  private rowsStale = true;
  private pageSize = 0; // 0: measure before the next draw
  private pager: PagerState = startPager(0);
  private drawn = ""; // what the list shows: page, size and rows' version
  private version = 0; // bumped whenever `rows` is re-computed
  private readonly keyed: KeyedList<DirectoryRow, HTMLLIElement>;

  constructor(
    private readonly el: DirectoryElements,
    private readonly store: Store,
    private readonly limits: PagerLimits,
    private readonly words: Words<HallKey>,
  ) {
    const t = words.t;
    this.keyed = new KeyedList<DirectoryRow, HTMLLIElement>(el.list, (row) => row.participant, (row) => createRow(row, t), (li, row) => updateRow(li, row, t));
    // The panel changes size with the window and when the announcement banner comes and
    // goes: measure again (in the next tick, not inside the observer's callback).
    new ResizeObserver(() => (this.pageSize = 0)).observe(el.list);
  }

  /** The store changed: re-compute the rows at the next render. */
  stale(): void {
    this.rowsStale = true;
  }

  /** The language or the event's words changed: say everything again. */
  relabel(): void {
    this.round = undefined;
    this.rowsStale = true;
    this.drawn = ""; // every row is updated again, in the new words
  }

  /** Show `rnd`'s seating at local monotonic time `nowMs` (performance.now()). Cheap when
   * nothing changed; call it every tick. */
  render(rnd: RoundRecord | null, nowMs: number): void {
    const index = rnd?.index ?? null;
    if (index !== this.round) {
      this.round = index;
      this.pager = startPager(nowMs); // another round: from page 1, a full page time
      this.rowsStale = true;
      const t = this.words.t;
      setText(this.el.title, rnd === null ? "" : t("findTable", { name: roundName(rnd, t) }));
      this.el.title.dataset.legend = `${AWAY_MARK}${t("notCheckedIn")}`;
      if (this.el.panel.hidden !== (rnd === null)) {
        show(this.el.panel, rnd !== null);
        this.pageSize = 0;
      }
    }
    if (rnd === null) return;
    if (this.rowsStale) {
      this.rowsStale = false;
      this.rows = tableDirectory(this.store.list("meeting"), this.store.list("participant"), this.store.list("table"), rnd.index);
      this.version += 1;
    }
    if (this.pageSize === 0) this.pageSize = this.measure();
    const plan = pagePlan(this.rows.length, this.pageSize, this.limits);
    this.pager = stepPager(this.pager, nowMs, plan);
    const drawn = `${this.pager.page}:${plan.pageSize}:${this.version}`;
    if (drawn !== this.drawn) {
      this.drawn = drawn;
      this.draw(plan);
    }
  }

  /** How many rows the panel holds now: rows that fit its height, times its columns. */
  private measure(): number {
    const style = getComputedStyle(this.el.list);
    const rowPx = parseFloat(style.gridAutoRows);
    const columns = Math.max(1, parseInt(style.getPropertyValue("--dir-columns"), 10) || 1);
    const rows = rowsThatFit(this.el.list.getBoundingClientRect().height, rowPx);
    this.el.list.style.gridTemplateRows = `repeat(${rows}, minmax(var(--dir-row), 1fr))`; // spare height spreads out
    return rows * columns;
  }

  private draw(plan: PagePlan): void {
    const page = paginate(this.rows, plan.pageSize, this.pager.page);
    this.keyed.render(page.items);
    const first = page.items[0];
    const last = page.items[page.items.length - 1];
    const several = page.pages > 1 && first !== undefined && last !== undefined;
    setText(this.el.range, several ? `${first.surname} – ${last.surname}` : "");
    setText(this.el.page, page.pages > 1 ? `${page.page + 1} / ${page.pages}` : "");
    // For people and tests checking the cadence on a real screen.
    const data = this.el.panel.dataset;
    for (const key of ["pageSize", "pages", "pageMs", "cycleMs"] as const) {
      if (data[key] !== String(plan[key])) data[key] = String(plan[key]);
    }
  }
}

/** <li data-participant><span.dir-who><b surname><span ", given"></span><span.dir-table>
 * <span.dir-with></li>: updateRow fills it. */
export const AWAY_MARK = "○ ";

type T = Words<HallKey>["t"];

function createRow(row: DirectoryRow, t: T): HTMLLIElement {
  return h(
    "li",
    { attrs: { "data-participant": row.participant } },
    h("span", { class: "dir-who" }, h("span", { class: "dir-away", attrs: { "aria-label": t("notCheckedIn") } }), h("b", { class: "dir-surname" }), h("span", { class: "dir-given" })),
    h("span", { class: "dir-table" }),
    h("span", { class: "dir-with" }),
  );
}

/** Write only what changed (an update mostly changes nothing on screen). */
function updateRow(li: HTMLLIElement, row: DirectoryRow, t: T): void {
  const [who, table, partners] = li.children as unknown as [HTMLElement, HTMLElement, HTMLElement];
  const [mark, surname, given] = who.children as unknown as [HTMLElement, HTMLElement, HTMLElement];
  const name = listedName(row.name);
  if (li.dataset.participant !== row.participant) li.dataset.participant = row.participant;
  setText(surname, name.surname);
  setText(given, name.given ? `, ${name.given}` : "");
  setText(table, String(row.table));
  if (table.title !== row.tableLabel) table.title = row.tableLabel;
  // Whether they are here, like every screen that shows people: a small ring before the
  // name (explained in the panel's title) nudges whoever has not checked in yet.
  setText(mark, row.present === false ? AWAY_MARK : "");
  setText(partners, row.partners ? t("with", { names: row.partners }) : "");
  if (mark.getAttribute("aria-label") !== t("notCheckedIn")) mark.setAttribute("aria-label", t("notCheckedIn"));
}
