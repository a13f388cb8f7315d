// A map keyed by two values (model name and version, service and method), kept as nested Maps so a lookup on the
// request path builds no combined key string.

export class TwoKeyMap<A, B, V> {
  private readonly outer = new Map<A, Map<B, V>>();

  get(a: A, b: B): V | undefined {
    return this.outer.get(a)?.get(b);
  }

  set(a: A, b: B, v: V): void {
    let inner = this.outer.get(a);
    if (!inner) {
      inner = new Map();
      this.outer.set(a, inner);
    }
    inner.set(b, v);
  }

  delete(a: A, b: B): void {
    const inner = this.outer.get(a);
    if (!inner) return;
    inner.delete(b);
    if (inner.size === 0) this.outer.delete(a);
  }

  *values(): IterableIterator<V> {
    for (const inner of this.outer.values()) yield* inner.values();
  }
}
