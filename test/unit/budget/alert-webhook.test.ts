import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { postAlertWebhook, WebhookError, type BudgetAlertPayload } from '../../../budget/alert-webhook';

const payload: BudgetAlertPayload = {
  object: 'budget.alert',
  id: 'budget-alert-b-1970-01-01T00:00:00.000Z-80',
  tenant_id: 't',
  budget_id: 'b',
  scope: 'key',
  scope_id: 'k',
  period: 'total',
  period_start: '1970-01-01T00:00:00.000Z',
  threshold: 80,
  limit_usd: '10',
  spent_usd: '8',
  fired_at: '2026-01-01T00:00:00.000Z',
};

describe('postAlertWebhook', () => {
  let server: http.Server;
  let url = '';
  let status = 204;
  let received: { body: string; idempotencyKey: string | undefined } | undefined;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received = { body, idempotencyKey: req.headers['idempotency-key'] as string | undefined };
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts the payload as JSON with the alert id as Idempotency-Key', async () => {
    status = 204;
    await postAlertWebhook(url, payload);
    expect(JSON.parse(received!.body)).toEqual(payload);
    expect(received!.idempotencyKey).toBe(payload.id);
  });

  it.each([
    [500, true],
    [503, true],
    [429, true],
    [408, true],
    [400, false],
    [404, false],
  ])('status %i is retryable: %s', async (code, retryable) => {
    status = code;
    const err = await postAlertWebhook(url, payload).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookError);
    expect(err).toMatchObject({ status: code, retryable });
  });

  it('treats a refused connection as retryable', async () => {
    const err = await postAlertWebhook('http://127.0.0.1:1/hook', payload, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true, status: undefined });
  });
});
