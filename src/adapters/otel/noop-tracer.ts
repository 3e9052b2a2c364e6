import { TaskSpan, Tracer } from '../../application/ports/tracer.port';

const NOOP_SPAN: TaskSpan = {
  context: undefined,
  run: (work) => work(),
  fail: () => undefined,
  end: () => undefined,
};

/** Tracing off (OTEL_TRACES_EXPORTER=none): no span, no context switch, nothing allocated per task. */
export class NoopTracer implements Tracer {
  startTask(): TaskSpan {
    return NOOP_SPAN;
  }
}
