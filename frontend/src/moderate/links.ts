/** Links and keys: replace a participant's phone link (a lost phone or badge, a link sent to
 * the wrong person) or the hall screens' key, and hand over the new one (link and QR code).
 * The old one stops working at once; the pages that used it say so. */
import QRCode from "qrcode";
import { byId, h } from "../ui/dom";
import type { Ctx } from "./ctx";
import { newLinkOf, searchPeople } from "./logic";

const btn = (text: string, click: () => void, cls = ""): HTMLButtonElement => h("button", { text, class: cls, attrs: { type: "button" }, on: { click } });

export function linksPanel(ctx: Ctx): { render(): void } {
  const { store } = ctx;
  const search = h("input", { attrs: { type: "search", placeholder: "Person: type a name…" } });
  const person = h("select", { attrs: { "aria-label": "person" } });
  const badge = h("input", { attrs: { type: "checkbox" } });
  const shown = h("div", { class: "new-link" });
  const fill = (): void => {
    const keep = person.value;
    person.replaceChildren(
      h("option", { text: "Person…", attrs: { value: "" } }),
      ...searchPeople(store.list("participant"), search.value).map((p) => h("option", { text: `${p.name}${p.organisation ? ` (${p.organisation})` : ""}`, attrs: { value: p.id } })),
    );
    person.value = keep;
    if (person.value === "" && search.value && person.options.length === 2) person.selectedIndex = 1;
  };
  search.addEventListener("input", fill);

  async function rotate(args: Record<string, unknown>, title: string): Promise<void> {
    const res = await ctx.run("rotate_token", args, `${title}: done — the old one no longer works`);
    const link = newLinkOf(res?.data, location.origin);
    if (link === null) return;
    const url = h("input", { class: "link-url", attrs: { type: "text", readonly: "", value: link.url, "aria-label": "new link" } });
    const qr = h("div", { class: "link-qr" });
    const copy = btn("Copy", () => void navigator.clipboard?.writeText(link.url).then(() => ctx.notice("Link copied")), "quiet");
    shown.replaceChildren(h("b", { text: title }), qr, h("div", { class: "action-row" }, url, copy));
    if (link.code) shown.append(h("p", { text: `New badge check-in code: ${link.code}` }));
    shown.append(btn("Hide", () => shown.replaceChildren(), "quiet"));
    url.addEventListener("focus", () => url.select());
    qr.innerHTML = await QRCode.toString(link.url, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
    shown.scrollIntoView({ block: "nearest" }); // the tools column scrolls: bring it into view
  }

  const phoneLink = btn("New phone link", () => {
    const id = person.value;
    if (!id) return ctx.notice("New phone link: choose a person", true);
    const name = ctx.nameOf(id);
    const lines = [`${name}'s current link stops working at once; a phone that has it open says so.`, "You get the new link (and QR code) here, to send or show them."];
    if (badge.checked) lines.push("Their badge's check-in code is replaced too: print a new badge.");
    ctx.confirmText(`New phone link for ${name}`, lines, () => rotate({ participant: id, ...(badge.checked ? { check_in_code: true } : {}) }, `New phone link for ${name}`));
  }, "primary");
  const hallKey = btn("New hall key", () => {
    ctx.confirmText("New key for the hall screens", ["Every hall screen goes dark at once and says its key was replaced.", "Open the new hall link (shown here) on each screen."], () => rotate({ hall: true }, "New hall screen link"));
  }, "danger");

  byId("links").replaceChildren(
    h("div", { class: "pick" }, search, person),
    h("label", { class: "check" }, badge, " also a new badge code (lost badge)"),
    h("div", { class: "action-row" }, phoneLink, hallKey),
    shown,
  );
  return { render: fill };
}
