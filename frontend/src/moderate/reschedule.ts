/** Re-optimise the later rounds (issue #11 item 4: after a wave of cancellations): the
 * optimiser moves scheduled meetings of rounds not begun, never fixed ones, to close idle
 * gaps, and places waiting requests. A preview first (`POST …/schedule` with `preview`,
 * nothing stored), in the confirm dialog; Confirm stores that very plan (`{"apply":
 * plan}`: no second solve, so what was read is what is stored; a conflict if the event
 * changed under it). The server pushes the commit to every phone and hall screen. */
import { h } from "../ui/dom";
import type { Ctx } from "./ctx";
import type { ModT } from "./i18n";
import { formatSchedulePreview, formatScheduleResult, httpErrorText, scheduleChanges, type ScheduleAnswer, type SchedulePlan } from "./logic";

/** What the console asks the optimiser for: later rounds may move, at most 10 s. */
export const RESCHEDULE_OPTIONS = { reschedule: true, time_limit_s: 10 } as const;

export type ScheduleCall = (body: Record<string, unknown>) => Promise<ScheduleAnswer>;

/** `POST /api/events/{event}/schedule` with the moderator token; rejects with the
 * server's error message (409 conflict, 400 bad_request…). */
export function scheduleCall(event: string, token: string, t?: ModT): ScheduleCall {
  return async (body) => {
    const res = await fetch(`/api/events/${encodeURIComponent(event)}/schedule`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    let answer: unknown = null;
    try {
      answer = await res.json();
    } catch {
      // not JSON: the status says what happened
    }
    if (!res.ok || (answer as { ok?: unknown } | null)?.ok !== true) throw new Error(httpErrorText(res.status, answer, t));
    return answer as ScheduleAnswer;
  };
}

/** The toolbar button; while the optimiser runs it is disabled and says "Optimising…". */
export function rescheduleButton(ctx: Ctx, call: ScheduleCall): HTMLButtonElement {
  const t = ctx.t;
  const LABEL = t("reoptimise");
  const TITLE = LABEL;
  const button = h("button", {
    text: LABEL,
    attrs: {
      type: "button",
      id: "reoptimise",
      title: t("reoptimiseHint"),
      "aria-label": t("reoptimiseAria"),
    },
    on: { click: () => void preview() },
  });
  let busy = false;
  const working = (on: boolean): void => {
    busy = on;
    button.disabled = on;
    button.textContent = on ? t("optimising") : LABEL;
    button.setAttribute("aria-busy", String(on));
  };
  /** The preview (`plan` undefined), or storing the plan it gave. */
  async function optimise(plan?: SchedulePlan): Promise<ScheduleAnswer | null> {
    working(true);
    ctx.notice(plan === undefined ? t("optimisingPreview", { s: RESCHEDULE_OPTIONS.time_limit_s }) : t("optimisingStore"));
    try {
      return await call(plan === undefined ? { ...RESCHEDULE_OPTIONS, preview: true } : { apply: plan });
    } catch (err) {
      ctx.notice(`${LABEL}: ${err instanceof Error ? err.message : String(err)}`, true);
      return null;
    } finally {
      working(false);
    }
  }
  async function preview(): Promise<void> {
    if (busy) return;
    const answer = await optimise();
    if (answer === null) return;
    ctx.notice("");
    const lines = formatSchedulePreview(answer, t);
    const plan = answer.plan;
    if (!scheduleChanges(answer) || plan === undefined) return ctx.confirmText(TITLE, lines, null);
    ctx.confirmText(TITLE, lines, async () => {
      const done = await optimise(plan);
      if (done !== null) ctx.notice(formatScheduleResult(done, t));
    });
  }
  return button;
}
