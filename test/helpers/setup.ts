// Mocha root hooks: the wasm backend (the library's default) with the library's kernels and
// gradients, before any test makes a tensor. Tests that need the cpu reference switch to it
// and back (see helpers/backends.ts).
import { initBackend } from '../../lib/core/backend';

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await initBackend('wasm');
  },
};
