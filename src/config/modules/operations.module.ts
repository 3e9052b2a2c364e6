import { ContainerModule } from 'inversify';
import { ListDeadLetters } from '../../application/operations/list-dead-letters.use-case';
import { PurgeDeadLetters } from '../../application/operations/purge-dead-letters.use-case';
import { ReplayDeadLetters } from '../../application/operations/replay-dead-letters.use-case';
import { ResolveDeadLetters } from '../../application/operations/resolve-dead-letters.use-case';
import { ShowDeadLetter } from '../../application/operations/show-dead-letter.use-case';
import { ShowTask } from '../../application/operations/show-task.use-case';
import { SubmitTask } from '../../application/operations/submit-task.use-case';
import { bindFactory } from '../binding';
import { ExecutorSettings } from '../env';
import { CLOCK, DEAD_LETTER_STORE, LIST_DEAD_LETTERS, PURGE_DEAD_LETTERS, REPLAY_DEAD_LETTERS, RESOLVE_DEAD_LETTERS, SHOW_DEAD_LETTER, SUBMIT_TASK, TASK_HANDLER_REGISTRY, TASK_SUBMISSION } from '../tokens';
import { SHOW_TASK, TASK_HISTORY } from '../tokens';

/**
 * Inbound operations. Each needs a port only some profiles bind (task submission: the in-process
 * stream; dead letters: Redis), and is built only when asked for.
 */
export function operationsModule(executor: Pick<ExecutorSettings, 'taskTimeoutMs'>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    // The wait covers the task's own deadline plus the time to publish its outcome. Task ids mix
    // in the process id, so that runners started in the same millisecond do not share them.
    bindFactory(bind, SUBMIT_TASK, [TASK_SUBMISSION, CLOCK, TASK_HANDLER_REGISTRY], (submission, clock, registry) =>
      new SubmitTask(submission, clock, { timeoutMs: executor.taskTimeoutMs + 5_000, firstSequence: process.pid, taskTypes: registry.types() }),
    );
    bindFactory(bind, LIST_DEAD_LETTERS, [DEAD_LETTER_STORE], (store) => new ListDeadLetters(store));
    bindFactory(bind, SHOW_DEAD_LETTER, [DEAD_LETTER_STORE], (store) => new ShowDeadLetter(store));
    bindFactory(bind, REPLAY_DEAD_LETTERS, [DEAD_LETTER_STORE], (store) => new ReplayDeadLetters(store));
    bindFactory(bind, SHOW_TASK, [TASK_HISTORY], (history) => new ShowTask(history));
    bindFactory(bind, RESOLVE_DEAD_LETTERS, [DEAD_LETTER_STORE], (store) => new ResolveDeadLetters(store));
    bindFactory(bind, PURGE_DEAD_LETTERS, [DEAD_LETTER_STORE], (store) => new PurgeDeadLetters(store));
  });
}
