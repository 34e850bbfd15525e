// Lets a plain `node` child process run the TypeScript sources, the way jest does (@swc/jest):
// `node --require ./test/support/ts-register.js test/support/processes/<script>.ts`. Used by
// the crash tests, which need a gateway or worker in a process they can SIGKILL.
'use strict';
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
