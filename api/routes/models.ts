import type { Request, Response } from 'express';
import type { ClientKey } from '../client-keys';
import type { ApiDeps } from '../deps';
import { modelAllowed } from '../policies';

/** GET /v1/models: the configured model names the caller's policy allows, in OpenAI's list shape. */
export function listModels(deps: ApiDeps) {
  const created = Math.floor(Date.now() / 1000);
  const all = [...deps.config.models.keys()].map((id) => ({ id, object: 'model', created, owned_by: 'switchyard' }));
  return function listModelsHandler(_req: Request, res: Response): void {
    const key = res.locals.key as ClientKey;
    res.json({ object: 'list', data: all.filter((m) => modelAllowed(key.policy, m.id)) });
  };
}
