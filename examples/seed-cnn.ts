// The tutorial's program ("Dissecting a CNN in detail through a PyTorch example"), line for line, in torchlet.
// Run it with: npm run example            (seed 0; `npm run example -- 7` for another seed)
import * as torch from '../src/index.js';
import { lossCurveSpec } from '../src/charts/specs.js';
import { writePlot } from '../src/cli/render/plot-file.js';

const print = (x: unknown) => console.log(String(x));
// The original does not seed its generator; we do, so every number can be compared with PyTorch's.
torch.manualSeed(BigInt(process.argv[2] ?? 0));

class CNN extends torch.nn.Module {
  model = new torch.nn.Sequential(
    new torch.nn.Conv2d(1, 1, 2), // in_channels=1, out_channels=1, kernel_size=2
    new torch.nn.LeakyReLU(),
    new torch.nn.Conv2d(1, 1, 2),
    new torch.nn.Sigmoid(), // the last layer must be a sigmoid, or the loss's input may leave 0~1
  );
  forward(x: torch.Tensor): torch.Tensor {
    return this.model.call(x);
  }
}
const cnn = new CNN();
const trainBase = torch.ones([1, 1, 3, 3], { dtype: 'float64' }); // numpy.ones is float64
let trainSetTrue = torch.tensor(Array.from({ length: 100 }, (_, k) => trainBase.mul(k - 50).tolist()), { dtype: 'float64' }); // (100,1,1,3,3): the true samples
let trainSetFalse = torch.rand([100, 1, 1, 3, 3]).mul(100).sub(50); // (100,1,1,3,3): the false samples, noise
trainSetTrue = trainSetTrue.to('float64');
trainSetFalse = trainSetFalse.to('float64');
const trainTargetTrue = torch.ones([1, 1, 1, 1]); // the target for true samples is 1
const trainTargetFalse = torch.zeros([1, 1, 1, 1]); // the target for false samples is 0
const cnnLoss = new torch.nn.BCELoss(); // binary cross-entropy
const cnnOpt = new torch.optim.Adadelta(cnn.parameters(), { lr: 0.5 }); // Adadelta optimises the weights
const epoch = 200;
const points: Array<{ epoch: number; lossTrue: number; lossFalse: number }> = []; // plt.scatter's points
let lossTrue = torch.zeros([]);
let lossFalse = torch.zeros([]);
for (let i = 0; i < epoch; i++) {
  for (const trainSampleTrue of trainSetTrue) {
    cnnOpt.zeroGrad(); // clear the gradients, or they would add up with the previous sample's
    const cnnOutputTrue = cnn.call(trainSampleTrue.to('float32'));
    lossTrue = cnnLoss.call(cnnOutputTrue, trainTargetTrue);
    lossTrue.backward();
    cnnOpt.step(); // one optimisation step: update the weights from the gradients
  }
  for (const trainSampleFalse of trainSetFalse) {
    cnnOpt.zeroGrad();
    const cnnOutputFalse = cnn.call(trainSampleFalse.to('float32'));
    lossFalse = cnnLoss.call(cnnOutputFalse, trainTargetFalse);
    lossFalse.backward();
    cnnOpt.step();
  }
  if (i % 5 === 0) {
    const lossTrueNumber = lossTrue.detach().item();
    const lossFalseNumber = lossFalse.detach().item();
    points.push({ epoch: i, lossTrue: lossTrueNumber, lossFalse: lossFalseNumber }); // plt.scatter(i, …, c='b') / c='r'
  }
  if (i % 20 === 0) {
    print(cnn.stateDict());
  }
}
await writePlot(lossCurveSpec(points), 'seed-cnn-loss.svg'); // plt.show(): the figure goes to a file
console.log('the loss figure is in seed-cnn-loss.svg');
print(cnn.call(torch.tensor([[[[200, 200, 200], [200, 200, 200], [200, 200, 200]]]]).to('float32')));
print(cnn.call(torch.tensor([[[[11.11, 11.11, 11.11], [11.11, 11.11, 11.11], [11.11, 11.11, 11.11]]]]).to('float32')));
print(cnn.call(torch.tensor([[[[10, -43, 7], [49, 50, -51], [39, -59, 71]]]]).to('float32')));
print(cnn.call(torch.tensor([[[[5.6, 9.8, 100], [12, 65, 6], [0.7, 43, 4]]]]).to('float32')));
