import type { Store } from '@tokenward/store';
import type { Verifier } from './verifier.js';

/**
 * Makes a change visible at once: applies it to this instance's caches, then tells every other
 * instance sharing the store (PostgreSQL NOTIFY), which drop the same entries within a second.
 */
export class Invalidator {
  constructor(
    private readonly store: Store,
    private readonly verifier: Verifier,
    private readonly onRoles: () => Promise<void>,
    private readonly onKeys: () => Promise<void>,
  ) {}

  /** Handles a message from any instance, this one included. */
  async receive(message: string): Promise<void> {
    if (message === 'k') {
      await this.onKeys().catch(() => {});
      return;
    }
    if (message === 'r' || message === '*') await this.onRoles().catch(() => {});
    if (message === '*') await this.onKeys().catch(() => {});
    this.verifier.invalidate(message);
  }

  private async send(message: string): Promise<void> {
    this.verifier.invalidate(message);
    if (this.store.dialect === 'postgres') {
      await this.store.notify(message).catch(() => {
        // Other instances still expire the entry by TTL; this instance is already correct.
      });
    }
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
    await this.onKeys();
    if (this.store.dialect === 'postgres') await this.store.notify('k').catch(() => {});
  }

  async roles(): Promise<void> {
    await this.onRoles();
    await this.send('r');
  }
}
