import { encode as msgpackEncode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import {
  CloseCode,
  ProtocolError,
  SUBPROTOCOL_JSON,
  SUBPROTOCOL_MSGPACK,
  decode,
  encode,
  encodingOf,
  shouldReconnect,
  subprotocolOf,
  type ClientMessage,
} from "./protocol";

const HELLO: ClientMessage = { type: "hello", event: "icmc-2026", token: "t", resume: { epoch: "3f9c", version: 41 } };

describe("subprotocols", () => {
  it("map to encodings and back", () => {
    expect(subprotocolOf("msgpack")).toBe("matchboard.v1.msgpack");
    expect(subprotocolOf("json")).toBe("matchboard.v1.json");
    expect(encodingOf(SUBPROTOCOL_MSGPACK)).toBe("msgpack");
    expect(encodingOf(SUBPROTOCOL_JSON)).toBe("json");
    expect(encodingOf("")).toBeNull();
    expect(encodingOf("matchboard.v2.json")).toBeNull();
  });
});

describe("encode/decode", () => {
  it("json travels as text, msgpack as bytes, with the same content", () => {
    const text = encode(HELLO, "json");
    expect(typeof text).toBe("string");
    expect(JSON.parse(text as string)).toEqual(HELLO);
    const bytes = encode(HELLO, "msgpack");
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(decode(bytes as Uint8Array, "msgpack")).toEqual(HELLO);
  });

  it("decodes server messages with large integers (server_ms) from msgpack", () => {
    const welcome = {
      type: "welcome", role: "hall", event: "ev", participant: null, epoch: "e",
      version: 41, server_ms: 1_780_000_123_456, resumed: false,
    };
    const bytes = msgpackEncode(welcome);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect(decode(buffer, "msgpack")).toEqual(welcome); // an ArrayBuffer, as browsers give
    expect(decode(JSON.stringify(welcome), "json")).toEqual(welcome);
  });

  it("refuses frames of the wrong kind", () => {
    expect(() => decode("{}", "msgpack")).toThrow(ProtocolError);
    expect(() => decode(new Uint8Array([0x80]), "json")).toThrow(/binary frame/);
  });

  it.each([
    ["not json", "{"],
    ["not a map", "[1, 2]"],
    ["no type", '{"id": 1}'],
    ["type not a string", '{"type": 3}'],
    ["null", "null"],
  ])("refuses a malformed message: %s", (_name, text) => {
    try {
      decode(text, "json");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe("malformed");
    }
  });

  it("refuses invalid msgpack", () => {
    expect(() => decode(new Uint8Array([0xc1]), "msgpack")).toThrow(/not valid msgpack/);
    expect(() => decode(msgpackEncode([1, 2]), "msgpack")).toThrow(/map/);
  });
});

describe("close codes", () => {
  it.each([
    [1000, false], [1001, true], [1006, true], [1009, false], [1011, true], [1012, true],
    [1013, true], [4000, false], [4001, false], [4002, true], [4004, false], [4005, false],
    [4008, true], [4999, false],
  ])("close %i: reconnect %s", (code, expected) => {
    expect(shouldReconnect(code)).toBe(expected);
  });

  it("names the codes of docs/protocol.md", () => {
    expect(CloseCode.UNAUTHORIZED).toBe(4001);
    expect(CloseCode.TOO_SLOW).toBe(4008);
  });
});
