// Image uploads as `multipart/form-data` (an HTML form, curl -F, any HTTP client's file upload),
// parsed as a stream by @fastify/busboy while the body arrives, with limits on every count and
// size: files, bytes a file, parts, fields, header pairs. Every file part is an image (decoded
// later, its format sniffed from its bytes); text fields are ignored. Anything malformed or over a
// limit is a RequestError (400, or 413), and reading stops there.
import * as http from 'http';
import Busboy from '@fastify/busboy';
import { readBodyChunks } from './http-util';
import { RequestError } from './request-error';
import type { RequestScope } from './request-scope';

/** Limits of {@link readUploads}. */
export interface UploadLimits {
  /** Most image files in one request. */
  readonly maxFiles: number;
  /** Largest file, in bytes. */
  readonly maxFileBytes: number;
  /** Largest whole body, in bytes. */
  readonly maxBodyBytes: number;
}

/** The image files of a multipart upload, in the order they came, each whole. */
export async function readUploads(
  req: http.IncomingMessage,
  limits: UploadLimits,
  route: string,
  scope?: RequestScope,
): Promise<Uint8Array[]> {
  let bb: ReturnType<typeof Busboy>;
  try {
    bb = Busboy({
      headers: req.headers as { 'content-type': string } & http.IncomingHttpHeaders,
      limits: {
        files: limits.maxFiles,
        fileSize: limits.maxFileBytes,
        fields: 16,
        fieldSize: 1024,
        fieldNameSize: 100,
        parts: limits.maxFiles + 16,
        headerPairs: 16,
      },
    });
  } catch (e) {
    throw new RequestError(
      `${route}: a multipart/form-data body with a boundary, got "${String((e as Error).message).slice(0, 80)}". Send the images as form files (curl -F image=@cat.png).`,
    );
  }
  const files: Uint8Array[] = [];
  let failure: RequestError | undefined;
  const refuse = (e: RequestError): void => {
    failure ??= e;
  };
  const parsed = new Promise<void>((resolve) => {
    bb.on('file', (_field, stream, _name, _encoding, _mime) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      // A part cut short emits 'error' on its stream: unhandled, it would end the process.
      stream.on('error', (e: unknown) =>
        refuse(
          new RequestError(
            `${route}: a complete multipart/form-data body, got "${String((e as Error)?.message ?? e).slice(0, 80)}". Let the HTTP client build the form.`,
          ),
        ),
      );
      stream.on('limit', () =>
        refuse(
          new RequestError(
            `${route}: image files of at most ${limits.maxFileBytes} bytes, got a larger one. Downscale it.`,
            413,
          ),
        ),
      );
      stream.on('end', () => {
        if (!stream.truncated) files.push(Buffer.concat(parts));
      });
    });
    bb.on('filesLimit', () =>
      refuse(
        new RequestError(
          `${route}: at most ${limits.maxFiles} image files a request, got more. Send them in parts.`,
          413,
        ),
      ),
    );
    bb.on('partsLimit', () =>
      refuse(new RequestError(`${route}: a form of at most ${limits.maxFiles + 16} parts, got more.`, 413)),
    );
    bb.on('fieldsLimit', () => refuse(new RequestError(`${route}: a form of at most 16 text fields, got more.`, 413)));
    bb.on('error', (e: unknown) => {
      refuse(
        new RequestError(
          `${route}: a well-formed multipart/form-data body, got "${String((e as Error)?.message ?? e).slice(0, 80)}". Let the HTTP client build the form.`,
        ),
      );
      resolve();
    });
    bb.on('finish', () => resolve());
  });
  await readBodyChunks(req, limits.maxBodyBytes, route, {
    ...(scope ? { scope } : {}),
    sink: (chunk) => {
      if (failure) throw failure; // stop reading at the first refusal
      bb.write(chunk);
    },
  });
  bb.end();
  await parsed;
  if (failure) throw failure;
  if (files.length === 0)
    throw new RequestError(
      `${route}: at least one image file in the form, got none. Send the image as a file part (curl -F image=@cat.png).`,
    );
  return files;
}
