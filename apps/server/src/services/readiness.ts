import type { Store } from '@tokenward/store';

export type ReadinessResult =
  | { ready: true; store: string }
  | { ready: false; store: string; reason: 'schema_behind' }
  | { ready: false; store: string; reason: 'unreachable'; err: unknown };

/** Whether this instance can serve: its store answers in time and its schema is this build's. */
export class Readiness {
  constructor(private readonly deps: { store: Store; timeoutMs: number }) {}

  async check(): Promise<ReadinessResult> {
    const { store, timeoutMs } = this.deps;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Not ready while the store is unreachable, or its schema is missing a table or a
      // migration of this build (dropped, restored from an older backup, not migrated yet).
      const ready = await Promise.race([
        store.schemaReady(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`store did not answer within ${timeoutMs / 1000} s`)),
            timeoutMs,
          );
        }),
      ]);
      return ready
        ? { ready: true, store: store.dialect }
        : { ready: false, store: store.dialect, reason: 'schema_behind' };
    } catch (err) {
      return { ready: false, store: store.dialect, reason: 'unreachable', err };
    } finally {
      clearTimeout(timer);
    }
  }
}
