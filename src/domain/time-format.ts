/** RFC 3339 with second precision and `Z`, as Go writes it: `2025-08-25T19:35:40Z`. */
export function rfc3339Seconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
