import { describe, expect, it } from "vitest";
import type { ParticipantRecord } from "../lib/protocol";
import { printLinks, printUrl } from "./print";

describe("printUrl", () => {
  it("carries the token, the paper and the options in the query", () => {
    expect(printUrl("icmc 2026", "tok/1", "agenda", "letter", { participant: "EXT-7", round: 3 })).toBe(
      "/api/events/icmc%202026/print/agenda.pdf?token=tok%2F1&paper=letter&participant=EXT-7&round=3",
    );
    expect(printUrl("ev", "t", "tables", "a4")).toBe("/api/events/ev/print/tables.pdf?token=t&paper=a4");
  });
});

describe("printLinks", () => {
  const anna = { id: "p1", name: "Anna Berg" } as ParticipantRecord;
  it("offers everyone's agendas, signs, badges, the current round and the chosen person", () => {
    const links = printLinks("ev", "t", "a4", 4, anna);
    expect(links.map((l) => l.key)).toEqual(["agendas", "tables", "badges", "rounds", "person"]);
    expect(links[3]).toMatchObject({ text: "Round 4 sheet", url: "/api/events/ev/print/rounds.pdf?token=t&paper=a4&round=4" });
    expect(links[4]).toMatchObject({ text: "Agenda of Anna Berg", url: "/api/events/ev/print/agenda.pdf?token=t&paper=a4&participant=p1" });
  });
  it("prints every round without a current one, and no person's agenda without a person", () => {
    const links = printLinks("ev", "t", "letter", null, null);
    expect(links[3]).toMatchObject({ text: "Round sheets (every round)", url: "/api/events/ev/print/rounds.pdf?token=t&paper=letter" });
    expect(links[4]?.url).toBeNull();
  });
});
