import type { Request, Response } from 'express';
import { z } from 'zod';
import { PriceKind, type Price } from '../../prices/price';
import { PriceCache } from '../../prices/price-cache';
import { AuditEntity, writeAudit } from '../../db/audit';
import { inTransaction } from '../../db/ledger/transaction';
import { findCurrentPrice, insertPriceVersion, listCurrentPrices } from '../../prices/price-store';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { actorOf } from '../middleware/admin-auth';
import { validateBody } from '../validation/validate';
import { usdPerMillion } from '../validation/usd-amount';

const putPriceSchema = z
  .object({
    input_per_mtok: usdPerMillion,
    output_per_mtok: usdPerMillion,
    cached_input_per_mtok: usdPerMillion.nullable().optional(),
    /** Default: the model's current kind, else `chat`. */
    kind: z.enum([PriceKind.Chat, PriceKind.Embedding]).optional(),
    max_output_tokens: z.number().int().positive().max(10_000_000).nullable().optional(),
  })
  .strict();

/** A price version in the admin API's shape: USD per million tokens as exact decimal strings. */
function priceBody(p: Price) {
  return {
    id: p.id,
    object: 'price',
    model: p.model,
    kind: p.kind,
    input_per_mtok: p.inputPerMTokUsd,
    cached_input_per_mtok: p.cachedInputPerMTokUsd,
    output_per_mtok: p.outputPerMTokUsd,
    max_output_tokens: p.maxOutputTokens,
    source: p.source,
    created_at: p.createdAt.toISOString(),
  };
}

/** GET /admin/prices: every current price, by upstream model id. */
export function listPricesRoute(deps: ApiDeps) {
  return async function listPricesHandler(_req: Request, res: Response): Promise<void> {
    res.json({ object: 'list', data: (await listCurrentPrices(deps.pool)).map(priceBody) });
  };
}

/**
 * PUT /admin/prices/:model: a new price version for an upstream model id (the old one is kept
 * for the usage records charged at it). This instance uses it at once; others within the price
 * cache's TTL (30 s).
 */
export function putPriceRoute(deps: ApiDeps) {
  return async function putPriceHandler(req: Request, res: Response): Promise<void> {
    const model = String(req.params.model);
    if (model.length > 200) throw new HttpError(400, 'The model id is too long.', { param: 'model', code: 'invalid_value' });
    const body = validateBody(putPriceSchema, req.body);
    // One transaction: the new version, the superseded one and the audit row commit together.
    const price = await inTransaction(deps.pool, async (db) => {
      const current = await findCurrentPrice(db, model);
      const set = await insertPriceVersion(
        db,
        {
          model,
          kind: body.kind ?? current?.kind ?? PriceKind.Chat,
          inputPerMTokUsd: body.input_per_mtok,
          outputPerMTokUsd: body.output_per_mtok,
          cachedInputPerMTokUsd: body.cached_input_per_mtok ?? null,
          // Omitted keeps the model's known output cap: it sizes reservations, not prices.
          maxOutputTokens: body.max_output_tokens === undefined ? (current?.maxOutputTokens ?? null) : body.max_output_tokens,
        },
        'admin',
      );
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'set',
        entityType: AuditEntity.Price,
        entityId: model,
        tenantId: null,
        before: current ? priceBody(current) : null,
        after: priceBody(set),
      });
      return set;
    });
    PriceCache.for(deps.pool).invalidate();
    deps.logger.info({ model, priceId: price.id }, 'price set');
    res.json(priceBody(price));
  };
}
