import { errors } from '../../domain/workflow-error';

/** Whether a URL's scheme is one the HttpClient speaks. */
export function isHttpProtocol(url: URL): boolean {
  return url.protocol === 'http:' || url.protocol === 'https:';
}

/** The request URL, which must be absolute http(s); anything else is a `configuration` error. */
export function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw errors.configuration(`invalid URL: ${text}`);
  }
  if (!isHttpProtocol(url)) throw errors.configuration(`unsupported URL scheme: ${url.protocol}`);
  return url;
}

/**
 * Response headers as the port hands them out: names in lower case, every value kept (repeated
 * headers such as Set-Cookie give several), a value that is not text written as JSON.
 */
export function headerLists(raw: Readonly<Record<string, unknown>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || value === null) continue;
    const key = name.toLowerCase();
    const values = (Array.isArray(value) ? (value as unknown[]) : [value]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    out[key] = [...(out[key] ?? []), ...values];
  }
  return out;
}
