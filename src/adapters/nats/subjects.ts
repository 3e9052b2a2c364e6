/**
 * The NATS subjects of flunq's workflow events: the flunq stream key
 * `tenant:{tenant}:workflow:{workflow}:events` is the subject
 * `{prefix}.tenant.{tenant}.workflow.{workflow}.events`.
 *
 * A tenant or workflow id is one subject token: every character other than `A-Z a-z 0-9 _ -` is
 * percent-encoded (UTF-8 bytes, `%XX`), so that no id can add a token (`.`), become a wildcard
 * (`*`, `>`) or break the protocol line (space, control characters). `%` itself is encoded, so
 * decoding is exact.
 */

const PLAIN = /^[A-Za-z0-9_-]$/;

/** One id as a subject token (empty ids are `default`, as the flunq worker names its streams). */
export function encodeToken(id: string): string {
  const value = id || 'default';
  let out = '';
  for (const ch of value) {
    if (PLAIN.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The id a token encodes; throws on a token that is not a valid encoding. */
export function decodeToken(token: string): string {
  if (!/^(?:[A-Za-z0-9_-]|%[0-9A-Fa-f]{2})+$/.test(token)) throw new Error(`not an encoded id: ${JSON.stringify(token)}`);
  return decodeURIComponent(token);
}

/** The subject of a workflow's events. */
export function workflowSubject(prefix: string, tenantId: string, workflowId: string): string {
  return `${prefix}.tenant.${encodeToken(tenantId)}.workflow.${encodeToken(workflowId)}.events`;
}

/** The subjects of every workflow's events: what the JetStream stream and the consumer cover. */
export function workflowSubjects(prefix: string): string {
  return `${prefix}.tenant.*.workflow.*.events`;
}

/** The tenant and workflow of a workflow subject, or undefined when it is not one (under `prefix`). */
export function parseWorkflowSubject(prefix: string, subject: string): { tenantId: string; workflowId: string } | undefined {
  if (!subject.startsWith(`${prefix}.`)) return undefined;
  const tokens = subject.slice(prefix.length + 1).split('.');
  if (tokens.length !== 5 || tokens[0] !== 'tenant' || tokens[2] !== 'workflow' || tokens[4] !== 'events') return undefined;
  try {
    return { tenantId: decodeToken(tokens[1] as string), workflowId: decodeToken(tokens[3] as string) };
  } catch {
    return undefined;
  }
}

/** Whether every subject matching `subject` (which may hold `*` and `>`) also matches `filter`. */
export function subjectCovers(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const ft = f[i];
    if (ft === '>') return i < s.length;
    const st = s[i];
    if (st === undefined) return false;
    if (ft === '*') {
      if (st === '>') return false;
      continue;
    }
    if (ft !== st) return false;
  }
  return f.length === s.length;
}
