/**
 * The NATS protocol binding of CloudEvents, binary content mode, for flunq events: every attribute
 * and extension is a header `ce-<name>` (`ce-specversion`, `ce-id`, `ce-source`, `ce-type`,
 * `ce-time`, the flunq extensions `ce-workflowid`, `ce-executionid`, `ce-taskid`, `ce-tenantid`,
 * any other extension `ce-<name>`), `content-type: application/json` when the event has data, and
 * the body is the data: exactly the JSON text the stream-entry binding keeps in its `data` field.
 *
 * Both directions go through the flat fields of the stream-entry binding, so that the event an
 * entry and a message carry is decoded, dead-lettered and replayed by the same code.
 */
import { headers as natsHeaders, MsgHdrs } from 'nats';
import { FlunqEvent } from '../../domain/flunq-event';
import { eventFromFields, fieldsFromEvent, StreamFields } from '../flunq-wire/stream-fields';

export const CE_PREFIX = 'ce-';
export const CONTENT_TYPE = 'content-type';
export const JSON_CONTENT = 'application/json';
/** JetStream's de-duplication header: a second publication with the same value within the stream's duplicate window is dropped. */
export const MSG_ID = 'Nats-Msg-Id';

const HEADER_NAME = /^[!-9;-~]+$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A message's content as the binding reads and writes it. */
export interface CloudEventMessage {
  /** Header name → value, in order (`ce-*` and `content-type`). */
  headers: [string, string][];
  /** The data as JSON text; undefined when the event has none. */
  body: string | undefined;
}

/** A header value may not hold a line break: the NATS protocol would end the header there. */
function headerValue(value: string): string {
  return /[\r\n]/.test(value) ? value.replace(/\r\n|\r|\n/g, ' ') : value;
}

/** The message of flat fields (see `fieldsFromEvent`): `data` is the body, every other field a `ce-` header. */
export function messageFromFields(fields: StreamFields): CloudEventMessage {
  const headers: [string, string][] = [];
  for (const name in fields) {
    // A name a header cannot carry (a colon, a space: not a CloudEvents attribute name) is left out.
    if (name !== 'data' && HEADER_NAME.test(name)) headers.push([`${CE_PREFIX}${name}`, headerValue(fields[name] as string)]);
  }
  const body = fields['data'];
  if (body !== undefined) headers.push([CONTENT_TYPE, JSON_CONTENT]);
  return { headers, body };
}

export function messageFromEvent(event: FlunqEvent): CloudEventMessage {
  return messageFromFields(fieldsFromEvent(event));
}

/**
 * The flat fields a message carries: each `ce-<name>` header (name compared case-insensitively, as
 * header names are) as field `<name>`, the body as `data` (absent when the body is empty and no
 * content type is given). Headers that are not CloudEvents attributes are ignored.
 */
export function fieldsFromMessage(headers: Iterable<[string, string]>, body: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let typed = false;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower.startsWith(CE_PREFIX) && lower.length > CE_PREFIX.length) fields[lower.slice(CE_PREFIX.length)] = value;
    else if (lower === CONTENT_TYPE) typed = true;
  }
  if (body !== '' || typed) fields['data'] = body;
  return fields;
}

export function eventFromMessage(headers: Iterable<[string, string]>, body: string): FlunqEvent {
  return eventFromFields(fieldsFromMessage(headers, body));
}

/** The headers of a received message as name/value pairs (the first value of each name). */
export function headerPairs(h: MsgHdrs | undefined): [string, string][] {
  if (!h) return [];
  const out: [string, string][] = [];
  for (const name of h.keys()) out.push([name, h.get(name)]);
  return out;
}

/** nats headers for a message, with the de-duplication id when given. */
export function natsHeadersOf(message: CloudEventMessage, msgId?: string): MsgHdrs {
  const h = natsHeaders();
  for (const [name, value] of message.headers) h.set(name, value);
  if (msgId) h.set(MSG_ID, headerValue(msgId));
  return h;
}

export function bodyBytes(message: CloudEventMessage): Uint8Array {
  return message.body === undefined ? new Uint8Array(0) : encoder.encode(message.body);
}

export function bodyText(data: Uint8Array): string {
  return data.length === 0 ? '' : decoder.decode(data);
}

/** A message's size as carried: header names and values and the body, in bytes. */
export function messageSize(headers: readonly [string, string][], bodyLength: number): number {
  let bytes = bodyLength;
  for (const [name, value] of headers) bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}
