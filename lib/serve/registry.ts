// A model registry on disk: `<registryDir>/<name>/<version>/model.json` (+ weights), one folder
// per immutable version. The server reads it to load, hot-swap and roll back versions; publishing
// writes a hidden folder, flushes it and renames it into place (writeArtifacts, exclusive): a version
// appears whole or not at all, and of two publishers of one version exactly one succeeds.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { loadModel, modelToArtifacts, writeArtifacts } from '../data/model-io';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws a ConfigError unless `value` is a safe registry name or version (no path tricks). */
export function checkRegistryName(fn: string, what: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value) || value.includes('..')) {
    throw new ConfigError(`${fn}: a ${what} of letters, digits, '.', '_' or '-' (at most 64), got ${describe(value)}. ` +
      `Use e.g. 'simplenet' and '1'.`);
  }
  return value;
}

/** Orders versions naturally: '2' < '10', 'v2' < 'v10'. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The versions of `name` in the registry (folders holding a model.json), oldest first. */
export function listVersions(registryDir: string, name: string): string[] {
  checkRegistryName('listVersions', 'model name', name);
  const dir = path.join(registryDir, name);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && NAME.test(d.name) && fs.existsSync(path.join(dir, d.name, 'model.json')))
    .map((d) => d.name)
    .sort(compareVersions);
}

/** The newest version of `name`; a DataError when there is none. */
export function latestVersion(registryDir: string, name: string): string {
  const versions = listVersions(registryDir, name);
  const last = versions[versions.length - 1];
  if (last === undefined) {
    throw new DataError(`latestVersion: at least one version folder with a model.json under ${path.join(registryDir, name)}, got none. ` +
      `Publish one with serve.publishModel(model, {registryDir, name, version}).`, path.join(registryDir, name));
  }
  return last;
}

/** The folder of one version. */
export function versionDir(registryDir: string, name: string, version: string): string {
  return path.join(registryDir, checkRegistryName('versionDir', 'model name', name), checkRegistryName('versionDir', 'version', version));
}

/** Where and under which version to publish a model. */
export interface PublishOptions {
  readonly registryDir: string;
  readonly name: string;
  readonly version: string;
  /** Free-form JSON stored beside the model as meta.json (accuracy, recipe, ...). */
  readonly meta?: Record<string, unknown>;
}

/**
 * Saves `model` as a new version in the registry (model.json + weights.bin, and meta.json), as one
 * unit. Refuses to overwrite an existing version, atomically (versions are immutable so rollbacks
 * are exact; of two concurrent publishers of one version, the second gets the ConfigError).
 * @example await publishModel(model, {registryDir: '/srv/models', name: 'simplenet', version: '1'})
 */
export async function publishModel(model: tf.LayersModel, options: PublishOptions): Promise<{ dir: string; weightBytes: number }> {
  const dir = versionDir(options.registryDir, options.name, options.version);
  const exists = (): ConfigError => new ConfigError(`publishModel: a new version for ${options.name}, got '${options.version}' which exists in ${options.registryDir}. ` +
    `Versions are immutable: publish under a new version.`);
  if (fs.existsSync(path.join(dir, 'model.json'))) throw exists();
  const artifacts = await modelToArtifacts(model);
  const extraFiles: Record<string, string> = options.meta ? { 'meta.json': JSON.stringify(options.meta, null, 2) + '\n' } : {};
  const { weightBytes } = writeArtifacts(dir, artifacts, { caller: 'publishModel', exclusive: exists, extraFiles });
  return { dir, weightBytes };
}

/** Loads one version from the registry (caller owns the model). */
export async function loadVersion(registryDir: string, name: string, version: string): Promise<tf.LayersModel> {
  const dir = versionDir(registryDir, name, version);
  if (!fs.existsSync(path.join(dir, 'model.json'))) {
    throw new DataError(`loadVersion: version '${version}' of ${name} in the registry (one of [${listVersions(registryDir, name).join(', ')}]), ` +
      `got no model.json in ${dir}. Publish it first or pick an existing version.`, dir);
  }
  return loadModel(dir);
}
