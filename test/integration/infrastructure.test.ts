import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { Client } from 'pg';

import { startEmbeddedPostgres } from '../../db/embedded-postgres';
import { SEARCH_ATTRIBUTE_DEFS, type SearchAttributeDefType } from '../../temporal/search-attribute-defs';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set; run through the jest integration project`);
  return value;
}

const SDK_TYPE: Record<SearchAttributeDefType, SearchAttributeType> = {
  Keyword: SearchAttributeType.KEYWORD,
  Int: SearchAttributeType.INT,
  Double: SearchAttributeType.DOUBLE,
  Bool: SearchAttributeType.BOOL,
  Datetime: SearchAttributeType.DATETIME,
  Text: SearchAttributeType.TEXT,
  KeywordList: SearchAttributeType.KEYWORD_LIST,
};

describe('shared integration infrastructure (global setup)', () => {
  test('Postgres at DATABASE_URL answers queries', async () => {
    const client = new Client({ connectionString: requiredEnv('DATABASE_URL') });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number }>('select 1 as one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  test('Temporal at TEMPORAL_ADDRESS serves the namespace with the Switchyard search attributes', async () => {
    const namespace = requiredEnv('TEMPORAL_NAMESPACE');
    const connection = await Connection.connect({ address: requiredEnv('TEMPORAL_ADDRESS') });
    try {
      const described = await connection.workflowService.describeNamespace({ namespace });
      expect(described.namespaceInfo?.name).toBe(namespace);

      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const expected = Object.fromEntries(SEARCH_ATTRIBUTE_DEFS.map((def) => [def.name, encodeSearchAttributeIndexedValueType(SDK_TYPE[def.type])]));
      expect(customAttributes).toMatchObject(expected);
    } finally {
      await connection.close();
    }
  });
});

describe('startEmbeddedPostgres', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'switchyard-pg-restart-'));
    // As root, Postgres runs as the `postgres` user, which must be able to enter this directory.
    await chmod(root, 0o755);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('keeps data across a stop and a start on the same data dir', async () => {
    const dataDir = path.join(root, 'data');
    const log = (): void => undefined;

    const first = await startEmbeddedPostgres({ dataDir, port: 0, log });
    try {
      const client = new Client({ connectionString: first.url });
      await client.connect();
      await client.query('create table survivors (name text primary key)');
      await client.query('insert into survivors (name) values ($1)', ['written before restart']);
      await client.end();
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedPostgres({ dataDir, port: 0, log });
    try {
      const client = new Client({ connectionString: second.url });
      await client.connect();
      const { rows } = await client.query<{ name: string }>('select name from survivors');
      await client.end();
      expect(rows).toEqual([{ name: 'written before restart' }]);
    } finally {
      await second.stop();
    }
  }, 120_000);
});
