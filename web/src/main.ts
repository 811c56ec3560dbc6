import { byId, FrameScheduler } from './dom.js';
import { atlasPanel } from './panels/atlas.js';
import { controlsPanel } from './panels/controls.js';
import { dataPanel } from './panels/data.js';
import { forwardView } from './panels/forward.js';
import { gradientsPanel } from './panels/gradients.js';
import { type InputChoice, inputEditor, verdictView } from './panels/input.js';
import { lossPanel } from './panels/loss.js';
import { modelPanel } from './panels/model.js';
import { snapshotsPanel } from './panels/snapshots.js';
import { sweepPanel } from './panels/sweep.js';
import { zeroGradPanel } from './panels/zerograd.js';
import { settingsFromQuery } from './settings.js';
import { type RunState, TrainClient } from './state.js';

// The page: one training worker, panels that render from its merged state at most once per animation frame.

const fromUrl = settingsFromQuery(location.search);
const frame = new FrameScheduler(render);
const client = new TrainClient(() => frame.request());

const controls = controlsPanel(byId('panel-controls'), fromUrl.settings, {
  settings: (s) => client.reset(s),
  start: () => client.start(),
  pause: () => client.pause(),
  step: () => client.step(),
  epoch: () => client.epoch(),
  reset: () => client.reset(controls.settings),
});
const loss = lossPanel(byId('panel-loss'));
const model = modelPanel(byId('panel-model'));
const inputRoot = byId('panel-input');
const editor = inputEditor(inputRoot, () => frame.request());
const verdict = verdictView(inputRoot);
const forward = forwardView(inputRoot);
const gradients = gradientsPanel(byId('panel-gradients'));
const data = dataPanel(byId('panel-data'), (m, label, target) => {
  editor.set({ matrix: [m.slice(0, 3), m.slice(3, 6), m.slice(6, 9)], label, target });
  byId('panel-input').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
});
const snapshots = snapshotsPanel(byId('panel-snapshots'));
zeroGradPanel(byId('panel-zerograd'), () => controls.settings);
sweepPanel(byId('panel-sweep'), () => controls.settings);
atlasPanel(byId('panel-atlas'), (s) => {
  const next = { ...controls.settings, ...s };
  controls.set(next);
  client.reset(next);
  byId('panel-controls').scrollIntoView({ behavior: 'smooth', block: 'start' });
  byId<HTMLButtonElement>('btn-start').focus({ preventScroll: true });
});

if (fromUrl.errors.length > 0) {
  byId('status').textContent = `Ignored in the link: ${fromUrl.errors.join('; ')}`;
}

let forwardAt = 0;

function render(): void {
  const s = client.state;
  controls.render(s);
  loss.render(s);
  model.render(s);
  data.render(s);
  snapshots.render(s);
  const next = nextSample(s);
  editor.setFollowing(next.choice, next.why);
  if (s.config) client.inspect(editor.current.matrix, editor.current.target);
  verdict.render(client.inspection, editor.current.target);
  // The hand calculation is a few hundred elements: while training, redraw it a few times a second, not every frame.
  const now = performance.now();
  if (!s.running || now - forwardAt >= 250) {
    forwardAt = now;
    forward.render(client.inspection?.explanation);
  } else frame.requestLater(250);
  gradients.render(client.gradientInspection, s.config?.optimizer ?? 'adadelta', s.running);
}

/** The sample the trainer steps on next: the tutorial's order is all constant matrices, then all random ones. */
function nextSample(s: RunState): { choice: InputChoice | null; why: string } {
  if (!s.config || s.trueSet.length === 0) return { choice: null, why: 'waiting for the model' };
  if (s.config.shuffle) return { choice: null, why: 'unavailable with shuffling (the order is drawn each epoch)' };
  if (s.done) return { choice: null, why: 'the run is finished' };
  const n = s.trueSet.length / 9;
  const constant = s.position < n;
  const k = constant ? s.position : s.position - n;
  const v = (constant ? s.trueSet : s.falseSet).slice(k * 9, k * 9 + 9);
  return { choice: { matrix: [v.slice(0, 3), v.slice(3, 6), v.slice(6, 9)], label: `${constant ? 'constant' : 'random'} #${k}, the next training sample`, target: constant ? 1 : 0 }, why: '' };
}

client.reset(fromUrl.settings);
if (fromUrl.autorun) client.start();

// For the end-to-end tests and the curious: the live state in the console.
(globalThis as { playground?: unknown }).playground = { client };
