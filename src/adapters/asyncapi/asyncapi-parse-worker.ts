/**
 * The worker thread that parses AsyncAPI documents (see AsyncApiParseThread): @asyncapi/parser
 * validates a whole document with its rule set, which takes hundreds of ms for a small one and is
 * unbounded for a hostile one, so it never runs on the event loop. Replies with the plain model.
 */
import { Parser } from '@asyncapi/parser';
import { load as parseYaml } from 'js-yaml';
import { toAsyncApiModel } from './asyncapi-model';
import { serveJobs } from '../worker-thread/isolated-worker';
import { ASYNCAPI_PARSE_ROLE, ParseReply, ParseRequest } from './asyncapi-parse-protocol';

function firstProblem(diagnostics: readonly { severity: unknown; message: string; path: readonly (string | number)[] }[]): string {
  const first = diagnostics.find((d) => Number(d.severity) === 0);
  const where = first && first.path.length > 0 ? ` at /${first.path.join('/')}` : '';
  return `${first?.message ?? 'invalid document'}${where}`;
}

/**
 * External `$ref`s would make the parser read files or URLs by itself, past the address policy
 * (ADR 0005: documents are untrusted), so a document may only refer within itself: the first
 * external reference, or undefined.
 */
function externalReference(value: unknown, seen = new Set<object>()): string | undefined {
  if (value === null || typeof value !== 'object' || seen.has(value)) return undefined;
  seen.add(value);
  for (const [key, item] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string' && !item.startsWith('#')) return item;
    const found = externalReference(item, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Why the text cannot be handed to the parser (not YAML, or referring outside itself), or undefined. */
function refusal(text: string): string | undefined {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return (error as Error).message.split('\n')[0] ?? 'unreadable';
  }
  const external = externalReference(raw);
  return external === undefined ? undefined : `external reference ${external} (only references within the document are followed)`;
}

/** Made in the worker only, on its first document. */
let parser: Parser | undefined;
serveJobs<ParseRequest, ParseReply>(ASYNCAPI_PARSE_ROLE, async (request) => {
  const refused = refusal(request.text);
  if (refused !== undefined) return { id: request.id, ok: false, problem: refused };
  parser ??= new Parser();
  let parsed;
  try {
    parsed = await parser.parse(request.text, { source: request.url });
  } catch (error) {
    return { id: request.id, ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
  const { document, diagnostics } = parsed;
  return document ? { id: request.id, ok: true, model: toAsyncApiModel(document) } : { id: request.id, ok: false, problem: firstProblem(diagnostics) };
});
