import type { Store } from '@tokenward/store';
import type { Verifier } from './verifier.js';

export interface InvalidatorDeps {
  store: Store;
  verifier: Verifier;
  onRoles: () => Promise<void>;
  onKeys: () => Promise<void>;
}

/**
 * Makes a change visible at once: applies it to this instance's caches, then tells every other
 * instance sharing the store (PostgreSQL NOTIFY), which drop the same entries within a second.
 */
export class Invalidator {
  constructor(private readonly deps: InvalidatorDeps) {}

  /** Handles a message from any instance, this one included. */
  async receive(message: string): Promise<void> {
    if (message === 'k') {
      await this.deps.onKeys().catch(() => {});
      return;
    }
    if (message === 'r' || message === '*') await this.deps.onRoles().catch(() => {});
    if (message === '*') await this.deps.onKeys().catch(() => {});
    this.deps.verifier.invalidate(message);
  }

  private async send(message: string): Promise<void> {
    this.deps.verifier.invalidate(message);
    // To the other instances (PostgreSQL NOTIFY; nothing to do on SQLite, one instance).
    await this.deps.store.broadcast(message).catch(() => {
      // Other instances still expire the entry by TTL; this instance is already correct.
    });
  }

  token(hash: string): Promise<void> {
    return this.send(`t:${hash}`);
  }
  identity(id: number): Promise<void> {
    return this.send(`i:${id}`);
  }
  session(secretHash: string): Promise<void> {
    return this.send(`s:${secretHash}`);
  }
  /** Signing keys changed: other instances reload them (they also do on an unknown kid). */
  async keys(): Promise<void> {
    await this.deps.onKeys();
    await this.deps.store.broadcast('k').catch(() => {});
  }

  async roles(): Promise<void> {
    await this.deps.onRoles();
    await this.send('r');
  }
}
