import { Jq, JqError, loadJq } from 'jq-wasm';
import { ExpressionEvaluator } from '../../application/ports/expression-evaluator.port';
import { errors } from '../../domain/workflow-error';

/**
 * jq 1.8 compiled to WebAssembly (jq-wasm): real jq semantics, nothing downloaded at install
 * or run time. Load once with `create()`; evaluation is synchronous afterwards.
 */
export class JqWasmExpressionEvaluator implements ExpressionEvaluator {
  private constructor(private readonly jq: Jq) {}

  static async create(): Promise<JqWasmExpressionEvaluator> {
    return new JqWasmExpressionEvaluator(await loadJq());
  }

  evaluate(expression: string, data: unknown, variables: Record<string, unknown> = {}): unknown {
    const flags = ['-c'];
    for (const [name, value] of Object.entries(variables)) flags.push('--argjson', name, JSON.stringify(value ?? null));
    let results: unknown[];
    try {
      results = this.jq.json(data === undefined ? null : (data as object), expression, flags);
    } catch (error) {
      const message = error instanceof JqError ? (error.stderr || error.message).trim() : error instanceof Error ? error.message : String(error);
      throw errors.expression(`expression '${expression}' failed: ${message.replace(/^jq: (error: )?/, '')}`, { expression });
    }
    return results.length === 0 ? null : results[0];
  }
}
