import { expressionBodies, substituteExpressions } from '../domain/expressions';
import { evaluatePath, pathExpressionOf } from '../domain/jq-path';
import { redactText, sensitiveTexts } from '../domain/redaction';
import { WorkflowError } from '../domain/workflow-error';
import { ExpressionEvaluator, ExpressionInput, ExpressionLimits } from './ports/expression-evaluator.port';

/**
 * A copy of `template` with every `${ … }` string replaced by its result (the template itself when
 * it holds none). Plain path lookups (`.input.id`, `$workflow.id`) are answered in-process by an
 * exact evaluator; every other expression goes to `evaluator`, all of them in one batch. Rejects
 * with the error of the first expression (in template order) that failed.
 */
export async function resolveTemplate(evaluator: ExpressionEvaluator, template: unknown, input: ExpressionInput, limits: ExpressionLimits): Promise<unknown> {
  const bodies = expressionBodies(template);
  if (bodies.length === 0) return template;
  const results: unknown[] = new Array<unknown>(bodies.length);
  const pooled: number[] = [];
  bodies.forEach((body, i) => {
    const path = pathExpressionOf(body);
    const answer = path && evaluatePath(path, input.layers, input.variables);
    if (answer) results[i] = answer.value;
    else pooled.push(i);
  });
  if (pooled.length > 0) {
    const outcomes = await evaluator.evaluate(
      pooled.map((i) => bodies[i] as string),
      input,
      limits,
    );
    for (let k = 0; k < outcomes.length; k++) {
      const outcome = outcomes[k];
      if (outcome && !outcome.ok) throw withoutSecrets(outcome.error, input);
      if (outcome) results[pooled[k] as number] = outcome.value;
    }
  }
  return substituteExpressions(template, results);
}

/**
 * An expression can put any value it sees into its error (`error(.input.api_key)`, a function that
 * quotes its argument): values under sensitive names in the data are blanked out of the detail.
 */
function withoutSecrets(error: WorkflowError, input: ExpressionInput): WorkflowError {
  const secrets = sensitiveTexts([...input.layers, input.variables]);
  if (secrets.length === 0) return error;
  const detail = redactText(error.detail, secrets);
  return detail === error.detail ? error : error.with({ detail, cause: undefined });
}
