import type { Pool } from 'pg';
import type { Price } from './price';
import { findCurrentPrice } from './price-store';

/** How long a looked-up price (or "no price") is reused, in ms. */
export const PRICE_CACHE_TTL_MS = 30_000;

interface Entry {
  readonly price: Price | null;
  readonly expiresAt: number;
}

/**
 * Current prices by upstream model id, kept in memory for `ttlMs` (default 30 s) so reserving
 * and settling a request costs no extra price query on the hot path.
 *
 * Consequence: a price change (admin API on another instance, or a new seed) takes effect on
 * this instance within the TTL; on the instance that made the change at once, because the
 * admin route calls {@link PriceCache.invalidate}. Unknown models are cached too, so a model
 * without a price does not cost a query per request either.
 */
export class PriceCache {
  private static readonly perPool = new WeakMap<Pool, PriceCache>();

  /**
   * The process's cache for `pool` (created on first use with the default TTL): the worker's
   * budget activities, the fast path and the admin routes of one process share it, so an
   * admin price change invalidates what all of them see.
   */
  static for(pool: Pool): PriceCache {
    let cache = PriceCache.perPool.get(pool);
    if (!cache) {
      cache = new PriceCache(pool);
      PriceCache.perPool.set(pool, cache);
    }
    return cache;
  }

  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Price | null>>();

  constructor(
    private readonly pool: Pool,
    private readonly ttlMs: number = PRICE_CACHE_TTL_MS,
  ) {}

  /** The current price of `model`, or null when none is known. Throws the pool's errors. */
  async get(model: string, now: number = Date.now()): Promise<Price | null> {
    const cached = this.entries.get(model);
    if (cached && cached.expiresAt > now) return cached.price;
    // Concurrent first requests for one model share a single lookup.
    let pending = this.inFlight.get(model);
    if (!pending) {
      pending = findCurrentPrice(this.pool, model)
        .then((price) => {
          this.entries.set(model, { price, expiresAt: now + this.ttlMs });
          return price;
        })
        .finally(() => this.inFlight.delete(model));
      this.inFlight.set(model, pending);
    }
    return pending;
  }

  /** Forgets every cached price (after a price change made through this instance). */
  invalidate(): void {
    this.entries.clear();
  }
}
