import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTE_DEFS } from '../../temporal/search-attribute-defs';

/**
 * No Docker engine runs where this is developed, so the compose file is checked statically:
 * it parses, has every service the README promises, and registers the same search attributes
 * the embedded dev server does.
 */
const root = path.join(__dirname, '..', '..');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

  it('declares Postgres, Temporal with Postgres persistence, the UI, the api and the worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres', 'temporal', 'temporal-search-attributes', 'temporal-ui', 'worker']);
    expect(compose.services.temporal!.environment!.DB).toBe('postgres12');
    expect(compose.services.api!.command).toEqual(['node', 'dist/bin/api.js']);
    expect(compose.services.worker!.command).toEqual(['node', 'dist/bin/worker.js']);
    for (const name of ['api', 'worker']) {
      expect(compose.services[name]!.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', SWITCHYARD_CONFIG: '/app/switchyard.yaml' });
      expect(compose.services[name]!.environment!.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\/switchyard$/);
    }
  });

  it('registers exactly the search attributes the workflows use', () => {
    const script = readFileSync(path.join(root, 'docker', 'register-search-attributes.sh'), 'utf8');
    const pairs = [...script.matchAll(/(\w+)=(Keyword|Int|Double|Bool|Datetime|Text|KeywordList)\b/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(pairs).toEqual(SEARCH_ATTRIBUTE_DEFS.map((d) => `${d.name}=${d.type}`));
  });

  it('builds images whose entry points exist in the build output', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('npm run build');
    const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect(tsconfig.include).toContain('bin');
  });
});
