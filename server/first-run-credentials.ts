import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import { issueKey } from '../db/keys';

export interface DevCredentials {
  readonly adminToken: string;
  /**
   * The first client key, issued on the first start and read back from its file on later ones
   * (the database holds only its hash). Deleting the file makes the next start issue another.
   */
  readonly firstClientKey: string;
  readonly adminTokenFile: string;
  readonly clientKeyFile: string;
}

/**
 * Embedded dev default only: an admin token (kept in `<dataDir>/admin-token`, mode 0600) and,
 * on the first start, a first client key (`<dataDir>/first-client-key`). Production sets
 * SWITCHYARD_ADMIN_TOKEN and issues keys through the admin API.
 */
export async function ensureDevCredentials(pool: Pool, dataDir: string): Promise<DevCredentials> {
  mkdirSync(dataDir, { recursive: true });
  const adminTokenFile = path.join(dataDir, 'admin-token');
  const clientKeyFile = path.join(dataDir, 'first-client-key');
  if (!existsSync(adminTokenFile)) {
    writeFileSync(adminTokenFile, `sy-admin-${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  }
  const adminToken = readFileSync(adminTokenFile, 'utf8').trim();
  let firstClientKey: string;
  if (!existsSync(clientKeyFile)) {
    const issued = await issueKey(pool, { name: 'first key (npm start)' });
    writeFileSync(clientKeyFile, `${issued.key}\n`, { mode: 0o600 });
    firstClientKey = issued.key;
  } else {
    firstClientKey = readFileSync(clientKeyFile, 'utf8').trim();
  }
  return { adminToken, firstClientKey, adminTokenFile, clientKeyFile };
}
