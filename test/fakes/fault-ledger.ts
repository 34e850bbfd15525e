/**
 * Counts attempts per provider and text so `#fault=429xN` fails only the first N of them.
 */
import type { ProviderName } from './types';

/** Attempt counters keyed by provider plus exact last user text. */
export class FaultLedger {
  private readonly attempts = new Map<string, number>();

  /** Records one attempt and returns its 1-based ordinal. */
  attempt(provider: ProviderName, text: string): number {
    const key = `${provider}\u0000${text}`;
    const next = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, next);
    return next;
  }

  /** Forgets all counters. */
  clear(): void {
    this.attempts.clear();
  }
}
