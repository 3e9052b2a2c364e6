/**
 * The program each expression worker thread runs. It is started from this function's compiled
 * source (`new Worker(source, { eval: true })`), so it must be self-contained: no imports and no
 * closures over module state, only `require` of node built-ins and the jq-wasm path it is given.
 */

/** What the pool sends: one batch of expressions over one input. */
export interface WorkerRequest {
  id: number;
  /** The data, as a JSON object text (the layers already merged or to be merged with `extra`). */
  base: string;
  /** A second JSON object text whose keys override `base` (as an object spread), or null. */
  extra: string | null;
  /** jq flags binding the variables (`--argjson name value` pairs). */
  flags: string[];
  expressions: string[];
}

/** One expression's result as the worker reports it (`compile`: the expression itself is wrong; no data is involved). */
export type WorkerResult = { ok: true; value: unknown } | { ok: false; message: string; compile?: boolean };

export type WorkerReply =
  | { id: number; results: WorkerResult[] }
  /** The batch as a whole exceeded a limit (result size or nesting, or jq ran out of memory). */
  | { id: number; limit: string }
  /** jq itself broke (the worker must be replaced). */
  | { id: number; fatal: string };

/** A compiled WebAssembly module (the node typings used here do not declare the WebAssembly namespace). */
export type WasmModule = object;

export interface WorkerData {
  jqPath: string;
  wasmModule: WasmModule;
  /** Largest WebAssembly heap jq may grow to, in bytes. */
  maxWasmBytes: number;
  /** Largest stdout of one batch, in bytes (JSON text). */
  maxResultBytes: number;
  /** Deepest nesting of a result. */
  maxDepth: number;
}

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, no-console, @typescript-eslint/unbound-method -- runs in a worker realm: see above */
export function jqWorkerMain(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const data = workerData as WorkerData;
  const port = parentPort as import('node:worker_threads').MessagePort;

  // jq-wasm prints an abort's reason with console.error; the pool reports it instead.
  const silent = (): void => undefined;
  console.error = silent;
  console.warn = silent;
  console.log = silent;

  // Emscripten grows jq's heap through Memory#grow (up to 256 MB on its own); a refused growth makes
  // jq's allocation fail, which aborts the evaluation: the memory bound of one worker.
  type Memory = { buffer: ArrayBuffer; grow(pages: number): number };
  const memory = (globalThis as unknown as { WebAssembly: { Memory: { prototype: Memory } } }).WebAssembly.Memory.prototype;
  const grow = memory.grow;
  memory.grow = function (this: Memory, pages: number): number {
    if (this.buffer.byteLength + pages * 65536 > data.maxWasmBytes) throw new RangeError('expression memory limit');
    return grow.call(this, pages);
  };

  /** Nesting depth of a JSON text, counting up to `limit + 1` (brackets inside strings do not count). */
  const depthOf = (text: string, limit: number): number => {
    let depth = 0;
    let deepest = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (c === 0x5c) i++;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x5b || c === 0x7b) {
        depth++;
        if (depth > deepest) {
          deepest = depth;
          if (deepest > limit) return deepest;
        }
      } else if (c === 0x5d || c === 0x7d) depth--;
    }
    return deepest;
  };

  const merge = (base: string, extra: string | null): string => {
    if (extra === null || extra === '{}') return base;
    if (base === '{}') return extra;
    return `${base.slice(0, -1)},${extra.slice(1)}`;
  };

  /** A caught jq error value as text: messages as they are, other values as jq prints them. */
  const errorText = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const json = JSON.stringify(value) ?? 'null';
    return `(not a string): ${json.length > 200 ? `${json.slice(0, 200)}...` : json}`;
  };

  /** jq's own message without the `jq: error …:` prefix and the compile-error trailer. */
  const stderrText = (stderr: string): string =>
    stderr
      .replace(/^jq: error(?: \(at [^)]*\))?:? ?/, '')
      .replace(/\njq: \d+ compile errors?$/, '')
      .trim();

  type Jq = { raw(input: string, query: string, flags?: string[]): { stdout: string; stderr: string; exitCode: number } };

  const { loadJq } = require(data.jqPath) as { loadJq(options: { wasmModule: WasmModule }): Promise<Jq> };

  void loadJq({ wasmModule: data.wasmModule }).then((jq) => {
    /** Each expression on its own: exact errors when the batch program could not say which one failed. */
    const one = (input: string, expression: string, flags: string[]): WorkerResult | { limit: string } => {
      const run = jq.raw(input, `[first(${expression})]`, flags);
      if (run.exitCode === 3) {
        // A compile error: report it for the expression as written (compiling fails before anything runs).
        const alone = jq.raw('null', expression, flags);
        return { ok: false, message: stderrText(alone.stderr || run.stderr), compile: true };
      }
      if (run.exitCode !== 0) return { ok: false, message: stderrText(run.stderr) || `jq exited with status ${run.exitCode}` };
      if (run.stdout.length > data.maxResultBytes) return { limit: `the result is ${run.stdout.length} bytes, more than the limit of ${data.maxResultBytes}` };
      if (depthOf(run.stdout, data.maxDepth + 1) > data.maxDepth + 1) return { limit: `the result nests deeper than ${data.maxDepth} levels` };
      const parsed: unknown = JSON.parse(run.stdout || '[]');
      const values = Array.isArray(parsed) ? (parsed as unknown[]) : [];
      return { ok: true, value: values.length > 0 ? values[0] : null };
    };

    port.on('message', (request: WorkerRequest) => {
      try {
        const input = merge(request.base, request.extra);
        const flags = ['-c', ...request.flags];
        // All expressions in one jq run (jq's start-up costs about a millisecond, the lookups little):
        // each one's first output, or its error, in an envelope.
        const program = `[${request.expressions.map((e) => `(try ([first(${e})] | {r: .}) catch {e: .})`).join(', ')}]`;
        const run = jq.raw(input, program, flags);
        let envelope: unknown;
        if (run.exitCode === 0 && run.stdout.length > 0) {
          if (run.stdout.length > data.maxResultBytes) {
            port.postMessage({ id: request.id, limit: `the results are ${run.stdout.length} bytes, more than the limit of ${data.maxResultBytes}` } satisfies WorkerReply);
            return;
          }
          if (depthOf(run.stdout, data.maxDepth + 3) > data.maxDepth + 3) {
            port.postMessage({ id: request.id, limit: `a result nests deeper than ${data.maxDepth} levels` } satisfies WorkerReply);
            return;
          }
          envelope = JSON.parse(run.stdout);
        }
        const results: WorkerResult[] = [];
        const wellFormed =
          Array.isArray(envelope) &&
          envelope.length === request.expressions.length &&
          envelope.every((item) => item !== null && typeof item === 'object' && (Array.isArray(item.r) || 'e' in item));
        if (wellFormed) {
          for (const item of envelope as { r?: unknown[]; e?: unknown }[]) {
            if (item.r) results.push({ ok: true, value: item.r.length > 0 ? item.r[0] : null });
            else results.push({ ok: false, message: errorText(item.e) });
          }
        } else {
          // A compile error somewhere, halt_error, or an expression that broke out of its wrapper.
          for (const expression of request.expressions) {
            const result = one(input, expression, flags);
            if ('limit' in result) {
              port.postMessage({ id: request.id, limit: result.limit } satisfies WorkerReply);
              return;
            }
            results.push(result);
          }
        }
        port.postMessage({ id: request.id, results } satisfies WorkerReply);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // An abort inside jq (its heap could not grow) leaves the instance unusable.
        if (/abort/i.test(message)) port.postMessage({ id: request.id, limit: 'jq ran out of memory' } satisfies WorkerReply);
        else port.postMessage({ id: request.id, fatal: message } satisfies WorkerReply);
      }
    });
    port.postMessage({ ready: true });
  });
}
/* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, no-console, @typescript-eslint/unbound-method */

/** The program's source, to start a worker with `eval: true`. */
export const JQ_WORKER_SOURCE = `(${jqWorkerMain.toString()})();`;
