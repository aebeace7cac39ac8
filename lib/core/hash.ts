// Stable hashes of plain data (cache keys for trained baselines, search candidates).
import { createHash } from 'crypto';

/** JSON with object keys sorted, so equal data gives equal text whatever the key order. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** Hex sha256 of bytes or text. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Short hex hash of plain data (first 16 hex digits of the sha256 of its stable JSON). */
export function hashConfig(value: unknown): string {
  return sha256(stableStringify(value)).slice(0, 16);
}
