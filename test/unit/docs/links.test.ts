/**
 * The documentation stays true to the repository: every relative link of README.md and docs/
 * reaches a file, every `#anchor` a heading (GitHub's anchors); the commands it shows exist (npm
 * scripts, the CLI's commands and flags, the settings, the metrics); and the two commands CI takes
 * from the README are still its first.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HELP } from '../../../src/cli/help';
import { VARIABLES } from '../../../src/config/env';
import { anchors, codeBlocks, githubSlug, links, prose } from '../../support/markdown';

const root = path.resolve(__dirname, '../../..');

/** README.md and every Markdown page under docs/ (the ADRs included), relative to the root. */
function documents(): string[] {
  const out = ['README.md'];
  const walk = (dir: string): void => {
    for (const name of readdirSync(path.join(root, dir)).sort()) {
      const rel = path.join(dir, name);
      if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out;
}

const read = (rel: string): string => readFileSync(path.join(root, rel), 'utf8');
const docs = documents();

describe('GitHub heading anchors', () => {
  it('follow GitHub: lower case, punctuation dropped, spaces as hyphens, code kept as text', () => {
    assert.equal(githubSlug('Try tasks: catching, retrying and recovering'), 'try-tasks-catching-retrying-and-recovering');
    assert.equal(githubSlug('OpenAPI (`call_type: openapi`)'), 'openapi-call_type-openapi');
    assert.equal(githubSlug('`when` / `exceptWhen` (offline)'), 'when--exceptwhen-offline');
    assert.equal(githubSlug('A named retry policy and `retry_context.attempt_count` (offline)'), 'a-named-retry-policy-and-retry_contextattempt_count-offline');
    assert.equal(githubSlug('9. Differences from flunq\'s Go executor'), '9-differences-from-flunqs-go-executor');
  });

  it('number repeated headings -1, -2 and ignore headings inside code blocks', () => {
    const found = anchors('# A\n\n## Notes\n\n```sh\n# not a heading\n```\n\n## Notes\n\n### Notes\n');
    assert.deepEqual([...found].sort(), ['a', 'notes', 'notes-1', 'notes-2']);
  });
});

describe('links in README.md and docs/', () => {
  it('finds the pages', () => {
    for (const page of ['README.md', 'docs/configuration.md', 'docs/try-tasks.md', 'docs/operations.md']) assert.ok(docs.includes(page), page);
  });

  for (const doc of docs) {
    it(`${doc}: every relative link reaches a file and every #anchor a heading`, () => {
      const broken: string[] = [];
      for (const { target, line } of links(read(doc))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const hash = target.indexOf('#');
        const file = hash < 0 ? target : target.slice(0, hash);
        const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
        const resolved = file === '' ? doc : path.normalize(path.join(path.dirname(doc), decodeURIComponent(file)));
        if (resolved.startsWith('..')) broken.push(`${doc}:${line}: ${target} leaves the repository`);
        else if (!existsSync(path.join(root, resolved))) broken.push(`${doc}:${line}: ${target}: no such file`);
        else if (anchor !== undefined) {
          if (!resolved.endsWith('.md')) broken.push(`${doc}:${line}: ${target}: an anchor into a file that is not Markdown`);
          else if (!anchors(read(resolved)).has(anchor)) broken.push(`${doc}:${line}: ${target}: ${resolved} has no heading #${anchor}`);
        }
      }
      assert.deepEqual(broken, []);
    });
  }
});

describe('what the documentation shows exists', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

  it('the README starts with the two commands CI runs: `npm ci && npm start` and `npm ci && npm test`', () => {
    const first = codeBlocks(read('README.md'))[0];
    assert.ok(first, 'the README has a code block');
    const commands = first.body.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
    assert.deepEqual(commands, ['npm ci && npm start', 'npm ci && npm test']);
    const ci = read('.ci/run')
      .split('\n')
      .filter((l) => /^npm /.test(l));
    assert.deepEqual(ci, ['npm ci', 'npm test'], '.ci/run runs what the README tells a newcomer');
  });

  it('every `npm run <script>`, `npm start` and `npm test` shown is a script of package.json', () => {
    const missing: string[] = [];
    for (const doc of docs) {
      for (const m of read(doc).matchAll(/\bnpm (?:run(?:-script)? (?:--silent )?([a-z][\w:-]*)|(start|test|stop|restart)\b)/g)) {
        const name = m[1] ?? m[2]!;
        if (!(name in scripts)) missing.push(`${doc}: npm run ${name}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('every `flunq-executor <command> --flag` shown is a command whose help names that flag', () => {
    const wrong: string[] = [];
    const global = HELP['']!;
    for (const doc of docs) {
      for (const m of read(doc).matchAll(/flunq-executor((?: (?:dlq|list|show|replay|resolve|purge|tasks|validate|run|serve|help))+)([^\n`|]*)/g)) {
        const words = m[1]!.trim().split(' ');
        if (words[0] === 'help') continue;
        const command = words.slice(0, 2).join(' ');
        const help = HELP[command] ?? HELP[words[0]!];
        if (help === undefined) {
          wrong.push(`${doc}: flunq-executor ${command}: no such command`);
          continue;
        }
        for (const flag of m[2]!.matchAll(/(?:^|\s)(--?[a-z][a-z-]*)/g)) {
          if (!help.includes(flag[1]!) && !global.includes(flag[1]!)) wrong.push(`${doc}: flunq-executor ${command} ${flag[1]}: not in its help`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('every setting named (a word with a setting prefix) is a variable of the settings table', () => {
    const known = new Set(Object.values(VARIABLES).map((v) => v.name));
    // Error codes share the prefixes (EXPRESSION_LIMIT, HTTP_5XX): the ones the domain defines are no settings.
    const union = /export type ErrorCode =([^;]*);/.exec(read('src/domain/workflow-error.ts'))?.[1] ?? '';
    const errorCodes = [...union.matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1]!);
    assert.ok(errorCodes.includes('EXPRESSION_LIMIT'), 'the error codes are found');
    // Named on purpose as what is NOT a setting: Kubernetes' service links, a proxy variable, a test
    // switch, and the misspelling the unknown-setting warning is shown with.
    const notSettings = new Set([...errorCodes, 'REDIS_SERVICE_HOST', 'REDIS_PORT', 'REDIS_PORT_6379_TCP_ADDR', 'HTTP_PROXY', 'CONSOLE_SCREENSHOTS', 'EXECUTOR_CONCURENCY']);
    const prefixes = /^(EXECUTOR|REDIS|NATS|HTTP|CALL|CIRCUIT_BREAKER|OPENAPI|CONSOLE|TASK|RETRY|LOG|HEALTH|METRICS|EVENT|EXPRESSION|OTEL)_[A-Z0-9_]*[A-Z0-9]$/;
    const unknown: string[] = [];
    for (const doc of docs.filter((d) => !d.startsWith(path.join('docs', 'adr')))) {
      for (const m of prose(read(doc)).matchAll(/\b[A-Z][A-Z0-9_]{3,}\b/g)) {
        if (prefixes.test(m[0]) && !known.has(m[0]) && !notSettings.has(m[0])) unknown.push(`${doc}: ${m[0]}`);
      }
    }
    assert.deepEqual([...new Set(unknown)], []);
  });

  it('every repository file or folder named in code (`src/…`, `handlers/set.handler.ts`, `deploy/kubernetes/`) exists', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(path.join(root, dir))) {
        if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
        const rel = dir ? `${dir}/${name}` : name;
        if (statSync(path.join(root, rel)).isDirectory()) {
          files.push(`${rel}/`);
          walk(rel);
        } else files.push(rel);
      }
    };
    walk('');
    const exists = (named: string): boolean => files.some((f) => f === named || f.endsWith(`/${named}`));
    // Files a reader makes (a task request to submit, `<name>-task.json` too, the build output).
    const yours = new Set(['task.json', 'request.json', '.env', 'dist/']);
    const missing: string[] = [];
    for (const doc of docs.filter((d) => !d.startsWith(path.join('docs', 'adr')))) {
      // A page's own example files (`<!-- example: pets.yaml -->` above the block, or a line that starts
      // with the name and a colon or comma, introducing it): the reader writes them.
      const examples = new Set([...read(doc).matchAll(/<!-- example: ([\w.-]+) -->|^`([\w.-]+)`[,:]/gm)].map((e) => (e[1] ?? e[2])!));
      for (const m of read(doc).matchAll(/`((?:[\w.-]+\/)*[\w.-]+(?:\.(?:ts|lua|cjs|mjs|js|json|md|yaml|yml|png)|\/))`/g)) {
        const named = m[1]!;
        if (yours.has(named) || examples.has(named) || /^[\w-]+-task\.json$/.test(named) || /^(https?:|\.\.?\/)/.test(named) || !/[/.]/.test(named)) continue;
        if (!exists(named)) missing.push(`${doc}: ${named}`);
      }
    }
    assert.deepEqual([...new Set(missing)], []);
  });

  it('every executor_* metric named is one the service registers', () => {
    const source = read('src/adapters/observability/prometheus-metrics.ts');
    const registered = new Set([...source.matchAll(/'(executor_[a-z_]+)'/g)].map((m) => m[1]!));
    assert.ok(registered.has('executor_tasks_total') && registered.has('executor_tenant_share'));
    const unknown: string[] = [];
    for (const doc of docs) {
      for (const m of read(doc).matchAll(/\b(executor_[a-z_]*[a-z])\b/g)) {
        const name = m[1]!.replace(/_(bucket|sum|count)$/, '');
        if (name !== 'executor_activity' && !registered.has(name)) unknown.push(`${doc}: ${m[1]}`);
      }
    }
    assert.deepEqual([...new Set(unknown)], []);
  });
});
