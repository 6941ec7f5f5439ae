/**
 * The links to the participant's calendar feed (`GET /p/<token>/agenda.ics`, served by
 * server/edge/pages.py): an https (or http) address to open or download, and its
 * `webcal://` twin, which calendar apps (iOS, macOS, Outlook) take as a subscription and
 * refresh by themselves. Pure: the page passes its own address.
 */
export interface CalendarLinks {
  readonly file: string;
  readonly subscribe: string;
}

export function calendarLinks(token: string, pageUrl: string): CalendarLinks | null {
  if (token === "") return null;
  const file = new URL(`/p/${encodeURIComponent(token)}/agenda.ics`, pageUrl).href;
  return { file, subscribe: file.replace(/^https?:/, "webcal:") };
}
