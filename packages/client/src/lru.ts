/** A bounded map with a time-to-live per entry; the least recently used entry goes first. */
export class TtlLru<V> {
  private readonly map = new Map<string, { value: V; expiresAtMs: number }>();

  constructor(
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key);
    if (hit.expiresAtMs <= this.now()) return undefined;
    this.map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (this.max <= 0 || ttlMs <= 0) return;
    this.map.delete(key);
    this.map.set(key, { value, expiresAtMs: this.now() + ttlMs });
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
