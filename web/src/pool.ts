// A small pool of module workers for the lab's batch experiments (zero-grad comparison, sweep, atlas): jobs
// are queued, each idle worker takes the next, results come back in any order with the job's index.

export interface PoolJob<J> { index: number; job: J }

type Handler = (msg: LabReply) => void;

export interface LabReply { id: number; kind: 'progress' | 'result' | 'error'; payload: unknown }

export class WorkerPool<J> {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly handlers = new Map<number, Handler>();
  private nextId = 1;
  private queue: Array<{ job: J; handler: Handler; id: number }> = [];

  constructor(size: number, private readonly make: () => Worker) {
    for (let i = 0; i < size; i++) {
      const w = this.make();
      w.onmessage = (e: MessageEvent<LabReply>) => this.receive(w, e.data);
      w.onerror = (e) => {
        e.preventDefault();
        this.fail(w, `worker failed: ${e.message}`);
      };
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private busy = new Map<Worker, number>();

  /** Queues one job; `handler` sees its progress messages, then one result or error. */
  submit(job: J, handler: Handler): number {
    const id = this.nextId++;
    this.queue.push({ job, handler, id });
    this.pump();
    return id;
  }

  /** Drops queued jobs and forgets running ones (their results are ignored); the workers stay. */
  cancel(ids: Iterable<number>): void {
    const drop = new Set(ids);
    this.queue = this.queue.filter((q) => !drop.has(q.id));
    for (const id of drop) this.handlers.delete(id);
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const { job, handler, id } = this.queue.shift()!;
      this.handlers.set(id, handler);
      this.busy.set(w, id);
      w.postMessage({ id, job });
    }
  }

  private receive(w: Worker, msg: LabReply): void {
    this.handlers.get(msg.id)?.(msg);
    if (msg.kind !== 'progress') {
      this.handlers.delete(msg.id);
      this.busy.delete(w);
      this.idle.push(w);
      this.pump();
    }
  }

  private fail(w: Worker, message: string): void {
    const id = this.busy.get(w);
    if (id !== undefined) this.receive(w, { id, kind: 'error', payload: message });
  }
}

/** Workers for batch experiments: leave a core for the page and the training worker. */
export function poolSize(): number {
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 2;
  return Math.max(2, Math.min(8, cores - 1));
}
