// Job arguments through a JSON queue: every typed array is replaced by a reference to its bytes
// by content hash ({$blob, type, length}); the bytes are stored once per run (in Redis), so an
// ImageSet shared by a hundred candidates travels once, and each worker process fetches it once.
import { sha256 } from '../core/hash';
import { DataError } from '../errors';
import { isJobArray, JobArray } from './job';

/** A typed array's place in encoded arguments. */
export interface BlobRef {
  readonly $blob: string;
  readonly type: 'Uint8Array' | 'Int32Array' | 'Float32Array' | 'Float64Array';
  readonly length: number;
}

const CTORS = { Uint8Array, Int32Array, Float32Array, Float64Array } as const;

function bytesOf(a: JobArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function isBlobRef(v: unknown): v is BlobRef {
  const r = v as Partial<BlobRef> | null;
  return !!r && typeof r === 'object' && typeof r.$blob === 'string' && typeof r.type === 'string' && r.type in CTORS;
}

/** Replaces typed arrays by references; returns the JSON-able value and the bytes by hash. */
export function encodeBlobs(value: unknown): { value: unknown; blobs: Map<string, Uint8Array> } {
  const blobs = new Map<string, Uint8Array>();
  const walk = (v: unknown): unknown => {
    if (isJobArray(v)) {
      const bytes = bytesOf(v);
      const hash = sha256(bytes);
      if (!blobs.has(hash)) blobs.set(hash, bytes);
      return { $blob: hash, type: v.constructor.name as BlobRef['type'], length: v.length } satisfies BlobRef;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, x]) => x !== undefined)
          .map(([k, x]) => [k, walk(x)]),
      );
    return v;
  };
  return { value: walk(value), blobs };
}

/** The hashes of the blobs referenced by encoded arguments. */
export function blobHashes(value: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (isBlobRef(v)) out.add(v.$blob);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return [...out];
}

/** Puts typed arrays back, reading their bytes from `bytes` (by hash). */
export function decodeBlobs(value: unknown, bytes: ReadonlyMap<string, Uint8Array>): unknown {
  const walk = (v: unknown): unknown => {
    if (isBlobRef(v)) {
      const b = bytes.get(v.$blob);
      if (!b)
        throw new DataError(
          `exec: the bytes of blob ${v.$blob.slice(0, 12)} in the queue, got none (expired or never stored). Submit the job again.`,
        );
      const Ctor = CTORS[v.type];
      // Copy into a fresh, aligned buffer: a Redis buffer may start at any byte offset.
      const copy = new Uint8Array(b.byteLength);
      copy.set(b);
      return new Ctor(copy.buffer, 0, v.length);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}
