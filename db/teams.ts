import type { Queryable } from './queryable';

/** A team inside a tenant. */
export interface Team {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly createdAt: Date;
}

interface TeamRow {
  id: string;
  tenant_id: string;
  name: string;
  created_at: Date;
}

const COLUMNS = 'id, tenant_id, name, created_at';

function toTeam(r: TeamRow): Team {
  return { id: r.id, tenantId: r.tenant_id, name: r.name, createdAt: r.created_at };
}

/** Postgres' unique_violation: a team name is unique within its tenant. */
export const UNIQUE_VIOLATION = '23505';

/** Inserts a team; throws the driver's `23505` error when the tenant already has a team of that name or the id is taken. */
export async function insertTeam(db: Queryable, input: { id: string; tenantId: string; name: string }): Promise<Team> {
  const { rows } = await db.query<TeamRow>(`INSERT INTO teams (id, tenant_id, name) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`, [
    input.id,
    input.tenantId,
    input.name,
  ]);
  return toTeam(rows[0]!);
}

export async function getTeam(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<Team | null> {
  const { rows } = await db.query<TeamRow>(`SELECT ${COLUMNS} FROM teams WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? toTeam(rows[0]) : null;
}

/** A tenant's teams in id order. */
export async function listTeams(db: Queryable, tenantId: string): Promise<Team[]> {
  const { rows } = await db.query<TeamRow>(`SELECT ${COLUMNS} FROM teams WHERE tenant_id = $1 ORDER BY id`, [tenantId]);
  return rows.map(toTeam);
}

export async function renameTeam(db: Queryable, id: string, name: string): Promise<Team> {
  const { rows } = await db.query<TeamRow>(`UPDATE teams SET name = $2 WHERE id = $1 RETURNING ${COLUMNS}`, [id, name]);
  return toTeam(rows[0]!);
}

/** Deletes a team no key belongs to (its budgets go with it); false when keys still do. */
export async function deleteEmptyTeam(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM api_keys WHERE team_id = $1 LIMIT 1', [id]);
  if (rowCount) return false;
  await db.query("DELETE FROM budgets WHERE scope = 'team' AND scope_id = $1", [id]);
  await db.query('DELETE FROM teams WHERE id = $1', [id]);
  return true;
}
