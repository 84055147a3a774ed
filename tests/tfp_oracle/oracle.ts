// TensorFlow Playground's own code (src/dataset.ts, src/nn.ts, seedrandom 2.4.4, d3 3.5.17)
// driven in Node in the order TFP's page (src/playground.ts) calls it, to record what TFP's
// page shows for a link: its seed, points, initial weights and the loss after every epoch.
// Output: tests/fixtures/tfp_runs.json (see ./run). Not run in CI: it needs npm and a
// checkout of tensorflow/playground; the fixture it writes is checked in.
import * as nn from "./nn";
import * as dataset from "./dataset";
declare const Math: any;
require("seedrandom");

const INPUTS: {[k: string]: (x: number, y: number) => number} = {
  x: (x, y) => x, y: (x, y) => y, xSquared: (x, y) => x * x, ySquared: (x, y) => y * y,
  xTimesY: (x, y) => x * y, sinX: (x, y) => Math.sin(x), sinY: (x, y) => Math.sin(y),
};
const DATASETS: {[k: string]: dataset.DataGenerator} = {
  circle: dataset.classifyCircleData, xor: dataset.classifyXORData,
  gauss: dataset.classifyTwoGaussData, spiral: dataset.classifySpiralData,
};
const REG_DATASETS: {[k: string]: dataset.DataGenerator} = {
  "reg-plane": dataset.regressPlane, "reg-gauss": dataset.regressGaussian,
};
const ACTIVATIONS: {[k: string]: nn.ActivationFunction} = {
  relu: nn.Activations.RELU, tanh: nn.Activations.TANH,
  sigmoid: nn.Activations.SIGMOID, linear: nn.Activations.LINEAR,
};
const REGULARIZATIONS: {[k: string]: nn.RegularizationFunction} = {
  none: null, L1: nn.RegularizationFunction.L1, L2: nn.RegularizationFunction.L2,
};

type State = {
  seed: string, problem: string, dataset: string, regDataset: string, noise: number,
  percTrainData: number, networkShape: number[], activation: string, regularization: string,
  regularizationRate: number, learningRate: number, batchSize: number, features: string[],
  initZero: boolean,
};
type Action = {epochs?: number, reset?: boolean, regenerate?: boolean, dataset?: string,
  regDataset?: string, problem?: string};

function page(state: State, actions: Action[]) {
  let train: dataset.Example2D[] = [], test: dataset.Example2D[] = [];
  let network: nn.Node[][] = null;
  const input = (x: number, y: number) => state.features.map(f => INPUTS[f](x, y));
  const loss = (pts: dataset.Example2D[]) => {
    let l = 0;
    for (const p of pts) l += nn.Errors.SQUARE.error(nn.forwardProp(network, input(p.x, p.y)), p.label);
    return l / pts.length;
  };
  const weights = () => network.slice(1).map(layer => layer.map(node => ({
    bias: node.bias, weights: node.inputLinks.map(link => link.weight)})));
  const digest = (pts: dataset.Example2D[]) => {
    // index-weighted sums tell a reordering apart; the first points are kept exactly
    let sx = 0, sy = 0, sl = 0;
    pts.forEach((p, i) => { sx += (i + 1) * p.x; sy += (i + 1) * p.y; sl += (i + 1) * p.label; });
    return {n: pts.length, first: pts.slice(0, 3).map(p => [p.x, p.y, p.label]),
      last: pts.slice(-1).map(p => [p.x, p.y, p.label]), sx, sy, sl};
  };
  const thumbnails = () => {  // drawDatasetThumbnails: 200 noiseless points per dataset
    const gens = state.problem === "classification" ? DATASETS : REG_DATASETS;
    for (const name in gens) gens[name](200, 0);
  };
  const generateData = (firstTime: boolean) => {
    if (!firstTime) state.seed = Math.random().toFixed(5);
    Math.seedrandom(state.seed);
    const reg = state.problem === "regression";
    const gen = reg ? REG_DATASETS[state.regDataset] : DATASETS[state.dataset];
    const data = gen(reg ? 1200 : 500, state.noise / 100);
    dataset.shuffle(data);
    const split = Math.floor(data.length * state.percTrainData / 100);
    train = data.slice(0, split);
    test = data.slice(split);
  };
  const reset = () => {
    const shape = [state.features.length, ...state.networkShape, 1];
    const out = state.problem === "regression" ? nn.Activations.LINEAR : nn.Activations.TANH;
    network = nn.buildNetwork(shape, ACTIVATIONS[state.activation], out,
      REGULARIZATIONS[state.regularization], state.features, state.initZero);
  };
  const oneStep = () => {
    train.forEach((p, i) => {
      nn.forwardProp(network, input(p.x, p.y));
      nn.backProp(network, p.label, nn.Errors.SQUARE);
      if ((i + 1) % state.batchSize === 0) {
        nn.updateWeights(network, state.learningRate, state.regularizationRate);
      }
    });
  };
  const snapshot = () => ({seed: state.seed, train: digest(train), test: digest(test),
    weights: weights(), loss: [loss(train), loss(test)]});

  // the page's start: deserializeState seeds, thumbnails, generateData(true), reset(true)
  Math.seedrandom(state.seed);
  thumbnails();
  generateData(true);
  reset();
  const steps: any[] = [{start: snapshot()}];
  for (const action of actions) {
    if (action.epochs) {
      const losses: number[][] = [];
      for (let e = 0; e < action.epochs; e++) { oneStep(); losses.push([loss(train), loss(test)]); }
      steps.push({epochs: action.epochs, losses, weights: weights()});
    } else if (action.reset) {
      reset();
      steps.push({reset: snapshot()});
    } else if (action.regenerate) {  // the regenerate button: new data, same weights
      generateData(false);
      steps.push({regenerate: snapshot()});
    } else if (action.dataset || action.regDataset) {  // a thumbnail click
      if (action.dataset) state.dataset = action.dataset; else state.regDataset = action.regDataset;
      generateData(false);
      reset();
      steps.push({dataset: snapshot()});
    } else if (action.problem) {  // the problem dropdown
      state.problem = action.problem;
      generateData(false);
      thumbnails();
      reset();
      steps.push({problem: snapshot()});
    }
  }
  return steps;
}

const base: State = {
  seed: "0.12345", problem: "classification", dataset: "circle", regDataset: "reg-plane", noise: 0,
  percTrainData: 50, networkShape: [4, 2], activation: "tanh", regularization: "none",
  regularizationRate: 0, learningRate: 0.03, batchSize: 10, features: ["x", "y"], initZero: false,
};
const cases: {name: string, state: Partial<State>, actions: Action[]}[] = [
  {name: "default circle", state: {}, actions: [{epochs: 30}, {reset: true}, {epochs: 5}]},
  {name: "xor noise 25, ratio 70, batch 7, relu, L2", state: {seed: "0.98765", dataset: "xor", noise: 25,
    percTrainData: 70, batchSize: 7, activation: "relu", regularization: "L2", regularizationRate: 0.003,
    features: ["x", "y", "xTimesY"]}, actions: [{epochs: 20}]},
  {name: "gauss noise 40, ratio 30, 0 layers", state: {seed: "0.5", dataset: "gauss", noise: 40,
    percTrainData: 30, networkShape: []}, actions: [{epochs: 20}]},
  {name: "spiral noise 10, all features, 6x8, L1", state: {seed: "0.00042", dataset: "spiral", noise: 10,
    percTrainData: 80, networkShape: [8, 8, 8, 8, 8, 8], regularization: "L1", regularizationRate: 0.01,
    learningRate: 0.1, batchSize: 30, features: Object.keys(INPUTS)}, actions: [{epochs: 10}]},
  {name: "reg-plane noise 15, ratio 60", state: {seed: "0.31416", problem: "regression", noise: 15,
    percTrainData: 60, activation: "linear", learningRate: 0.01}, actions: [{epochs: 10}]},
  {name: "reg-gauss noise 5, sigmoid", state: {seed: "0.27183", problem: "regression",
    regDataset: "reg-gauss", noise: 5, activation: "sigmoid", batchSize: 1, networkShape: [5, 3]},
    actions: [{epochs: 5}]},
  {name: "initZero", state: {seed: "0.77777", initZero: true, dataset: "xor", networkShape: [3]},
    actions: [{epochs: 10}]},
  {name: "any seed text", state: {seed: "hello world!", dataset: "circle", noise: 50}, actions: [{epochs: 3}]},
  {name: "regenerate, thumbnail, problem", state: {seed: "0.24680"},
    actions: [{epochs: 3}, {regenerate: true}, {epochs: 3}, {dataset: "spiral"}, {epochs: 3},
      {problem: "regression"}, {epochs: 3}, {regDataset: "reg-gauss"}, {epochs: 2}]},
];
const out = cases.map(c => ({name: c.name, state: {...base, ...c.state}, actions: c.actions,
  steps: page({...base, ...c.state, networkShape: [...(c.state.networkShape ?? base.networkShape)]}, c.actions)}));
process.stdout.write(JSON.stringify({generated_by: "tests/tfp_oracle/run", cases: out}, null, 1) + "\n");
