// Keras' recurrent layers as TensorFlow.js Layers implements them (the Keras API and weight layout; CPU backend),
// for CuRnn's converter tests.
// Usage: node keras_reference.cjs DIR
// DIR/spec.json: { layer: "LSTM" | "SimpleRNN", units, input, steps, batch, bidirectional, activation,
//   x: [B*T*I] (batch-major), weights: [[kernel, recurrent_kernel, bias | null] per direction] (flat, Keras shapes) }.
// Writes DIR/y.json: the layer's output sequence [B, T, D*units] (Bidirectional: forward and backward concatenated).
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

async function main(dir) {
  await tf.setBackend('cpu');
  const s = JSON.parse(fs.readFileSync(path.join(dir, 'spec.json'), 'utf8'));
  const useBias = s.weights[0][2] !== null;
  const args = { units: s.units, returnSequences: true, activation: s.activation, useBias };
  if (s.layer === 'LSTM') args.recurrentActivation = 'sigmoid';   // tfjs' default is hardSigmoid
  let rnn = s.layer === 'LSTM' ? tf.layers.lstm(args) : tf.layers.simpleRNN(args);
  if (s.bidirectional) rnn = tf.layers.bidirectional({ layer: rnn, mergeMode: 'concat' });
  const x = tf.tensor3d(s.x, [s.batch, s.steps, s.input]);
  rnn.apply(x);   // builds the weights
  const g = s.layer === 'LSTM' ? 4 : 1;
  const tensors = [];
  for (const [kernel, recurrent, bias] of s.weights) {
    tensors.push(tf.tensor2d(kernel, [s.input, g * s.units]), tf.tensor2d(recurrent, [s.units, g * s.units]));
    if (bias !== null) tensors.push(tf.tensor1d(bias));
  }
  rnn.setWeights(tensors);
  const y = rnn.apply(x);
  fs.writeFileSync(path.join(dir, 'y.json'), JSON.stringify(Array.from(y.dataSync())));
}

main(process.argv[2]).catch(e => { console.error(e); process.exit(1); });
