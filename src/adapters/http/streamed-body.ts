import { Readable } from 'node:stream';
import { HttpRequest, HttpBodyChunks } from '../../application/ports/http-client.port';
import { WorkflowError } from '../../domain/workflow-error';
import { communicationError, responseTooLarge } from './http-errors';

/** A request body produced while it is sent (an async iterable rather than bytes or text). */
export function isStreamedBody(body: HttpRequest['body']): body is AsyncIterable<Uint8Array> {
  return body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array);
}

/** A streamed body as the HTTP libraries take it. */
export function readableBody(body: AsyncIterable<Uint8Array>): Readable {
  return Readable.from(body, { objectMode: false });
}

/** A 307/308 redirect asks for the body again, which a streamed body cannot give. */
export function streamedBodyRedirect(status: number): WorkflowError {
  return communicationError(`a ${status} redirect would send the request body again, and a streamed body is sent only once`, 'NETWORK', false);
}

export interface StreamedResponseOptions {
  /** The largest body accepted, in bytes (after decoding). */
  maxBytes: number;
  /** Aborts when the request's deadline passes or its caller gives up. */
  signal: AbortSignal;
  /** The body's length when the server declared it (and no encoding changes it). */
  length: number | undefined;
  /** The adapter's translation of what ended the exchange into a WorkflowError. */
  failure: (error: unknown) => WorkflowError;
  /** Called once when the body is done with, however it ended (frees the deadline timer). */
  done: () => void;
}

/**
 * A response body as the port hands it out with `bodyInChunks`: chunks counted against the
 * limit, the request's signal destroying the source (deadline, cancellation), every failure
 * translated by the adapter, and `done` called exactly once.
 */
export function responseStream(source: Readable, options: StreamedResponseOptions): HttpBodyChunks {
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    options.signal.removeEventListener('abort', onAbort);
    options.done();
  };
  const onAbort = (): void => {
    source.destroy(options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    finish();
  };
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  // A body destroyed before its end emits an error (undici: "Request aborted"); a reader sees
  // errors through the iteration, and one that cancelled wants none.
  source.on('error', () => undefined);

  async function* chunks(): AsyncGenerator<Uint8Array> {
    let size = 0;
    try {
      for await (const chunk of source) {
        const bytes = chunk as Uint8Array;
        size += bytes.byteLength;
        if (size > options.maxBytes) throw responseTooLarge(options.maxBytes);
        yield bytes;
      }
    } catch (error) {
      throw options.failure(error);
    } finally {
      source.destroy();
      finish();
    }
  }
  const iterator = chunks();
  return {
    length: options.length,
    [Symbol.asyncIterator]: () => iterator,
    cancel: () => {
      source.destroy();
      finish();
    },
  };
}
