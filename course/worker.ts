// The course's worker process for distributed runs: defines the course's jobs (its baselines,
// distillation students and pruned SimpleNets), then starts the library's worker, which serves
// them with the library's own jobs from the Redis queue (same flags as the library's worker):
//   node dist/course/worker.js [--redis redis://host:6379] [--queue name] [--threads n] ...
// The jobs are compiled into this process; nothing in a queue message names a module or a path.
import './jobs';
import './models/prepare';
import '../lib/exec/cli';
