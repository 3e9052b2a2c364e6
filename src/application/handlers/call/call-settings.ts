import { SecurityRequirementsMode } from './document-security';
import { ValidateSides } from './openapi-checks';
import { OperatorCredential } from './operator-credentials';

/** The call handler's settings: what the operator configures for every `call` task. */
export interface CallTaskSettings {
  /** Send an `Idempotency-Key` header on non-idempotent requests (CALL_IDEMPOTENCY_KEYS). */
  idempotencyKeys: boolean;
  /** Deepest nesting accepted in a JSON response body (EXECUTOR_MAX_JSON_DEPTH). */
  maxJsonDepth?: number;
  /** Which sides of OpenAPI calls are checked against the document when a task says nothing (CALL_VALIDATE). */
  validate?: ValidateSides;
  /** Largest request body built from files and bytes (multipart, binary), in bytes (CALL_MAX_REQUEST_BYTES). */
  maxRequestBytes?: number;
  /** The operator's credentials for OpenAPI security schemes (CALL_CREDENTIALS_FILE). */
  credentials?: readonly OperatorCredential[];
  /** When operations' security requirements apply to calls without authentication (CALL_SECURITY_REQUIREMENTS; default `auto`). */
  securityRequirements?: SecurityRequirementsMode;
}

/** Default of CALL_MAX_REQUEST_BYTES. */
export const DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
