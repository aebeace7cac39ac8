// Job arguments through a JSON queue: every typed array is replaced by a reference to its bytes
// by content hash ({$blob, type, length}); the bytes are stored once per run (in Redis), so an
// ImageSet shared by a hundred candidates travels once, and each worker process fetches it once.
// References read back from a queue are checked (payload.ts) before any byte is fetched or any
// array allocated: a known type, a bounded length, and bytes of exactly that length and hash.
import { sha256 } from '../core/hash';
import { DataError } from '../errors';
import { ARRAY_TYPES, BlobRef, blobRefOf, isJobArray, JobArray, JobArrayType } from './payload';

export type { BlobRef } from './payload';

function bytesOf(a: JobArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The byte length of the array a reference names. */
export function blobByteLength(ref: BlobRef): number {
  return ref.length * (ARRAY_TYPES.get(ref.type)?.BYTES_PER_ELEMENT ?? 1);
}

/** Replaces typed arrays by references; returns the JSON-able value and the bytes by hash. */
export function encodeBlobs(value: unknown): { value: unknown; blobs: Map<string, Uint8Array> } {
  const blobs = new Map<string, Uint8Array>();
  const walk = (v: unknown): unknown => {
    if (isJobArray(v)) {
      const bytes = bytesOf(v);
      const hash = sha256(bytes);
      if (!blobs.has(hash)) blobs.set(hash, bytes);
      return { $blob: hash, type: v.constructor.name as JobArrayType, length: v.length } satisfies BlobRef;
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

/** The blob references in queued arguments (checked by parseJobPayload first), one per hash. */
export function blobRefs(value: unknown, fn: string): BlobRef[] {
  const out = new Map<string, BlobRef>();
  const walk = (v: unknown): void => {
    const ref = blobRefOf(v, fn);
    if (ref) {
      const seen = out.get(ref.$blob);
      if (seen && blobByteLength(seen) !== blobByteLength(ref))
        throw new DataError(
          `${fn}: one byte length per blob, got ${blobByteLength(seen)} and ${blobByteLength(ref)} for blob ${ref.$blob.slice(0, 12)}. Submit the job again.`,
        );
      out.set(ref.$blob, ref);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return [...out.values()];
}

/** The hashes of the blobs referenced by encoded arguments. */
export function blobHashes(value: unknown): string[] {
  return blobRefs(value, 'exec').map((r) => r.$blob);
}

/** Throws DataError unless `bytes` are the bytes `ref` names (length and sha256). */
export function checkBlobBytes(ref: BlobRef, bytes: Uint8Array, fn: string): void {
  const expected = blobByteLength(ref);
  if (bytes.byteLength !== expected)
    throw new DataError(
      `${fn}: blob ${ref.$blob.slice(0, 12)} of ${expected} bytes (${ref.length} x ${ref.type}), got ${bytes.byteLength} bytes in the queue. Submit the job again.`,
    );
  if (sha256(bytes) !== ref.$blob)
    throw new DataError(
      `${fn}: the bytes of blob ${ref.$blob.slice(0, 12)} with that sha256, got bytes with another. Submit the job again.`,
    );
}

/** Puts typed arrays back, reading their bytes from `bytes` (by hash). */
export function decodeBlobs(value: unknown, bytes: ReadonlyMap<string, Uint8Array>, fn = 'exec'): unknown {
  const walk = (v: unknown): unknown => {
    const ref = blobRefOf(v, fn);
    if (ref) {
      const b = bytes.get(ref.$blob);
      if (!b)
        throw new DataError(
          `${fn}: the bytes of blob ${ref.$blob.slice(0, 12)} in the queue, got none (expired or never stored). Submit the job again.`,
        );
      if (b.byteLength !== blobByteLength(ref)) checkBlobBytes(ref, b, fn);
      const Ctor = ARRAY_TYPES.get(ref.type) ?? Uint8Array; // the type was checked by blobRefOf
      // Copy into a fresh, aligned buffer: a Redis buffer may start at any byte offset.
      const copy = new Uint8Array(b.byteLength);
      copy.set(b);
      return new Ctor(copy.buffer, 0, ref.length);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}
