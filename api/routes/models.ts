import type { Request, Response } from 'express';
import type { ApiDeps } from '../deps';

/** GET /v1/models: the configured model names, in OpenAI's list shape. */
export function listModels(deps: ApiDeps) {
  const created = Math.floor(Date.now() / 1000);
  const body = {
    object: 'list',
    data: [...deps.config.models.keys()].map((id) => ({ id, object: 'model', created, owned_by: 'switchyard' })),
  };
  return function listModelsHandler(_req: Request, res: Response): void {
    res.json(body);
  };
}
