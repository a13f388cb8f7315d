// The default onnxruntime intra-op thread count: a model's instances share the cores but one (the event loop's).

import { sharedIntraOpThreads } from '../../src/repository/model-loader';

test.each([
  [1, 1, 1],
  [2, 1, 1],
  [2, 2, 1],
  [4, 1, 3],
  [16, 1, 15],
  [16, 2, 7],
  [16, 4, 3],
  [16, 32, 1],
])('%i cores, %i instances: %i threads each', (cores, instances, threads) => {
  expect(sharedIntraOpThreads(cores, instances)).toBe(threads);
});
