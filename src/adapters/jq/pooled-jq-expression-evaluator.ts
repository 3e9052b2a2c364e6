import { ExpressionEvaluator, ExpressionInput, ExpressionLimits, ExpressionOutcome } from '../../application/ports/expression-evaluator.port';
import { errors } from '../../domain/workflow-error';
import { JqWorkerPool, JqWorkerPoolOptions } from './jq-worker-pool';

export type PooledJqOptions = JqWorkerPoolOptions;

export const DEFAULT_POOLED_JQ_OPTIONS: PooledJqOptions = {
  maxWorkers: 4,
  maxMemoryMb: 128,
  timeoutMs: 2000,
  maxResultBytes: 4 * 1024 * 1024,
  maxDepth: 256,
  idleMs: 30_000,
};

const TYPE_NAMES = new Set(['null', 'boolean', 'number', 'string', 'array', 'object']);

/**
 * jq's error messages quote the values they failed on (`string ("s3cr3t…") cannot be parsed as a
 * number`), and those values may be secrets from the task's data. Every `<type> (<value>)` excerpt
 * is cut down to its type. A hand-written scanner, so that no message can make it backtrack.
 */
export function withoutValueExcerpts(message: string): string {
  let out = '';
  let from = 0;
  let search = 0;
  for (;;) {
    const open = message.indexOf(' (', search);
    if (open < 0) break;
    let start = open;
    while (start > 0 && /[a-z]/.test(message.charAt(start - 1))) start--;
    if (!TYPE_NAMES.has(message.slice(start, open))) {
      search = open + 2;
      continue;
    }
    let i = open + 2;
    let depth = 0;
    let inString = false;
    for (; i < message.length; i++) {
      if (message.startsWith('...)', i)) {
        i += 3;
        break;
      }
      const c = message.charAt(i);
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') depth--;
      else if (c === ')' && depth <= 0) break;
    }
    out += `${message.slice(from, open)} (…)`;
    from = Math.min(i + 1, message.length);
    search = from;
  }
  return out + message.slice(from);
}

/**
 * Every quoted piece of a run-time error message (`'…'` or `"…"`), where jq repeats the text it
 * failed on (`… (while parsing 'SENTINEL')`, `date "…" does not match format`), becomes `"…"`.
 * What jq writes outside quotes (the kind of failure) is kept.
 */
export function withoutQuotedText(message: string): string {
  let out = '';
  for (let i = 0; i < message.length; i++) {
    const c = message.charAt(i);
    if (c !== '"' && c !== "'") {
      out += c;
      continue;
    }
    let end = i + 1;
    while (end < message.length && message.charAt(end) !== c) end += message.charAt(end) === '\\' ? 2 : 1;
    if (end >= message.length) {
      out += `${c}…`;
      break;
    }
    out += `${c}…${c}`;
    i = end;
  }
  return out;
}

/**
 * ExpressionEvaluator on jq 1.8 (jq-wasm) in a pool of worker threads, each stoppable: every
 * batch runs within min(its caller's limit, EXPRESSION_TIMEOUT) and a memory bound, so a runaway
 * expression costs its own task an EXPRESSION_TIMEOUT or EXPRESSION_LIMIT failure and nothing else.
 * The serialised scope and variables are cached by object identity: a task evaluates against the
 * same (never modified) scope and variables many times.
 */
export class PooledJqExpressionEvaluator implements ExpressionEvaluator {
  private readonly pool: JqWorkerPool;
  private readonly json = new WeakMap<object, string>();
  private readonly flags = new WeakMap<object, string[]>();

  constructor(options: PooledJqOptions = DEFAULT_POOLED_JQ_OPTIONS) {
    this.pool = new JqWorkerPool(options);
  }

  /** Worker threads running a batch now. */
  get busyWorkers(): number {
    return this.pool.busy;
  }

  /** Worker threads started so far (replacements of stopped ones included). */
  get workersStarted(): number {
    return this.pool.workersStarted;
  }

  async evaluate(expressions: readonly string[], input: ExpressionInput, limits: ExpressionLimits): Promise<ExpressionOutcome[]> {
    if (expressions.length === 0) return [];
    const [first, ...rest] = input.layers;
    const base = first ? this.serialised(first) : '{}';
    // Only the first layer (the task's scope) is reused across batches; the others are fresh objects.
    const extra = rest.length === 0 ? null : JSON.stringify(rest.length === 1 ? rest[0] : Object.assign({}, ...rest));
    const results = await this.pool.run({ base, extra, flags: this.variableFlags(input.variables), expressions: [...expressions] }, limits.timeoutMs, limits.signal, limits.share);
    return results.map((result, i): ExpressionOutcome => {
      if (result.ok) return { ok: true, value: result.value };
      const expression = expressions[i] as string;
      // A compile error quotes the expression; a run-time error may quote the data it failed on.
      const message = result.compile ? result.message : withoutQuotedText(withoutValueExcerpts(result.message));
      return { ok: false, error: errors.expression(`expression '${expression}' failed: ${message}`, { expression }) };
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** Resolves once no evaluation is queued or running (`true` if it had to wait): for tests on a fake clock. */
  whenIdle(): Promise<boolean> {
    return this.pool.whenIdle();
  }

  private serialised(value: object): string {
    let text = this.json.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      this.json.set(value, text);
    }
    return text;
  }

  private variableFlags(variables: Record<string, unknown>): string[] {
    let flags = this.flags.get(variables);
    if (!flags) {
      flags = [];
      for (const [name, value] of Object.entries(variables)) flags.push('--argjson', name, JSON.stringify(value ?? null));
      this.flags.set(variables, flags);
    }
    return flags;
  }
}
