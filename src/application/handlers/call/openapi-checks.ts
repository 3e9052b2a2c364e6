import { ValidationIssue } from '../../ports/openapi-document-source.port';
import { WorkflowError } from '../../../domain/workflow-error';

/** Which sides of an OpenAPI call are checked against the document's schemas (`validate`, CALL_VALIDATE). */
export type ValidateSides = 'none' | 'request' | 'response' | 'both';

export const VALIDATE_SIDES: readonly ValidateSides[] = ['none', 'request', 'response', 'both'];

/** Issues quoted in the detail; all of them (up to the document's cap) are in `data.issues`. */
const ISSUES_IN_DETAIL = 5;

export function checksRequest(sides: ValidateSides): boolean {
  return sides === 'request' || sides === 'both';
}

export function checksResponse(sides: ValidateSides): boolean {
  return sides === 'response' || sides === 'both';
}

/** `/body/name: must be string (type)`: the place, the rule in words, the rule; never the value. */
export function issueLine(issue: ValidationIssue): string {
  return `${issue.pointer || '/'}: ${issue.message} (${issue.rule})`;
}

/**
 * The failure for a request or response that breaks the document: `validation` kind, never
 * retried (the same data breaks the same schema). A request is refused before anything is sent
 * (400); a response outside the contract is the called service's fault (502), its output kept.
 */
export function validationFailed(side: 'request' | 'response', issues: readonly ValidationIssue[], operationId: string): WorkflowError {
  const shown = issues.slice(0, ISSUES_IN_DETAIL).map(issueLine).join('; ');
  const more = issues.length > ISSUES_IN_DETAIL ? `; and ${issues.length - ISSUES_IN_DETAIL} more` : '';
  return new WorkflowError({
    kind: 'validation',
    code: side === 'request' ? 'REQUEST_VALIDATION_FAILED' : 'RESPONSE_VALIDATION_FAILED',
    title: side === 'request' ? 'Request Validation Failed' : 'Response Validation Failed',
    detail: `${side} validation failed: ${shown}${more}`,
    status: side === 'request' ? 400 : 502,
    retryable: false,
    data: { task_type: 'call', operation_id: operationId, issues: issues.map((i) => ({ pointer: i.pointer, rule: i.rule, message: i.message })) },
  });
}

/** The description the document gives for a status: the exact code, its range (`4XX`), else `default`. */
export function responseDescriptionFor(descriptions: Readonly<Record<string, string>> | undefined, status: number): string | undefined {
  if (!descriptions) return undefined;
  const range = `${Math.floor(status / 100)}XX`;
  const key = Object.keys(descriptions).find((k) => k === String(status)) ?? Object.keys(descriptions).find((k) => k.toUpperCase() === range) ?? 'default';
  return descriptions[key];
}
