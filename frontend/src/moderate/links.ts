/** Links and keys: replace a participant's phone link (a lost phone or badge, a link sent to
 * the wrong person) or the hall screens' key, and hand over the new one (link and QR code).
 * The old one stops working at once; the pages that used it say so. */
import QRCode from "qrcode";
import { byId, h } from "../ui/dom";
import type { Ctx } from "./ctx";
import { newLinkOf, searchPeople } from "./logic";

const btn = (text: string, click: () => void, cls = ""): HTMLButtonElement => h("button", { text, class: cls, attrs: { type: "button" }, on: { click } });

export function linksPanel(ctx: Ctx): { render(): void } {
  const { store, t } = ctx;
  const search = h("input", { attrs: { type: "search", placeholder: t("personSearch"), "aria-label": t("personSearch") } });
  const person = h("select", { attrs: { "aria-label": t("person") } });
  const badge = h("input", { attrs: { type: "checkbox" } });
  const shown = h("div", { class: "new-link" });
  const fill = (): void => {
    const keep = person.value;
    person.replaceChildren(
      h("option", { text: t("personPick"), attrs: { value: "" } }),
      ...searchPeople(store.list("participant"), search.value).map((p) => h("option", { text: `${p.name}${p.organisation ? ` (${p.organisation})` : ""}`, attrs: { value: p.id } })),
    );
    person.value = keep;
    if (person.value === "" && search.value && person.options.length === 2) person.selectedIndex = 1;
  };
  search.addEventListener("input", fill);

  async function rotate(args: Record<string, unknown>, title: string): Promise<void> {
    const res = await ctx.run("rotate_token", args, t("rotated", { title }));
    const link = newLinkOf(res?.data, location.origin);
    if (link === null) return;
    const url = h("input", { class: "link-url", attrs: { type: "text", readonly: "", value: link.url, "aria-label": t("newLink") } });
    const qr = h("div", { class: "link-qr" });
    const copy = btn(t("copy"), () => void navigator.clipboard?.writeText(link.url).then(() => ctx.notice(t("copied"))), "quiet");
    shown.replaceChildren(h("b", { text: title }), qr, h("div", { class: "action-row" }, url, copy));
    if (link.code) shown.append(h("p", { text: t("newCode", { code: link.code }) }));
    shown.append(btn(t("hide"), () => shown.replaceChildren(), "quiet"));
    url.addEventListener("focus", () => url.select());
    qr.innerHTML = await QRCode.toString(link.url, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
    shown.scrollIntoView({ block: "nearest" }); // the tools column scrolls: bring it into view
  }

  const phoneLink = btn(t("newPhoneLink"), () => {
    const id = person.value;
    if (!id) return ctx.notice(t("choosePerson"), true);
    const name = ctx.nameOf(id);
    const lines = [t("linkStops", { name }), t("linkHere")];
    if (badge.checked) lines.push(t("badgeToo"));
    ctx.confirmText(t("phoneLinkFor", { name }), lines, () => rotate({ participant: id, ...(badge.checked ? { check_in_code: true } : {}) }, t("phoneLinkFor", { name })));
  }, "primary");
  const hallKey = btn(t("newHallKey"), () => {
    ctx.confirmText(t("hallKeyTitle"), [t("hallDark"), t("hallOpen")], () => rotate({ hall: true }, t("hallLink")));
  }, "danger");

  byId("links").replaceChildren(
    h("div", { class: "pick" }, search, person),
    h("label", { class: "check" }, badge, t("badgeCode")),
    h("div", { class: "action-row" }, phoneLink, hallKey),
    shown,
  );
  return { render: fill };
}
