let cachedSecond = Number.NaN;
let cachedText = '';

/** RFC 3339 with second precision and `Z`, as Go writes it: `2025-08-25T19:35:40Z`. */
export function rfc3339Seconds(epochMs: number): string {
  // Called four times per task, almost always within the same second: reuse the last text.
  const second = Math.floor(epochMs / 1000);
  if (second !== cachedSecond) {
    cachedText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    cachedSecond = second;
  }
  return cachedText;
}
