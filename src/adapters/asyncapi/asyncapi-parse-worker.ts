/**
 * The worker thread that parses AsyncAPI documents (see AsyncApiParseThread): @asyncapi/parser
 * validates a whole document with its rule set, which takes hundreds of ms for a small one and is
 * unbounded for a hostile one, so it never runs on the event loop. Replies with the plain model.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Parser } from '@asyncapi/parser';
import { toAsyncApiModel } from './asyncapi-model';
import { ASYNCAPI_PARSE_ROLE, ParseReply, ParseRequest } from './asyncapi-parse-protocol';

function firstProblem(diagnostics: readonly { severity: unknown; message: string; path: readonly (string | number)[] }[]): string {
  const first = diagnostics.find((d) => Number(d.severity) === 0);
  const where = first && first.path.length > 0 ? ` at /${first.path.join('/')}` : '';
  return `${first?.message ?? 'invalid document'}${where}`;
}

const port = parentPort;
if (port && (workerData as { role?: string } | undefined)?.role === ASYNCAPI_PARSE_ROLE) {
  const parser = new Parser();
  port.on('message', (request: ParseRequest) => {
    const reply = (message: ParseReply): void => port.postMessage(message);
    parser.parse(request.text, { source: request.url }).then(
      ({ document, diagnostics }) => reply(document ? { id: request.id, ok: true, model: toAsyncApiModel(document) } : { id: request.id, ok: false, problem: firstProblem(diagnostics) }),
      (error: unknown) => reply({ id: request.id, ok: false, problem: error instanceof Error ? error.message : String(error) }),
    );
  });
}
