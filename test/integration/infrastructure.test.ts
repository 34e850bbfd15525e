import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { Client } from 'pg';

import { startEmbeddedPostgres } from '../../db/embedded-postgres';
import { DevServerStartError, portClash, startDevServer } from '../../temporal/dev-server';
import { getFreePort } from '../../temporal/free-port';
import { announcement, spawnProcessScript } from '../support/process-script';
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

  test('stops the server a killed run left running, and starts on the same data dir', async () => {
    const dataDir = path.join(root, 'orphaned');
    const child = spawnProcessScript('embedded-postgres.ts', { PG_DATA_DIR: dataDir });
    const url = (await announcement(child, 'embedded-postgres.ts', (line) => line.startsWith('url '))).slice(4);
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query('create table kept (name text primary key)');
    await client.query('insert into kept (name) values ($1)', ['written before the kill']);
    await client.end();
    const orphan = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // The server outlives the process that started it: nothing else would stop it.
    expect(() => process.kill(orphan, 0)).not.toThrow();

    const lines: string[] = [];
    const again = await startEmbeddedPostgres({ dataDir, port: 0, log: (line) => lines.push(line) });
    try {
      expect(lines).toContain(`Postgres: stopping the server a killed run left running on ${dataDir} (pid ${orphan})`);
      expect(() => process.kill(orphan, 0)).toThrow();
      const reader = new Client({ connectionString: again.url });
      await reader.connect();
      const { rows } = await reader.query<{ name: string }>('select name from kept');
      await reader.end();
      expect(rows).toEqual([{ name: 'written before the kill' }]);
    } finally {
      await again.stop();
    }
  }, 120_000);

  test('refuses a data dir whose server a live run still owns', async () => {
    const dataDir = path.join(root, 'owned');
    const first = await startEmbeddedPostgres({ dataDir, port: 0, log: () => undefined });
    try {
      await expect(startEmbeddedPostgres({ dataDir, port: 0, log: () => undefined })).rejects.toThrow(/already running/);
    } finally {
      await first.stop();
    }
  }, 120_000);
});

describe('startDevServer', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'switchyard-dev-clash-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('a UI port the caller fixed and somebody else holds fails the start once, naming the port', async () => {
    const holder = createServer();
    const held = await getFreePort();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: held, exclusive: true }, resolve));
    const dbFile = path.join(root, 'dev.db');
    const lines: string[] = [];
    try {
      const start = startDevServer({
        cliPath: requiredEnv('TEMPORAL_CLI_PATH'),
        dbFile,
        port: 0,
        uiPort: held,
        namespace: 'default',
        searchAttributes: SEARCH_ATTRIBUTE_DEFS,
        log: (line) => lines.push(line),
      });
      const error = await start.then(
        async (dev) => {
          await dev.stop();
          return new Error('the dev server started although its UI port was taken');
        },
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(DevServerStartError);
      // The real server's log line is what the retry decision parses.
      expect(portClash(error)).toEqual({ port: held });
      // A fixed port is the caller's to fix: no second start.
      const log = await readFile(`${dbFile}.log`, 'utf8');
      expect(log.split('\n').filter((line) => line.startsWith('=== '))).toHaveLength(1);
      expect(lines.filter((line) => line.includes('retrying'))).toEqual([]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 60_000);
});
