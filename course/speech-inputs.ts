// Real inputs for Silero VAD (shipped in @ricky0123/vad-web): English sentences spoken by Debian's
// espeak-ng speech synthesizer (22,050 Hz, resampled to 16 kHz), separated by pauses, cut into the
// 512-sample frames the model takes at 16 kHz. The model is recurrent: each frame's feeds carry the
// state the previous frame left, so the float model is run over the audio once to give every frame
// its state (feeds for calibration and for the comparison), and any model can be run closed-loop,
// on its own states, to compare speech probabilities over the whole recording.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { ConfigError, DataError } from '../lib/errors';
import { resolveCoursePackage } from './packages';
import { Rng } from '../lib/core/rng';
import { ortSession } from '../lib/export/onnx/runtime';
import type { OnnxFeeds } from '../lib/onnx/feeds';
import { ortFeeds } from '../lib/onnx/feeds';

/** Sentences to speak: calibration and evaluation use different ones. */
export const SPEECH_SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Please call me back after the meeting.',
  'Model compression makes networks smaller and faster.',
  'The train to the airport leaves at ten past nine.',
  'Turn left at the second traffic light.',
  'It will rain in the afternoon, so take an umbrella.',
  'Voice activity detection finds where people speak.',
  'Our new office is on the fourth floor.',
] as const;

/** Samples per frame at 16 kHz (what the model and vad-web use). */
export const VAD_FRAME = 512;
export const VAD_RATE = 16000;

/** Path of a Silero VAD model shipped in @ricky0123/vad-web. */
export function vadModelPath(name: 'silero_vad_v5.onnx' | 'silero_vad_legacy.onnx' = 'silero_vad_v5.onnx'): string {
  return path.join(
    path.dirname(resolveCoursePackage('@ricky0123/vad-web', 'vadModelPath', '/package.json')),
    'dist',
    name,
  );
}

function wavSamples(wav: Buffer): { samples: Float32Array; rate: number } {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE')
    throw new DataError(
      `synthesizeSpeech: a WAV file from espeak-ng, got ${wav.length} bytes without a RIFF header. Check espeak-ng.`,
    );
  const rate = wav.readUInt32LE(24);
  let at = 12;
  while (at + 8 <= wav.length) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === 'data') {
      const n = Math.floor(Math.min(size, wav.length - at - 8) / 2);
      return { samples: Float32Array.from({ length: n }, (_, i) => wav.readInt16LE(at + 8 + 2 * i) / 32768), rate };
    }
    at += 8 + size + (size & 1);
  }
  throw new DataError(`synthesizeSpeech: a WAV file with a data chunk, got none. Check espeak-ng.`);
}

/** Linear-interpolation resampling (the sentences are narrow-band synthetic speech). */
function resample(x: Float32Array, from: number, to: number): Float32Array {
  const out = new Float32Array(Math.floor((x.length * to) / from));
  for (let i = 0; i < out.length; i++) {
    const t = (i * from) / to;
    const j = Math.floor(t);
    const f = t - j;
    out[i] = (x[j] as number) * (1 - f) + (x[Math.min(j + 1, x.length - 1)] as number) * f;
  }
  return out;
}

/**
 * Speaks `sentences` with espeak-ng (English, 150 words a minute) and joins them with `gapSeconds`
 * of quiet (seeded noise at about -50 dBFS) before each and at the end; 16 kHz mono in [-1, 1].
 */
export function synthesizeSpeech(
  sentences: readonly string[],
  options: { readonly gapSeconds?: number; readonly seed?: number } = {},
): Float32Array {
  const gap = Math.round((options.gapSeconds ?? 0.6) * VAD_RATE);
  const rng = new Rng(options.seed ?? 0);
  const quiet = (n: number) => Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 0.006);
  const parts: Float32Array[] = [];
  for (const s of sentences) {
    let wav: Buffer;
    try {
      wav = execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '--stdout', s], { maxBuffer: 1 << 26 });
    } catch (e) {
      throw new ConfigError(
        `synthesizeSpeech: Debian's espeak-ng to speak the sentences, got "${(e as Error).message.slice(0, 120)}". Install it (apt-get install espeak-ng; make setup does).`,
      );
    }
    const { samples, rate } = wavSamples(wav);
    parts.push(quiet(gap), resample(samples, rate, VAD_RATE));
  }
  parts.push(quiet(gap));
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The audio cut into whole frames of 512 samples. */
export function vadFrames(audio: Float32Array): Float32Array[] {
  return Array.from({ length: Math.floor(audio.length / VAD_FRAME) }, (_, i) =>
    audio.slice(i * VAD_FRAME, (i + 1) * VAD_FRAME),
  );
}

const feedsOf = (frame: Float32Array, state: Float32Array): OnnxFeeds => ({
  input: { data: frame, dims: [1, VAD_FRAME] },
  state: { data: state, dims: [2, 1, 128] },
  sr: { data: BigInt64Array.of(BigInt(VAD_RATE)), dims: [] },
});

/**
 * Runs a Silero VAD v5 model over the frames closed-loop (each frame on the state the model itself
 * left); returns each frame's speech probability and the feeds it ran on.
 */
export async function vadRun(
  bytes: Uint8Array,
  frames: readonly Float32Array[],
): Promise<{ probabilities: Float32Array; feeds: OnnxFeeds[] }> {
  const session = await ortSession(bytes);
  const probabilities = new Float32Array(frames.length);
  const feeds: OnnxFeeds[] = [];
  try {
    let state = new Float32Array(256);
    for (const [i, frame] of frames.entries()) {
      const f = feedsOf(frame, state);
      feeds.push(f);
      const out = await session.run(ortFeeds(session, f, 'vadRun'));
      probabilities[i] = (out.output?.data as Float32Array)[0] as number;
      state = Float32Array.from(out.stateN?.data as Float32Array);
    }
  } finally {
    await session.release();
  }
  return { probabilities, feeds };
}
