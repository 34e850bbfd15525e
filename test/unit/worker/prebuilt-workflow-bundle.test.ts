import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { historyDataConverter, FAILURE_CONVERTER_PATH } from '../../../temporal/data-converter';
import { checkPrebuiltBundle, writePrebuiltBundle, type BundleVariant } from '../../../worker/prebuilt-workflow-bundle';
import { chooseWorkflowBundle } from '../../../worker/workflow-bundle';
import { WORKFLOWS_PATH } from '../../../worker/workflows-path';
import { capturingLogger } from '../../support/log-capture';
import { TEST_HISTORY_KEYRING } from '../../support/history-keys';

const PLAIN: BundleVariant = { workflowInterceptorModules: [] };
const ARTIFACTS = path.join(__dirname, '..', '..', '..', 'test-artifacts');

/**
 * A worker process loads the bundle `npm run build` wrote when it matches the files on disk, and
 * bundles at start (with a warning) when it is missing or stale.
 */
describe('prebuilt workflow bundles', () => {
  let root: string;
  let workflowsPath: string;
  let helper: string;

  beforeAll(() => {
    // Inside the repository, so webpack resolves @temporalio/workflow from its node_modules. A
    // tiny workflow package keeps webpack quick; the real workflows are bundled once below.
    mkdirSync(ARTIFACTS, { recursive: true });
    root = mkdtempSync(path.join(ARTIFACTS, 'prebuilt-bundle-'));
    workflowsPath = path.join(root, 'workflows');
    mkdirSync(workflowsPath);
    helper = path.join(workflowsPath, 'greeting.js');
    writeFileSync(helper, "exports.greeting = 'hello';\n");
    writeFileSync(path.join(workflowsPath, 'index.js'), "const { greeting } = require('./greeting');\nexports.greet = async () => greeting;\n");
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('uses a fresh bundle by its codePath, without bundling', async () => {
    const dir = path.join(root, 'fresh');
    const written = await writePrebuiltBundle(dir, workflowsPath, PLAIN);
    expect(written.inputs).toBeGreaterThan(2);
    expect(checkPrebuiltBundle(dir, workflowsPath, PLAIN)).toEqual({ usable: true, codePath: written.codePath });

    const { logger, text } = capturingLogger();
    const chosen = await chooseWorkflowBundle({ variant: PLAIN, logger, dir, workflowsPath });
    expect(chosen).toEqual({ source: 'prebuilt', bundle: { codePath: written.codePath } });
    expect(text()).toContain('using the prebuilt workflow bundle');
  });

  it('falls back to bundling at start when an input changed since the build', async () => {
    const dir = path.join(root, 'stale');
    await writePrebuiltBundle(dir, workflowsPath, PLAIN);
    appendFileSync(helper, '// edited after the build\n');
    try {
      const check = checkPrebuiltBundle(dir, workflowsPath, PLAIN);
      expect(check).toEqual({ usable: false, reason: `input ${helper} changed since the bundle was built` });

      const { logger, text } = capturingLogger();
      const chosen = await chooseWorkflowBundle({ variant: PLAIN, logger, dir, workflowsPath });
      expect(chosen.source).toBe('bundled');
      expect('code' in chosen.bundle && chosen.bundle.code).toContain('edited after the build');
      expect(text()).toContain('bundling the workflows at start');
      expect(text()).toContain('changed since the bundle was built');
    } finally {
      writeFileSync(helper, "exports.greeting = 'hello';\n");
    }
  });

  it('refuses a missing bundle, another variant, and a bundle altered after the build', async () => {
    const dir = path.join(root, 'refused');
    expect(checkPrebuiltBundle(dir, workflowsPath, PLAIN)).toMatchObject({ usable: false, reason: expect.stringContaining('no prebuilt bundle') });

    const { codePath } = await writePrebuiltBundle(dir, workflowsPath, PLAIN);
    // Same file name, other options: the manifest tells them apart.
    expect(checkPrebuiltBundle(dir, helper, PLAIN)).toEqual({ usable: false, reason: 'built with other bundle options' });
    // Another variant has its own file, not built here.
    const encrypted = { failureConverterPath: FAILURE_CONVERTER_PATH, workflowInterceptorModules: [] };
    expect(checkPrebuiltBundle(dir, workflowsPath, encrypted)).toMatchObject({ usable: false, reason: expect.stringContaining('no prebuilt bundle') });

    appendFileSync(codePath, '\n// tampered\n');
    expect(checkPrebuiltBundle(dir, workflowsPath, PLAIN)).toEqual({ usable: false, reason: `${codePath} does not match its manifest` });
    unlinkSync(codePath.replace(/\.js$/, '.manifest.json'));
    expect(checkPrebuiltBundle(dir, workflowsPath, PLAIN)).toMatchObject({ usable: false, reason: expect.stringContaining('no prebuilt bundle') });
  });

  it('has the reusable V8 context evaluate the workflows module and the SDK API once, not per workflow', async () => {
    const { codePath } = await writePrebuiltBundle(path.join(root, 'preload'), workflowsPath, PLAIN);
    const code = readFileSync(codePath, 'utf8');
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? '';
    expect(preload).toContain('"./node_modules/@temporalio/workflow/lib/index.js"');
    expect(preload).toMatch(/workflows\/index\.js"\)/);
  });

  it('a prebuilt bundle of the real workflows replays the golden histories from its codePath', async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const dir = path.join(root, 'real');
    const variant = { failureConverterPath: FAILURE_CONVERTER_PATH, workflowInterceptorModules: [] };
    await writePrebuiltBundle(dir, WORKFLOWS_PATH, variant);
    const chosen = await chooseWorkflowBundle({ variant, logger: capturingLogger().logger, dir });
    expect(chosen.source).toBe('prebuilt');
    const dataConverter = historyDataConverter(TEST_HISTORY_KEYRING);
    for (const name of ['chat-success', 'batch-cancelled']) {
      const history: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'histories', `${name}.json`), 'utf8'));
      await Worker.runReplayHistory({ workflowBundle: chosen.bundle, dataConverter }, history, name);
    }
  });
});
