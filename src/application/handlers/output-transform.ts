import { expressionBody, rewriteExpressions } from '../../domain/expressions';
import { pathExpressionOf } from '../../domain/jq-path';
import { isPlainObject, JsonObject } from '../../domain/json';
import { errors, isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { TaskContext } from '../ports/task-handler.port';

/** Where the raw output sits while the expressions run over it. */
const OUTPUT_KEY = '__output';

/**
 * Which rule a single expression follows: the DSL's task `output.as` (`'dsl'`: its value becomes
 * the output, and a failure fails the task, as the Serverless Workflow DSL defines it) or flunq's
 * `output_config.as` (`'flunq'`: `{<task name>: value}`, the raw output kept when it fails), which
 * the flunq worker also uses for a task inside `try`.
 */
export type OutputAsForm = 'dsl' | 'flunq';

/**
 * `output.as`: the one transformation of a task's output, whether it comes as SDL `output: {as}`
 * (a call's own parameters, a task inside `try`) or as flunq's `input.output_config.as`.
 *
 * - The expressions see the raw output as `.` (any JSON value; null when there is none), and the
 *   task's data as `$input`, `$context`, `$workflow` and `$task`.
 * - An object of name → template replaces the output with an object of those names, each
 *   resolved on its own (a template may be one expression, or nest objects, arrays and plain
 *   values). A name whose template holds an expression that fails (EXPRESSION_FAILED), or
 *   whose result is undefined, is left out.
 * - A single `${ … }` expression: in the `dsl` form its value is the output and a failure fails the
 *   task (EXPRESSION_FAILED, "output transformation failed"); in the `flunq` form it gives
 *   `{<task name>: value}`, and the raw output is kept when it fails.
 * - Anything else (absent, a string that is not an expression, a number, an array) keeps the raw
 *   output.
 * - An evaluation that had to be stopped (EXPRESSION_TIMEOUT, EXPRESSION_LIMIT, the task's
 *   deadline, shutdown) is never swallowed: the promise rejects with its error and the task fails.
 *   So does anything that is not a WorkflowError (a bug).
 */
export async function transformOutput(context: TaskContext, as: unknown, output: unknown, form: OutputAsForm = 'flunq'): Promise<unknown> {
  const data = { [OUTPUT_KEY]: output ?? null };
  if (typeof as === 'string') {
    if (expressionBody(as) === undefined) return output;
    try {
      const value = await context.resolve(overOutput(as), data);
      return form === 'dsl' ? value : { [context.request.taskName]: value };
    } catch (error) {
      if (!isFailedExpression(error)) throw error;
      if (form === 'dsl') throw errors.expression(`output transformation failed: ${(error as WorkflowError).detail}`);
      return output;
    }
  }
  if (!isPlainObject(as)) return output;
  const templates = overOutput(as) as JsonObject;
  try {
    // One batch for every name; only when a name fails are they resolved one by one.
    return withoutUndefined((await context.resolve(templates, data)) as JsonObject);
  } catch (error) {
    if (!isFailedExpression(error)) throw error;
  }
  const transformed: JsonObject = {};
  for (const [name, template] of Object.entries(templates)) {
    try {
      const value = await context.resolve(template, data);
      if (value !== undefined) transformed[name] = value;
    } catch (error) {
      if (!isFailedExpression(error)) throw error;
    }
  }
  return transformed;
}

/** An expression that ran and failed (as opposed to one stopped at a limit, or a bug). */
function isFailedExpression(error: unknown): boolean {
  return isWorkflowError(error) && error.code === 'EXPRESSION_FAILED';
}

/**
 * The template with each expression applied to the output: `.__output | (body)`, or for a plain
 * path `.a.b` the path `.__output.a.b`, the same value that the in-process path evaluator can
 * still answer without a trip to jq.
 */
function overOutput(template: unknown): unknown {
  return rewriteExpressions(template, (body) => {
    if (pathExpressionOf(body)?.root.kind !== 'data') return `.${OUTPUT_KEY} | (${body})`;
    if (body === '.') return `.${OUTPUT_KEY}`;
    return `.${OUTPUT_KEY}${body.startsWith('.[') ? body.slice(1) : body}`;
  });
}

function withoutUndefined(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [name, v] of Object.entries(value)) if (v !== undefined) out[name] = v;
  return out;
}
