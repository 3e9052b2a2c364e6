/**
 * Layering rules (docs/architecture.md, ADR 0001), checked on every `npm test`:
 * domain ← application ← adapters; only src/config and src/main.ts touch the container.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports only src/domain (no packages, no node built-ins).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'application-uses-only-domain-and-ports',
      comment: 'src/application imports the domain and its own code, never adapters, config or libraries.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { pathNot: '^src/(domain|application)/' },
    },
    {
      name: 'adapter-families-are-independent',
      comment: 'An adapter family never imports another family, except the shared ones: the flunq wire binding that the stream backends share, and the worker thread that runs hostile work off the event loop.',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: '^src/adapters/([^/]+)/', pathNot: '^src/adapters/($1|flunq-wire|worker-thread)/' },
    },
    {
      name: 'adapters-do-not-reach-config',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(config|main)' },
    },
    {
      name: 'only-config-touches-the-container',
      comment: 'inversify is imported by src/config and src/main.ts only.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(config/|main\\.ts$)' },
      to: { path: 'node_modules/(inversify|@inversifyjs)/' },
    },
    {
      name: 'src-never-imports-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|features|bench)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
