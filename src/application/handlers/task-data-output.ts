import { JsonObject } from '../../domain/json';
import { TaskContext } from '../ports/task-handler.port';

/** Keys the worker adds to every task input; copying them into output pollutes variables (Go's executor did). */
const BOOKKEEPING = new Set(['task_name', 'workflow_id', 'timestamp']);

/** Parameters, then input keys on top (input wins, as in Go), with expressions resolved. */
export async function taskDataOutput(context: TaskContext): Promise<JsonObject> {
  const { parameters } = context.request.config;
  const output: JsonObject = { ...((await context.resolve(parameters)) as JsonObject) };
  for (const [key, value] of Object.entries(context.request.input)) {
    if (!BOOKKEEPING.has(key)) output[key] = value;
  }
  return output;
}
