import { ContainerModule } from 'inversify';
import { TaskActivity, DEFAULT_ACTIVITY_SETTINGS } from '../../application/activity/task-activity';
import { CircuitStates } from '../../application/ports/circuit-states.port';
import { OpossumCircuitBreaker } from '../../adapters/breaker/opossum-circuit-breaker';
import { consoleRouter } from '../../adapters/express/console/console-router';
import { bindFactory } from '../binding';
import { AppConfig, isLoopbackHost } from '../env';
import { CIRCUIT_BREAKER, CLOCK, DEAD_LETTER_STORE, HEALTH_SERVER, LIST_DEAD_LETTERS, LOGGER, PURGE_DEAD_LETTERS, RECENT_TRACES, REPLAY_DEAD_LETTERS, RESOLVE_DEAD_LETTERS, SERVICE_STATUS, SHOW_DEAD_LETTER, TASK_ACTIVITY, TASK_INBOX } from '../tokens';
import { BACKLOG_VIEW, SHOW_TASK, TASK_HISTORY } from '../tokens';

const NO_CIRCUITS: CircuitStates = { snapshot: () => [] };

/**
 * The web console (CONSOLE_ENABLED): the activity that watches the task inbox the loop reads, and
 * the console's routes on the health server. Loads nothing when the console is off, so that the
 * inbox is not wrapped and nothing is recorded.
 */
export function consoleModule(config: Pick<AppConfig, 'health' | 'stream' | 'executor'>): ContainerModule {
  const { health } = config;
  return new ContainerModule(({ bind, onActivation }) => {
    if (!health.console) return;
    bindFactory(bind, TASK_ACTIVITY, [CLOCK], (clock) => new TaskActivity(clock, DEFAULT_ACTIVITY_SETTINGS));
    onActivation(TASK_INBOX, (context, inbox) => context.get(TASK_ACTIVITY).observe(inbox));
    onActivation(HEALTH_SERVER, (context, server) => {
      const breaker = context.get(CIRCUIT_BREAKER);
      // Dead letters where the profile's backend keeps them (the operations need its store).
      const store = context.get(DEAD_LETTER_STORE, { optional: true });
      const deadLetters = store
        ? { list: context.get(LIST_DEAD_LETTERS), show: context.get(SHOW_DEAD_LETTER), replay: context.get(REPLAY_DEAD_LETTERS), resolve: context.get(RESOLVE_DEAD_LETTERS), purge: context.get(PURGE_DEAD_LETTERS) }
        : undefined;
      // A task's history where the profile's backend can search it.
      const tasks = context.get(TASK_HISTORY, { optional: true }) ? context.get(SHOW_TASK) : undefined;
      const logger = context.get(LOGGER).child({ component: 'console' });
      server.mount(
        '/console',
        consoleRouter(
          { activity: context.get(TASK_ACTIVITY), circuits: breaker instanceof OpossumCircuitBreaker ? breaker : NO_CIRCUITS, status: context.get(SERVICE_STATUS), logger, deadLetters, tasks, traces: context.get(RECENT_TRACES, { optional: true }), backlog: context.get(BACKLOG_VIEW, { optional: true }) },
          { token: health.consoleToken, instance: config.stream.consumer, mode: config.stream.type === 'memory' ? 'embedded' : 'production', concurrency: config.executor.concurrency },
        ),
      );
      if (!health.consoleToken && (health.host === undefined || !isLoopbackHost(health.host))) {
        logger.warn('the console is reachable from other machines but CONSOLE_TOKEN is not set: they get 401, and replays, resolves and purges are off');
      }
      return server;
    });
  });
}
