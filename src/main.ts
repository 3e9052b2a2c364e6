import 'reflect-metadata';
import { runService } from './config/run-service';

runService().catch((error: unknown) => {
  process.stderr.write(`executor failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
