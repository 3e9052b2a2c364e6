import { WorkflowError } from '../../../domain/workflow-error';
import { DocumentIdentity } from '../../ports/openapi-document-source.port';

/** A pin that names the content rather than the version: 64 hex digits, optionally `sha256:` first. */
const SHA256_PIN = /^(?:sha256:)?([0-9a-fA-F]{64})$/;

/**
 * Whether the document is the one a task pins: its `info.version` equals the pin, or, when the pin
 * is a SHA-256 (`sha256:<hex>` or 64 hex digits), the hash of the document's bytes does.
 */
export function pinMatches(pin: string, identity: DocumentIdentity | undefined): boolean {
  const hash = SHA256_PIN.exec(pin)?.[1];
  if (hash !== undefined && identity?.sha256 !== undefined && identity.sha256 === hash.toLowerCase()) return true;
  return identity?.version !== undefined && identity.version === pin;
}

/** The failure of a call whose document is not at the pinned version: nothing was sent. */
export function documentMoved(pin: string, identity: DocumentIdentity | undefined, url: string): WorkflowError {
  const version = identity?.version === undefined ? 'no info.version' : `version ${JSON.stringify(identity.version)}`;
  const hash = identity?.sha256 === undefined ? '' : ` (sha256 ${identity.sha256.slice(0, 12)}…)`;
  return new WorkflowError({
    kind: 'configuration',
    code: 'DOCUMENT_VERSION_MISMATCH',
    title: 'OpenAPI Document Version Mismatch',
    detail: `OpenAPI operation failed: the task expects document version ${JSON.stringify(pin)}, but ${url} has ${version}${hash}; nothing was sent`,
    data: { document: url, expected_version: pin, ...(identity?.version === undefined ? {} : { actual_version: identity.version }), ...(identity?.sha256 === undefined ? {} : { actual_sha256: identity.sha256 }) },
  });
}
