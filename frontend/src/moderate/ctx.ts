/** What every panel of the console shares: the connection, names, and the dry-run → confirm flow. */
import { CommandError, type Connection } from "../lib/connection";
import type { MeetingRecord, ResultMessage } from "../lib/protocol";
import type { Words } from "../lib/i18n";
import type { Store } from "../lib/store";
import { byId, h, setText } from "../ui/dom";
import type { ModKey, ModT } from "./i18n";
import { formatPreview } from "./logic";

export interface Ctx {
  conn: Connection;
  store: Store;
  /** The console's words (English or German, the event's words for round and table). */
  words: Words<ModKey>;
  t: ModT;
  nameOf(id: string): string;
  people(m: MeetingRecord): string;
  tz(): string | undefined;
  /** Dry run, show the preview, run it for real on Confirm. */
  confirm(title: string, name: string, args: Record<string, unknown>): Promise<void>;
  /** Show `lines` (what will happen), run `go` on Confirm; `go` null: nothing to
   * confirm, the dialog only informs (no Confirm button, "Close"). */
  confirmText(title: string, lines: string[], go: (() => Promise<void>) | null): void;
  /** Run at once (no preview); shows the outcome (`done`, else "<name>: done"). */
  run(name: string, args?: Record<string, unknown>, done?: string): Promise<ResultMessage | null>;
  /** A question's `data`, or null after showing the error. */
  ask(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown> | null>;
  notice(text: string, error?: boolean): void;
  selected: string | null;
  select(meeting: string | null): void;
  onSelect: (() => void)[];
}

export const errText = (name: string, err: unknown): string => (err instanceof CommandError ? `${name}: ${err.message}` : `${name}: ${String(err)}`);

export function makeCtx(conn: Connection, words: Words<ModKey>): Ctx {
  const t = words.t;
  const store = conn.store;
  const noticeEl = byId("notice");
  const dlg = byId("confirm");
  const dlgTitle = byId("confirm-title");
  const dlgBody = byId("confirm-body");
  const dlgOk = byId<HTMLButtonElement>("confirm-ok");
  const dlgCancel = byId<HTMLButtonElement>("confirm-cancel");
  let pending: (() => Promise<void>) | null = null;
  const close = (): void => {
    dlg.hidden = true;
    pending = null;
  };
  dlgCancel.addEventListener("click", close);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !dlg.hidden) close();
  });
  dlgOk.addEventListener("click", () => {
    const go = pending;
    close();
    if (go) void go();
  });

  const ctx: Ctx = {
    conn,
    store,
    words,
    t,
    nameOf: (id) => store.get("participant", id)?.name ?? id,
    people: (m) => `${m.side_a.map(ctx.nameOf).join(", ")} – ${m.side_b.map(ctx.nameOf).join(", ")}`,
    tz: () => store.single("event")?.timezone,
    notice(text, error = false) {
      setText(noticeEl, text);
      noticeEl.className = error ? "notice notice-error" : "notice";
    },
    async run(name, args = {}, done) {
      ctx.notice(`${name}…`);
      try {
        const res = await conn.command(name, args);
        const undone = res.preview?.undone;
        ctx.notice(undone ? t("undone", { command: undone.command }) : (done ?? t("done", { name })));
        return res;
      } catch (err) {
        ctx.notice(errText(name, err), true);
        return null;
      }
    },
    async ask(name, args = {}) {
      try {
        const res = await conn.command(name, args);
        return res.data ?? {};
      } catch (err) {
        ctx.notice(errText(name, err), true);
        return null;
      }
    },
    async confirm(title, name, args) {
      ctx.notice(t("checking", { title }));
      let res: ResultMessage;
      try {
        res = await conn.command(name, args, { dryRun: true });
      } catch (err) {
        ctx.notice(errText(title, err), true);
        return;
      }
      ctx.notice("");
      ctx.confirmText(title, formatPreview(res.preview, t), async () => {
        await ctx.run(name, args);
      });
    },
    confirmText(title, lines, go) {
      setText(dlgTitle, title);
      dlgBody.replaceChildren(...lines.map((line) => h("li", { text: line })));
      pending = go;
      dlgOk.hidden = go === null;
      setText(dlgOk, t("confirm"));
      setText(dlgCancel, go === null ? t("close") : t("cancel"));
      dlg.hidden = false;
      (go === null ? dlgCancel : dlgOk).focus();
    },
    selected: null,
    select(meeting) {
      ctx.selected = meeting;
      for (const f of ctx.onSelect) f();
    },
    onSelect: [],
  };
  return ctx;
}
