import path from 'node:path';

/**
 * Where the workflow bundle's entry point lives (works from the sources and from dist/). A module
 * of its own so the bundle build step can name it without loading the workers' activities.
 */
export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows');
