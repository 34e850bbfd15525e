import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection } from '@temporalio/worker';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureSearchAttributes } from '../../temporal/ensure-search-attributes';
import { SEARCH_ATTRIBUTE_DEFS } from '../../temporal/search-attribute-defs';

describe('search attributes on an existing cluster', () => {
  let connection: NativeConnection;
  beforeAll(async () => {
    connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  });
  afterAll(async () => {
    await connection.close();
  });

  it('registers the missing ones on a bare namespace, then finds them all', async () => {
    const namespace = `sa-check-${randomUUID().slice(0, 8)}`;
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    // A new namespace reaches the server's namespace cache within a few seconds.
    let first: Awaited<ReturnType<typeof ensureSearchAttributes>> | undefined;
    for (let i = 0; i < 40 && first === undefined; i++) {
      first = await ensureSearchAttributes(connection, namespace).catch(async () => {
        await sleep(250);
        return undefined;
      });
    }
    expect(first?.added.slice().sort()).toEqual(SEARCH_ATTRIBUTE_DEFS.map((d) => d.name).sort());
    expect(first?.conflicting).toEqual([]);

    const again = await ensureSearchAttributes(connection, namespace);
    expect(again).toEqual({ added: [], conflicting: [] });
  });

  it('reports an attribute registered with another type instead of re-adding it', async () => {
    const result = await ensureSearchAttributes(connection, process.env.TEMPORAL_NAMESPACE ?? 'default', [{ name: 'LlmModel', type: 'Int' }]);
    expect(result).toEqual({ added: [], conflicting: ['LlmModel'] });
  });
});
