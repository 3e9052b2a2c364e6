import { JsonObject } from './json';

/**
 * Task-input keys that carry task configuration rather than data: a try task's whole
 * definition (inner calls with their credentials) travels in them.
 */
const CONFIGURATION_KEYS = ['try_catch_config', 'try_config', 'task_definition'] as const;

/**
 * The task input as it may be published in `data.input` when a handler reported no resolved
 * input (deadline, cancellation, invalid configuration): without the configuration keys, whose
 * credentials name-based redaction cannot all recognise (an API-key `value`, a custom header).
 */
export function publishableInput(input: JsonObject): JsonObject {
  if (!CONFIGURATION_KEYS.some((key) => key in input)) return input;
  const out: JsonObject = { ...input };
  for (const key of CONFIGURATION_KEYS) delete out[key];
  return out;
}
