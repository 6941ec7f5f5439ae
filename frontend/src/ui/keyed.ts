/**
 * A list whose children are keyed (e.g. by participant id): a render reuses each key's
 * element and updates it in place, moves elements only when the order changed, and adds
 * or removes the difference. A live update that changes nobody on screen touches nothing,
 * so a hall screen does not rebuild its whole list for every check-in.
 */

/** What the list needs of its parent; an HTMLElement has all of it (tests use a fake). */
export interface KeyedParent<E> {
  readonly children: ArrayLike<unknown>;
  readonly lastElementChild: { remove(): void } | null;
  insertBefore(node: E, child: E | null): unknown;
}

export class KeyedList<T, E> {
  private readonly byKey = new Map<string, E>();

  /** `update` is called on every render with the item: it should only write what changed
   * (setText does that). The parent must hold nothing but this list's elements. */
  constructor(
    private readonly parent: KeyedParent<E>,
    private readonly keyOf: (item: T) => string,
    private readonly create: (item: T) => E,
    private readonly update: (el: E, item: T) => void,
  ) {}

  render(items: readonly T[]): void {
    const wanted = new Map<string, E>();
    items.forEach((item, i) => {
      let key = this.keyOf(item);
      for (let n = 2; wanted.has(key); n++) key = `${this.keyOf(item)}#${n}`; // a duplicate: still shown
      let el = this.byKey.get(key);
      if (el === undefined) el = this.create(item);
      wanted.set(key, el);
      this.update(el, item);
      const here = (this.parent.children[i] ?? null) as E | null;
      if (here !== el) this.parent.insertBefore(el, here);
    });
    // Every wanted element now sits in front, in order: what follows is gone.
    while (this.parent.children.length > items.length) this.parent.lastElementChild?.remove();
    this.byKey.clear();
    for (const [key, el] of wanted) this.byKey.set(key, el);
  }
}
