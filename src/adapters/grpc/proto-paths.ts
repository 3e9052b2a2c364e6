import path from 'node:path';

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * Where `target`, imported by the file `origin`, is (protobufjs' `Root.resolvePath`): next to the
 * importing document, by URL or by path; the document itself (`origin` empty) where it is named.
 */
export function resolveImport(origin: string, target: string): string {
  if (origin === '' || isUrl(target) || path.isAbsolute(target)) return target;
  return isUrl(origin) ? new URL(target, origin).toString() : path.join(path.dirname(origin), target);
}
