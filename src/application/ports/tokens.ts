/** Inversify service identifiers. Plain Symbols (never strings or Symbol.for). */
export const TOKENS = {
  Config: Symbol('Config'),
  Clock: Symbol('Clock'),
  Random: Symbol('Random'),
  Logger: Symbol('Logger'),
  Metrics: Symbol('Metrics'),
  ExpressionEvaluator: Symbol('ExpressionEvaluator'),
  TaskSource: Symbol('TaskSource'),
  HttpClient: Symbol('HttpClient'),
  CircuitBreaker: Symbol('CircuitBreaker'),
  OpenApiDocumentSource: Symbol('OpenApiDocumentSource'),
  TaskHandler: Symbol('TaskHandler'),
  ExecuteTask: Symbol('ExecuteTask'),
  ProcessDelivery: Symbol('ProcessDelivery'),
  ExecutorLoop: Symbol('ExecutorLoop'),
  ExecutorSettings: Symbol('ExecutorSettings'),
  HealthServer: Symbol('HealthServer'),
} as const;
