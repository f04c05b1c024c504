import type { InvalidationHandler } from './store-dialect.js';

/** The subscribers of one store's invalidations. */
export class Subscribers {
  private readonly handlers = new Set<InvalidationHandler>();

  add(handler: InvalidationHandler): void {
    this.handlers.add(handler);
  }

  clear(): void {
    this.handlers.clear();
  }

  dispatch(payload: string): void {
    for (const h of this.handlers) {
      try {
        h(payload);
      } catch {
        // A failing subscriber must not stop the others.
      }
    }
  }
}
