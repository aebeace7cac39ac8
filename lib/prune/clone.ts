// Copying a layers model (topology and weights) so transforms never mutate their input.
import * as tf from '@tensorflow/tfjs';
import { artifactsToModel, modelToArtifacts } from '../data/model-io';

/** A new model with the same topology and a copy of the weights. The caller owns it. */
export async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  return artifactsToModel(await modelToArtifacts(model), model.name);
}
