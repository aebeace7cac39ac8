// Worker threads start from JavaScript: register tsx, then load the TypeScript worker.
require('tsx/cjs');
require('./worker.ts');
