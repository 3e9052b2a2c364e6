import { WorkflowError } from './workflow-error';

/** Any UTF-16 code unit outside ASCII (one that does not encode as a single UTF-8 byte). */
const NON_ASCII = /[\u0080-\uffff]/;

/** The UTF-8 length of a string, in bytes (a lone surrogate counts as the 3 bytes of U+FFFD). */
export function utf8Length(text: string): number {
  // A regular-expression scan first: plain ASCII (the usual case) is its own length.
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Why a message larger than the limit is refused (its data is never parsed). */
export function messageTooLargeError(sizeBytes: number, limitBytes: number): WorkflowError {
  return new WorkflowError({
    kind: 'validation',
    code: 'ENTRY_TOO_LARGE',
    title: 'Message Too Large',
    detail: `request message is ${sizeBytes} bytes, more than the limit of ${limitBytes} bytes`,
    data: { size_bytes: sizeBytes, limit_bytes: limitBytes },
  });
}
