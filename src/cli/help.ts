import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const EXIT_CODES = `exit codes:
  0  ok (run: the task succeeded)
  1  the task failed or was dead-lettered; not a dead letter; a Redis error while working
  2  usage or configuration error; an unreadable, irregular, too large or invalid task file;
     a Redis that cannot be reached or refuses the password; a purge not confirmed`;

const FILTERS = `filters (all that are given must hold):
  --stream <key>          only this stream (repeatable; positional <stream>… works too)
  --workflow <id>         only dead letters of this workflow id
  --reason <text>         only those whose reason contains <text>, any case (e.g. PUBLICATION_FAILED)
  --older-than <duration> only those at least this old: 90s, 30m, 2h, 3d, PT1H
  --not-replayed          only those never replayed
  --status <status>       only those with this status: open, replayed, resolved, unresolved (open
                          or replayed: the default) or any; repeatable, or comma-separated`;

/** Help texts by command path (`dlq list`); `''` is the overview. */
export const HELP: Record<string, string> = {
  '': `usage: flunq-executor <command> [options]

commands:
  serve                          run the service (what \`node dist/src/main.js\` runs), configured by environment variables
  run <task.json>                run one task request locally (embedded, no Redis) and print its task.completed payload
  validate <task.json|wf.yaml>   check the OpenAPI calls of a task request or workflow against their documents, calling nothing
  dlq list [filters] [--json]    list dead letters on the workflow streams (REDIS_URL, or NATS_URL), with their replay counts
  dlq show <stream> <entry-id>   show one dead letter with its original payload and replays
  dlq replay <stream> <id>…      append each as a new io.flunq.task.requested (the dead letter is kept)
  dlq replay --all [filters]     replay every dead letter that matches the filters, then print a summary
  tasks show <task-id>           one task's requests, replays, outcomes and dead letters, oldest first
  dlq resolve <stream> <id>…     mark dead letters handled (--note TEXT), hiding them from dlq list
  dlq purge <stream> <id>…       delete dead letters for good (asks first; --yes without a terminal)
  help [<command>]               this text, or the help of a command (e.g. help dlq list)

options:
  -h, --help     help (of the command it follows)
  -v, --version  the version

Settings come from environment variables (README: Configuration); unknown ones with a setting
prefix are reported on stderr with the closest known name.

${EXIT_CODES}`,
  serve: `usage: flunq-executor serve

Runs the executor service in the foreground, exactly as \`node dist/src/main.js\` does: reads every
setting from the environment (EVENT_STREAM_TYPE, REDIS_URL, …), serves /health, /healthz, /readyz
and /metrics, logs in LOG_FORMAT on stdout, and on SIGTERM or SIGINT drains in-flight tasks and exits 0.
A configuration error exits with code 2, a failed start (a port already taken) with code 1.`,
  run: `usage: flunq-executor run <task.json>

Runs the task request in <task.json> (the data object of an io.flunq.task.requested event, or a
whole stream entry) on an embedded executor, without Redis, and prints its task.completed payload
on stdout. Logs go to stderr (level warn unless LOG_LEVEL says otherwise).

${EXIT_CODES}`,
  dlq: `usage: flunq-executor dlq <list|show|replay|resolve|purge> …

Dead letters (io.flunq.task.dlq entries) on the workflow streams of the Redis at REDIS_URL
(REDIS_PASSWORD if needed); with EVENT_STREAM_TYPE=nats, on the JetStream stream NATS_STREAM at
NATS_URL, where a dead letter is named by its workflow subject and stream sequence.

  dlq list [filters] [--json]    the dead letters not resolved, oldest first, with status and replays
  dlq show <stream> <entry-id>   one dead letter with every field, its payload, replays and resolution
  dlq replay <stream> <id>…      replay these dead letters of one stream
  dlq replay --all [filters]     replay every dead letter that matches
  dlq resolve <stream> <id>…     mark these handled, with --note TEXT (or --all [filters])
  dlq purge <stream> <id>…       delete these for good (or --all [filters]); asks, or needs --yes

See flunq-executor help dlq list | dlq show | dlq replay | dlq resolve | dlq purge.`,
  'dlq list': `usage: flunq-executor dlq list [filters] [--all] [--json] [<stream>…]

Lists dead letters, oldest first: stream, entry id, task, type, attempts, age, status (open,
replayed, resolved), replays so far and reason. Resolved ones are left out unless --all or
--status asks for them. Read-only.

${FILTERS}
  --all                   every status, resolved ones too (same as --status any)
  --json                  print a JSON array instead of a table`,
  'dlq show': `usage: flunq-executor dlq show <stream> <entry-id>

Prints one dead letter as JSON: its summary and status, its resolution (when resolved), every stream
field, the original payload (parsed when it is JSON) and the replays done so far. Exit code 1 when
it is not a dead letter.`,
  'dlq replay': `usage: flunq-executor dlq replay <stream> <entry-id>…
       flunq-executor dlq replay --all [filters]

Appends each dead letter's original request to its stream again as a new io.flunq.task.requested
(new event id task-requested-<task_id>-replay-<n>); the dead letter stays. Every call is a new
replay: use --not-replayed to leave out those replayed before. With --all, every dead letter that
matches the filters (resolved ones only with --status) is replayed and a summary line follows. Exit
code 1 when one could not be replayed.

${FILTERS}`,
  'dlq resolve': `usage: flunq-executor dlq resolve <stream> <entry-id>… [--note TEXT] [--by NAME]
       flunq-executor dlq resolve --all [filters] [--note TEXT] [--by NAME]

Marks dead letters handled: the resolution (who, when, the note) is kept beside each, the dead letter
stays, dlq list leaves it out (--status resolved or --all shows it) and dlq show prints it. Resolving
one resolved before changes nothing and says so. With --all, every unresolved dead letter that matches
the filters is resolved and a summary line follows. Exit code 1 when one could not be resolved.

  --note <text>           why, or what was done (at most 1000 characters)
  --by <name>             who resolves (default: <user>@<host> of this shell)

${FILTERS}`,
  'dlq purge': `usage: flunq-executor dlq purge <stream> <entry-id>… [--yes]
       flunq-executor dlq purge --all [filters] [--yes]

Deletes dead letters for good, with their replay records and resolutions. Only dead-letter entries
are deleted: the original requests, the replayed requests and every other entry stay, and an id that
is not a dead letter is refused. With --all, every dead letter that matches the filters (unresolved
ones unless --status says otherwise: e.g. --status resolved --older-than 30d) is purged and a summary
line follows. On a terminal the command shows what it will delete and asks; otherwise it needs --yes.
Cannot be undone. Exit code 1 when one could not be purged, 2 when not confirmed.

  -y, --yes               purge without asking

${FILTERS}`,
  tasks: `usage: flunq-executor tasks show <task-id> [options]

A task's history as the backend holds it. See flunq-executor help tasks show.`,
  'tasks show': `usage: flunq-executor tasks show <task-id> [--workflow <id>] [--stream <key>]… [--limit <n>] [--json]

Prints the history of one task (its data.task_id, matched exactly) found on the workflow streams of
the Redis at REDIS_URL (or REDIS_CLUSTER_NODES), or with EVENT_STREAM_TYPE=nats on the JetStream
stream NATS_STREAM at NATS_URL: each io.flunq.task.requested (replays included), each
io.flunq.task.completed (success or failure, error code and detail, output as stored, secrets
already redacted) and each io.flunq.task.dlq (attempt and reason), oldest first, with the stream and
entry id (subject and sequence on NATS) where it was found and the trace id of its traceparent.
Read-only.

  --workflow <id>   search only that workflow's events (any tenant): much faster on a busy backend
  --stream <key>    search only this stream (subject on NATS); repeatable
  --limit <n>       examine at most <n> entries (default 1000000); the search also stops after 30 s,
                    and says so when it stopped before reading everything
  --json            print the history as JSON

exit codes:
  0  the task was found
  1  no such task (one line on stderr); an error while searching
  2  usage or configuration error; a backend that cannot be reached or refuses the credentials`,
  validate: `usage: flunq-executor validate <task.json | workflow.yaml>

Loads the OpenAPI documents that the call tasks in the file refer to (a task request as \`run\`
takes it, or a workflow whose \`do\` list holds call tasks, in YAML or JSON) and prints one line per
problem, without calling any operation: an unknown operation id (with the closest known one), a
missing required parameter or request body, a literal value that breaks the parameter's or the
body's schema, an \`authentication: {use: …}\` that neither the workflow nor the document defines,
a security scheme that cannot be applied or whose credential CALL_CREDENTIALS_FILE does not hold
(or binds to other hosts), a document that cannot be loaded. Values that are \`\${ … }\` expressions are known only at run time and not checked.
A summary line goes to stderr.

exit codes:
  0  no problems
  1  problems were found (one line each on stdout)
  2  usage error; an unreadable or invalid file`,
};

/** The package version, from the package.json above this file (in the sources and in dist/). */
export function version(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'flunq-executor-ts') return pkg.version ?? 'unknown';
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
