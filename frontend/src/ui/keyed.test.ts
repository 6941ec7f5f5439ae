import { describe, expect, it } from "vitest";
import { KeyedList, type KeyedParent } from "./keyed";

/** Just enough of a DOM parent: children in order, insertBefore moves, remove detaches. */
class FakeEl {
  parent: FakeParent | null = null;
  text = "";
  writes = 0;
  constructor(readonly key: string) {}
  remove(): void {
    if (this.parent === null) return;
    this.parent.children.splice(this.parent.children.indexOf(this), 1);
    this.parent = null;
  }
}

class FakeParent implements KeyedParent<FakeEl> {
  children: FakeEl[] = [];
  inserts = 0;
  get lastElementChild(): FakeEl | null {
    return this.children[this.children.length - 1] ?? null;
  }
  insertBefore(node: FakeEl, child: FakeEl | null): FakeEl {
    this.inserts += 1;
    node.remove();
    const at = child === null ? this.children.length : this.children.indexOf(child);
    this.children.splice(at, 0, node);
    node.parent = this;
    return node;
  }
}

interface Row {
  id: string;
  text: string;
}

function setup(): { parent: FakeParent; list: KeyedList<Row, FakeEl>; created: string[] } {
  const parent = new FakeParent();
  const created: string[] = [];
  const list = new KeyedList<Row, FakeEl>(
    parent,
    (r) => r.id,
    (r) => {
      created.push(r.id);
      return new FakeEl(r.id);
    },
    (el, r) => {
      if (el.text !== r.text) {
        el.text = r.text;
        el.writes += 1;
      }
    },
  );
  return { parent, list, created };
}

const rows = (...spec: string[]): Row[] => spec.map((s) => ({ id: s.split("=")[0]!, text: s.split("=")[1] ?? s }));
const keys = (p: FakeParent): string[] => p.children.map((c) => c.key);

describe("KeyedList", () => {
  it("creates each key's element once and leaves it alone when nothing changed", () => {
    const { parent, list, created } = setup();
    list.render(rows("a", "b", "c"));
    const before = [...parent.children];
    const inserts = parent.inserts;
    list.render(rows("a", "b", "c"));
    expect(created).toEqual(["a", "b", "c"]);
    expect(parent.children).toEqual(before);
    expect(parent.inserts).toBe(inserts); // not moved
    expect(parent.children.map((c) => c.writes)).toEqual([1, 1, 1]);
  });

  it("updates a changed row in place", () => {
    const { parent, list, created } = setup();
    list.render(rows("a=1", "b=1"));
    const b = parent.children[1]!;
    list.render(rows("a=1", "b=2"));
    expect(parent.children[1]).toBe(b);
    expect(b.text).toBe("2");
    expect(parent.children[0]!.writes).toBe(1);
    expect(created).toEqual(["a", "b"]);
  });

  it("adds, removes and reorders with the fewest new elements", () => {
    const { parent, list, created } = setup();
    list.render(rows("a", "b", "c", "d"));
    const [a, , c, d] = parent.children;
    list.render(rows("c", "a", "e", "d"));
    expect(keys(parent)).toEqual(["c", "a", "e", "d"]);
    expect([parent.children[0], parent.children[1], parent.children[3]]).toEqual([c, a, d]);
    expect(created).toEqual(["a", "b", "c", "d", "e"]);
    list.render(rows("a"));
    expect(keys(parent)).toEqual(["a"]);
    expect(parent.children[0]).toBe(a);
    list.render([]);
    expect(parent.children).toEqual([]);
  });

  it("shows duplicate keys as separate rows", () => {
    const { parent, list } = setup();
    list.render(rows("a=1", "a=2", "b"));
    expect(parent.children.map((c) => c.text)).toEqual(["1", "2", "b"]);
    list.render(rows("a=1", "a=2", "b"));
    expect(parent.children.map((c) => c.writes)).toEqual([1, 1, 1]);
  });

  it("forgets elements of keys no longer shown", () => {
    const { list, created } = setup();
    list.render(rows("a", "b"));
    list.render(rows("c"));
    list.render(rows("a"));
    expect(created).toEqual(["a", "b", "c", "a"]);
  });
});
