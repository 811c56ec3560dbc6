import { Command } from 'commander';
import { tensor } from '../../tensor/creation.js';
import type { Io } from '../errors.js';

/** The tutorial's backward() example, with the numbers explained from the graph itself. */
export function runAutograd(io: Io): number {
  const a = tensor([1], { dtype: 'float64', requiresGrad: true });
  const b = tensor([4], { dtype: 'float64', requiresGrad: true });
  const cube = a.pow(3);
  const c = cube.add(b);
  io.out('a = torch.tensor([1], dtype=float, requires_grad=True)');
  io.out('b = torch.tensor([4], dtype=float, requires_grad=True)');
  io.out('c = a**3 + b');
  io.out(`c      = ${c}`);
  io.out(`c.grad_fn = ${c.gradFn} → next: ${c.gradFn?.nextFunctions.map((f) => f.name).join(', ')}`);
  c.backward();
  io.out('c.backward()');
  io.out(`print(a.grad)  →  ${a.grad}`);
  io.out(`print(b.grad)  →  ${b.grad}`);
  const av = a.item();
  io.out('');
  io.out('Why: backward() applies the chain rule from c back to every leaf that requires grad.');
  io.out(`  ∂c/∂a = 3·a² = 3·${av}² = ${3 * av * av}   (PowBackward0 sends grad · 3·a^2 to a)`);
  io.out('  ∂c/∂b = 1                  (AddBackward0 passes the gradient through unchanged)');
  io.out('The values are float64 because the tensors were made with dtype=float, which is float64 in PyTorch.');
  io.out('');
  const c2 = a.pow(3).add(b);
  c2.backward();
  io.out(`Run backward() once more on a fresh c without zeroing: a.grad = ${a.grad}, b.grad = ${b.grad}`);
  io.out('The gradients were added to the old ones. That is why the training loop calls optimizer.zeroGrad() before each backward().');
  return 0;
}

export function autogradCommand(io: Io): Command {
  return new Command('autograd')
    .description("the tutorial's backward() example: c = a**3 + b, c.backward(), a.grad and b.grad")
    .action(() => {
      process.exitCode = runAutograd(io);
    });
}
