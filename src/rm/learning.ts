// Plain TypeScript learning helpers: logistic regression by full-batch gradient descent
// with L2, and the metrics the trainers report. No native code, no Python.

/** The logistic function. */
export function sigmoid(value: number): number {
  if (value >= 0) return 1 / (1 + Math.exp(-value));
  const exponential = Math.exp(value);
  return exponential / (1 + exponential);
}

/** `log(1 + exp(value))` without overflow. */
export function softplus(value: number): number {
  return value > 30 ? value : value < -30 ? Math.exp(value) : Math.log1p(Math.exp(value));
}

/** Options for {@link fitLogistic}. */
export interface LogisticOptions {
  /** Full-batch gradient steps. @default 3000 */
  epochs?: number;
  /** Step size. @default 0.5 */
  learningRate?: number;
  /** L2 penalty on the weights (not the bias). @default 0.001 */
  l2?: number;
  /** Weight of positive examples relative to negatives, for imbalanced data. @default 1 */
  positiveWeight?: number;
}

/** A fitted logistic model. */
export interface LogisticModel {
  /** One weight per feature. */
  weights: number[];
  /** The intercept. */
  bias: number;
}

/** Fits `P(label = 1 | x) = σ(w·x + b)` by gradient descent on the mean log loss plus L2. */
export function fitLogistic(
  rows: readonly number[][],
  labels: readonly number[],
  options: LogisticOptions = {},
): LogisticModel {
  const epochs = options.epochs ?? 3000;
  const learningRate = options.learningRate ?? 0.5;
  const l2 = options.l2 ?? 0.001;
  const positiveWeight = options.positiveWeight ?? 1;
  const dimension = rows[0]?.length ?? 0;
  const weights = new Array<number>(dimension).fill(0);
  let bias = 0;
  let totalWeight = 0;
  for (const label of labels) totalWeight += label === 1 ? positiveWeight : 1;
  const gradient = new Array<number>(dimension).fill(0);
  for (let epoch = 0; epoch < epochs; epoch++) {
    gradient.fill(0);
    let biasGradient = 0;
    rows.forEach((row, index) => {
      const label = labels[index] as number;
      const exampleWeight = label === 1 ? positiveWeight : 1;
      const error = (predictLogistic({ weights, bias }, row) - label) * exampleWeight;
      for (let feature = 0; feature < dimension; feature++) {
        gradient[feature] = (gradient[feature] as number) + error * (row[feature] as number);
      }
      biasGradient += error;
    });
    for (let feature = 0; feature < dimension; feature++) {
      const current = weights[feature] as number;
      weights[feature] = current - learningRate * ((gradient[feature] as number) / totalWeight + l2 * current);
    }
    bias -= (learningRate * biasGradient) / totalWeight;
  }
  return { weights, bias };
}

/** `σ(w·x + b)`. */
export function predictLogistic(model: LogisticModel, row: readonly number[]): number {
  let sum = model.bias;
  for (let feature = 0; feature < row.length; feature++)
    sum += (model.weights[feature] ?? 0) * (row[feature] as number);
  return sigmoid(sum);
}

/** Binary classification metrics, with `positive` = the class being detected. */
export interface BinaryMetrics {
  /** Examples evaluated. */
  count: number;
  /** Correct predictions / all. */
  accuracy: number;
  /** True positives / predicted positives (1 when nothing was predicted positive). */
  precision: number;
  /** True positives / actual positives (1 when there are none). */
  recall: number;
  /** Harmonic mean of precision and recall. */
  f1: number;
}

/** Computes {@link BinaryMetrics} from predicted and actual booleans. */
export function binaryMetrics(predicted: readonly boolean[], actual: readonly boolean[]): BinaryMetrics {
  let truePositive = 0;
  let falsePositive = 0;
  let falseNegative = 0;
  let correct = 0;
  predicted.forEach((prediction, index) => {
    const truth = actual[index] as boolean;
    if (prediction === truth) correct++;
    if (prediction && truth) truePositive++;
    else if (prediction && !truth) falsePositive++;
    else if (!prediction && truth) falseNegative++;
  });
  const precision = truePositive + falsePositive === 0 ? 1 : truePositive / (truePositive + falsePositive);
  const recall = truePositive + falseNegative === 0 ? 1 : truePositive / (truePositive + falseNegative);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    count: predicted.length,
    accuracy: predicted.length === 0 ? 0 : correct / predicted.length,
    precision,
    recall,
    f1,
  };
}

/** Rounds for reports and weight files. */
export function round(value: number, digits = 4): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
