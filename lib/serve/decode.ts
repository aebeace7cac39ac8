// A request body to a validated batch, whichever API it came through: this server's predict JSON
// or the Open Inference Protocol's inference request. Runs on the main thread for small bodies
// and in a worker for large ones (the same function on either side).
import { parseInferBody } from './infer-request';
import { PredictInput, ValidationLimits, joined, parseJson, parsePredictBody } from './validate';

/** Which API a JSON body speaks. */
export type BodyKind = 'predict' | 'infer';

/** Parses and validates a JSON body (one buffer, or the chunks it came in); a RequestError (400) when malformed. */
export function decodeRequest(
  kind: BodyKind,
  body: Uint8Array | readonly Uint8Array[],
  shape: readonly number[],
  limits: ValidationLimits,
): PredictInput {
  const json = parseJson(joined(body), kind === 'infer' ? 'infer' : '/v1/predict');
  return kind === 'infer' ? parseInferBody(json, shape, limits) : parsePredictBody(json, shape, limits);
}
