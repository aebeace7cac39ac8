// Width and height of a PNG, JPEG or WebP image read from its header bytes, in JavaScript (no
// decoder, no thread hop): what the pixel budget is checked against before anything is decoded.
// PNG: the IHDR chunk (bytes 16-23). JPEG: the first start-of-frame marker (SOF0-SOF15 except
// DHT, JPG and DAC), found by walking the marker segments. WebP: the VP8 (lossy), VP8L
// (lossless) or VP8X (extended) chunk. Undefined when the header is malformed or truncated (the
// decoder then refuses the file, with sharp's own header check behind it).

/** Width and height declared in the header, or undefined. */
export function imageHeaderSize(
  bytes: Uint8Array,
  format: 'png' | 'jpeg' | 'webp',
): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const has = (n: number) => bytes.length >= n;
  if (format === 'png') {
    if (!has(24) || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return undefined;
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (format === 'jpeg') {
    let i = 2;
    while (i + 4 <= bytes.length) {
      if (bytes[i] !== 0xff) return undefined;
      const marker = bytes[i + 1] as number;
      if (marker === 0xff) {
        i++; // fill byte
        continue;
      }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        i += 2; // no length
        continue;
      }
      const length = view.getUint16(i + 2);
      if (length < 2) return undefined;
      const sof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (sof) {
        if (!has(i + 9)) return undefined;
        return { height: view.getUint16(i + 5), width: view.getUint16(i + 7) };
      }
      if (marker === 0xd9 || marker === 0xda) return undefined; // end, or scan data before any frame
      i += 2 + length;
    }
    return undefined;
  }
  // WebP: RIFF....WEBP then the first chunk.
  if (!has(30)) return undefined;
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  if (chunk === 'VP8 ') {
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return undefined;
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    if (bytes[20] !== 0x2f) return undefined;
    const b = view.getUint32(21, true);
    return { width: (b & 0x3fff) + 1, height: ((b >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    const w = 1 + ((bytes[24] as number) | ((bytes[25] as number) << 8) | ((bytes[26] as number) << 16));
    const h = 1 + ((bytes[27] as number) | ((bytes[28] as number) << 8) | ((bytes[29] as number) << 16));
    return { width: w, height: h };
  }
  return undefined;
}
