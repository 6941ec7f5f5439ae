import { describe, expect, it } from "vitest";
import { calendarLinks } from "./calendarLink";

describe("calendarLinks", () => {
  it("points at the feed of the token, on the page's own host", () => {
    expect(calendarLinks("icmc.s3cr3t", "https://fair.example.org/p/icmc")).toEqual({
      file: "https://fair.example.org/p/icmc.s3cr3t/agenda.ics",
      subscribe: "webcal://fair.example.org/p/icmc.s3cr3t/agenda.ics",
    });
    expect(calendarLinks("ev.t", "http://10.0.0.5:8000/p/ev?x=1")?.subscribe).toBe(
      "webcal://10.0.0.5:8000/p/ev.t/agenda.ics",
    );
  });
  it("offers nothing without a token", () => {
    expect(calendarLinks("", "https://fair.example.org/p/icmc")).toBeNull();
  });
});
