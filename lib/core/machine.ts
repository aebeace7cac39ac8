// The machine a measurement ran on. Every latency or throughput figure carries one of these:
// int8 speed depends on VNNI, SIMD speed on AVX2/AVX-512, the wasm backend's speed on its
// threads, and a shared machine's timings on its load; numbers mean nothing without them.
import * as fs from 'fs';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { wasmThreads } from './wasm-threads';

/** Where a figure was measured. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  /** The SIMD flags that matter for inference kernels, as the kernel reports them. */
  readonly cpuFlags: string[];
  readonly memoryBytes: number;
  readonly platform: string;
  readonly node: string;
  readonly tfjs: string;
  readonly backend: string;
  /** XNNPACK threads of the wasm backend (1 unless initBackend was given threads). */
  readonly wasmThreads: number;
  /** os.loadavg() when described: 1, 5 and 15-minute run-queue averages. On a shared machine, read timings against it. */
  readonly loadAverage: number[];
  readonly date: string;
}

const INTERESTING = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'avx_vnni',
  'avx512_bf16',
  'amx_int8',
  'neon',
  'asimd',
  'asimddp',
];

function cpuFlags(): string[] {
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const line = text.split('\n').find((l) => /^(flags|Features)\s*:/.test(l)) ?? '';
    const flags = new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
    return INTERESTING.filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

/** Describes this machine and the active tfjs backend. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    cpuFlags: cpuFlags(),
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: tf.version.tfjs,
    backend: tf.getBackend() ?? 'none',
    wasmThreads: wasmThreads(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    date: new Date().toISOString(),
  };
}
